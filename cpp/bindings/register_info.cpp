// Build and runtime information, ISA selection and thread settings.
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "steepest/core/blas.hpp"
#include "steepest/core/isa.hpp"
#include "steepest/core/parallel.hpp"

#if defined(STEEPEST_HAVE_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#include <dlfcn.h>
#endif

namespace steepest::bind {
namespace {

isa parse_isa(const std::string& name) {
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (name == isa_name(w)) return w;
    }
    throw py::value_error("set_isa: isa must be 'baseline', 'v3' or 'v4', got " +
                          py_repr(py::str(name)));
    return isa::baseline;  // unreachable; keeps -Wreturn-type quiet
}

std::vector<std::string> available_isas() {
    std::vector<std::string> out;
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (isa_supported(w)) out.emplace_back(isa_name(w));
    }
    return out;
}

// The OpenMP runtime: the library named at link time and the file actually
// loaded (in a repaired wheel, the copy vendored beside the package).
py::object openmp_runtime() {
#ifdef STEEPEST_HAVE_OPENMP
    py::dict r;
    r["name"] = STEEPEST_OPENMP_LIB;
    std::string path;
#if defined(__unix__) || defined(__APPLE__)
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&omp_get_max_threads), &info) != 0 && info.dli_fname) {
        path = info.dli_fname;
    }
#endif
    r["library"] = path;  // "" where the OS cannot say
    return r;
#else
    return py::none();
#endif
}

py::dict build_info() {
    py::dict d;
    d["version"] = STEEPEST_VERSION;
    d["compiler"] = STEEPEST_COMPILER;
    d["target"] = STEEPEST_TARGET;
    d["cxx_flags"] = STEEPEST_CXX_FLAGS;
    d["link_flags"] = STEEPEST_LINK_FLAGS;
    d["kernel_flags"] = "-fno-math-errno -ffp-contract=off -fopenmp-simd";
    d["sanitize"] = STEEPEST_SANITIZERS;  // "" in a normal build
#ifdef STEEPEST_HAVE_OPENMP
    d["openmp"] = py::int_(_OPENMP);
#else
    d["openmp"] = py::none();
#endif
    d["openmp_runtime"] = openmp_runtime();
    std::vector<std::string> built;
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (isa_built(w)) built.emplace_back(isa_name(w));
    }
    d["built_isas"] = built;
    // the training loops' levels: the kernels' where the build could give
    // each level its own copies (CMakeLists.txt), else the baseline only
    std::vector<std::string> loops;
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (isa_loops_built(w)) loops.emplace_back(isa_name(w));
    }
    d["loop_isas"] = loops;
    // the levels whose loops have threads: every built one in a build with
    // OpenMP (a level compiled without them trains serially, same bits)
    std::vector<std::string> threaded;
    for (isa w : {isa::baseline, isa::v3, isa::v4}) {
        if (isa_loops_built(w) && isa_loops_threaded(w)) threaded.emplace_back(isa_name(w));
    }
    d["loop_threads"] = threaded;
    d["available_isas"] = available_isas();
    d["selected_isa"] = isa_name(selected_isa());
    d["max_threads"] = max_threads();
    d["parallel_grain"] = parallel_grain().load();
    py::dict b;
    b["name"] = "scipy-openblas32";
    b["version"] = STEEPEST_BLAS_VERSION;  // the one built against
    b["library"] = blas::blas_library_path();
    b["config"] = blas::blas_config();
    b["corename"] = blas::blas_corename();
    b["threads"] = blas::blas_threads();
    d["blas"] = b;
    return d;
}

}  // namespace

void register_info(py::module_& m) {
    m.def("build_info", &build_info, "Compiler, flags, OpenMP, ISA and BLAS information.");
    m.def("available_isas", &available_isas, "ISA levels this build has and this CPU runs.");
    m.def("get_isa", [] { return std::string(isa_name(selected_isa())); }, "The ISA in use.");
    m.def(
        "set_isa",
        [](const std::string& name) {
            isa w = parse_isa(name);
            if (!isa_supported(w)) {
                throw py::value_error("set_isa: isa " + py_repr(py::str(name)) +
                                      " is not available on this CPU or build");
            }
            select_isa(w);
        },
        "Select the ISA used by every kernel.", py::arg("isa"));
    m.def("get_num_threads", &max_threads, "Threads a parallel kernel uses.");
    m.def(
        "set_num_threads",
        [](int n) {
            if (n < 0) {
                throw py::value_error("set_num_threads: n must be >= 0 (0 = all cores), got " +
                                      std::to_string(n));
            }
            thread_setting().store(n);
        },
        "Threads for parallel kernels; 0 means all cores.", py::arg("n"));
    m.def("get_parallel_grain", [] { return parallel_grain().load(); },
          "Elements below which a kernel runs on one thread.");
    m.def(
        "set_parallel_grain",
        [](index_t g) {
            if (g < 1) {
                throw py::value_error("set_parallel_grain: grain must be >= 1, got " +
                                      std::to_string(g));
            }
            parallel_grain().store(g);
        },
        "Set the single-thread threshold in elements.", py::arg("grain"));
    m.def(
        "_step_threads",
        [](py::object enabled, py::object spin_us, py::object warm_divisor) {
            if (!enabled.is_none()) pool_enabled().store(enabled.cast<bool>());
            if (!spin_us.is_none()) spin_window_us().store(std::max(0, spin_us.cast<int>()));
            if (!warm_divisor.is_none()) {
                warm_grain_divisor().store(std::max(1, warm_divisor.cast<int>()));
            }
            py::dict d;
            d["pool"] = pool_enabled().load();
            d["spin_us"] = spin_window_us().load();
            d["warm_grain_divisor"] = warm_grain_divisor().load();
            d["threads_started"] = step_pool::get().started();
            return d;
        },
        "The optimizer step's own threads (core/pool.hpp): on/off, spin window, "
        "warm grain divisor; None leaves a setting; returns them and the threads started.",
        py::arg("enabled") = py::none(), py::arg("spin_us") = py::none(),
        py::arg("warm_divisor") = py::none());
}

}  // namespace steepest::bind
