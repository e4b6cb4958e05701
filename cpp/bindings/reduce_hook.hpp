// The data-parallel loop's all-reduce as a call into Python: the flat buffer is
// handed to `reduce(buf)` (a NumPy view of it, no copy), which must sum it over
// the processes in place (steepest.distributed's communicators do). The GIL is
// taken for that call only; an exception it raises propagates out of the loop.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "array_checks.hpp"
#include "steepest/train/data_parallel.hpp"

namespace steepest::bind {

namespace py = pybind11;

template <class T>
train::all_reduce<T> python_all_reduce(const py::object& fn) {
    train::all_reduce<T> out;
    out.ctx = const_cast<void*>(static_cast<const void*>(&fn));
    out.fn = [](void* ctx, T* buf, index_t n) {
        py::gil_scoped_acquire gil;
        const auto& call = *static_cast<const py::object*>(ctx);
        // the capsule owns nothing: the buffer outlives the call
        py::capsule keep(buf, [](void*) {});
        py::array_t<T> view({static_cast<py::ssize_t>(n)}, {static_cast<py::ssize_t>(sizeof(T))},
                            buf, keep);
        call(view);
    };
    return out;
}

// batches: the global rows of each step (int64, 1-D), at least as many as this
// process's steps and each at least this process's rows of that step.
inline void check_global_batches(const std::string& fn, const py::array& g, index_t n,
                                 index_t batch) {
    check_layout(fn, "batches", g, py::dtype::of<std::int64_t>(), false);
    const index_t B = batch < 1 || batch > n ? n : batch;
    const index_t local_steps = (n + B - 1) / B;
    if (g.ndim() != 1 || g.shape(0) < local_steps) {
        value_error(fn, "batches has shape " + shape_str(g) + "; expected at least " +
                            std::to_string(local_steps) + " steps (this process's)");
    }
    const auto* p = static_cast<const std::int64_t*>(g.data());
    for (index_t j = 0; j < g.shape(0); ++j) {
        const index_t s = std::min(n, j * B), b = std::min(B, n - s);
        if (p[j] < 1 || p[j] < b) {
            value_error(fn, "batches[" + std::to_string(j) + "] = " + std::to_string(p[j]) +
                                " is below this process's " + std::to_string(b) +
                                " rows of that step (or below 1)");
        }
    }
}

}  // namespace steepest::bind
