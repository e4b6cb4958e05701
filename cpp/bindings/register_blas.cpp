// Test-only binding of the BLAS wrapper: _core._gemm(a, b) == a @ b, proving
// that the extension links and loads scipy-openblas32 and calls it right.
#include <pybind11/numpy.h>

#include <algorithm>
#include <string>

#include "array_checks.hpp"
#include "steepest/core/blas.hpp"

namespace steepest::bind {
namespace {

constexpr const char* kGemm = "_gemm";

// A 2-D, C-contiguous, aligned float32/float64 array (read-only is fine).
py::array check_matrix(const char* name, py::handle h) {
    py::array a = as_array(kGemm, name, h);
    float_kind(kGemm, name, a);
    if (a.ndim() != 2) {
        value_error(kGemm, std::string(name) + " must be 2-D, got shape " + shape_str(a));
    }
    if (!(a.flags() & py::array::c_style)) value_error(kGemm, std::string(name) + " is not C-contiguous");
    if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
        value_error(kGemm, std::string(name) + " is not aligned");
    }
    for (py::ssize_t d = 0; d < 2; ++d) {
        if (!blas::fits(a.shape(d))) {
            value_error(kGemm, std::string(name) + " has shape " + shape_str(a) +
                                   "; dimensions must be < 2**31 for the 32-bit BLAS");
        }
    }
    return a;
}

template <class T>
py::array gemm_as(const py::array& a, const py::array& b) {
    const index_t m = a.shape(0), k = a.shape(1), n = b.shape(1);
    py::array_t<T> c({m, n});
    const T* pa = static_cast<const T*>(a.data());
    const T* pb = static_cast<const T*>(b.data());
    T* pc = c.mutable_data();
    {
        py::gil_scoped_release release;
        blas::gemm<T>(blas::op::none, blas::op::none, m, n, k, T(1), pa, std::max<index_t>(k, 1),
                      pb, std::max<index_t>(n, 1), T(0), pc, std::max<index_t>(n, 1));
    }
    return c;
}

py::array gemm(py::handle a_obj, py::handle b_obj) {
    py::array a = check_matrix("a", a_obj);
    py::array b = check_matrix("b", b_obj);
    if (!b.dtype().equal(a.dtype())) {
        type_error(kGemm, "b has dtype " + dtype_str(b) + " but a has dtype " + dtype_str(a));
    }
    if (b.shape(0) != a.shape(1)) {
        value_error(kGemm, "b has shape " + shape_str(b) + " but a has shape " + shape_str(a) +
                               "; expected b.shape[0] == a.shape[1]");
    }
    return float_kind(kGemm, "a", a) == elem::f32 ? gemm_as<float>(a, b) : gemm_as<double>(a, b);
}

}  // namespace

void register_blas(py::module_& m) {
    m.def("_gemm", &gemm, "Test only: a @ b through steepest::blas::gemm.", py::arg("a"),
          py::arg("b"));
}

}  // namespace steepest::bind
