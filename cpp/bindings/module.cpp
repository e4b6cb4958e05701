// The extension module steepest._core: registration only.
#include <pybind11/pybind11.h>

#include "steepest/core/isa.hpp"

namespace py = pybind11;

namespace steepest::bind {
void register_optim(py::module_& m);
void register_clip(py::module_& m);
void register_schedule(py::module_& m);
void register_info(py::module_& m);
void register_blas(py::module_& m);
void register_train(py::module_& m);
void register_wrappers(py::module_& m);
void register_sgd(py::module_& m);
}  // namespace steepest::bind

PYBIND11_MODULE(_core, m) {
    m.doc() = "steepest native kernels (see steepest.functional for documentation)";
    m.attr("__version__") = STEEPEST_VERSION;
    // Resolve STEEPEST_ISA now, so a bad value fails the import, not a later step.
    steepest::selected_isa();
    steepest::bind::register_optim(m);
    steepest::bind::register_clip(m);
    steepest::bind::register_schedule(m);
    steepest::bind::register_info(m);
    steepest::bind::register_blas(m);
    steepest::bind::register_train(m);
    steepest::bind::register_wrappers(m);
    steepest::bind::register_sgd(m);
}
