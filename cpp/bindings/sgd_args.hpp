// What the two SGD estimator bindings (register_sgd.cpp: scikit-learn's plain
// epoch; register_sgd_batch.cpp: the mini-batch epoch) read alike: checked
// arrays, dict items, the loss name and the rows, dense or CSR. Every check
// runs before anything is written; `fn` names the binding in messages.
#pragma once

#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "steepest/sgd/plain.hpp"

namespace steepest::bind::sgd_args {

inline py::array checked(const std::string& fn, py::handle h, const std::string& label,
                         const py::dtype& dt, bool written, py::ssize_t size) {
    py::array a = bind::as_array(fn, label, h);
    bind::check_layout(fn, label, a, dt, written);
    if (size >= 0 && a.size() != size) {
        value_error(fn, label + " has " + std::to_string(a.size()) + " elements; expected " +
                            std::to_string(size));
    }
    return a;
}

template <class T>
T* ptr(const py::array& a) {
    return static_cast<T*>(const_cast<void*>(a.data()));
}

inline py::object item(const std::string& fn, const py::dict& d, const char* dict_name,
                       const char* key) {
    if (!d.contains(key)) value_error(fn, std::string(dict_name) + " lacks '" + key + "'");
    return d[key];
}

inline sgd::loss_kind read_loss(const std::string& fn, py::handle h) {
    const std::string name = py::str(h);
    // in loss_kind's order
    const char* names[] = {"hinge",
                           "squared_hinge",
                           "log_loss",
                           "modified_huber",
                           "squared_error",
                           "huber",
                           "epsilon_insensitive",
                           "squared_epsilon_insensitive"};
    for (int i = 0; i < 8; ++i) {
        if (name == names[i]) return static_cast<sgd::loss_kind>(i);
    }
    value_error(fn, "settings['loss'] is not a plain-SGD loss, got " + py_repr(h));
}

// The element type of the weights: float32 or float64, else a TypeError.
inline bool is_float32(const std::string& fn, py::handle coef) {
    py::array a = bind::as_array(fn, "state['coef']", coef);
    if (a.dtype().equal(py::dtype::of<float>())) return true;
    if (!a.dtype().equal(py::dtype::of<double>())) {
        type_error(fn, "state['coef'] has dtype " + dtype_str(a) + "; expected float32 or float64");
    }
    return false;
}

// The learning rates of an epoch's rows / steps (settings['etas'], float64,
// at least `needed` of them) when settings['learning_rate'] is 5, else null.
inline const double* read_etas(const std::string& fn, const py::dict& d, sgd::rate_kind rate,
                               py::ssize_t needed, std::vector<py::array>& keep) {
    if (rate != sgd::rate_kind::schedule) return nullptr;
    if (!d.contains("etas")) value_error(fn, "settings lacks 'etas' (learning_rate 5)");
    py::array a = checked(fn, d["etas"], "settings['etas']", py::dtype::of<double>(), false, -1);
    if (a.ndim() != 1 || a.size() < needed) {
        value_error(
            fn, "settings['etas'] must be 1-D with at least " + std::to_string(needed) + " rates");
    }
    keep.push_back(a);
    return ptr<double>(a);
}

// settings['n_threads'] (absent: 1; 0: the library default) as a limit on
// the calling thread's parallel work while it lives; threads() is the count
// then available.
struct thread_limit {
    int saved;
    thread_limit(const std::string& fn, const py::dict& d) : saved(calling_thread_limit()) {
        const long long n = d.contains("n_threads")
                                ? int_arg(fn, "settings['n_threads']", d["n_threads"], 0, 4096)
                                : 1;
        if (n > 0) calling_thread_limit() = static_cast<int>(n);
    }
    ~thread_limit() { calling_thread_limit() = saved; }
    thread_limit(const thread_limit&) = delete;
    thread_limit& operator=(const thread_limit&) = delete;
    int threads() const { return max_threads(); }
};

// The rows of an epoch: X dense (n, d), or X, indices, indptr of a CSR matrix
// with d columns (int32 indices sorted, unique and in range; int64 indptr).
template <class T>
struct rows {
    bool csr = false;
    sgd::dense_rows<T> dense{};
    sgd::csr_rows<T> sparse{};
    index_t n = 0;
    std::vector<py::array> keep;  // every array the pointers point into
};

template <class T>
rows<T> read_rows(const std::string& fn, py::handle X, py::handle indices, py::handle indptr,
                  py::ssize_t d) {
    const auto f64 = py::dtype::of<T>();
    rows<T> out;
    if (indices.is_none()) {
        py::array x = checked(fn, X, "X", f64, false, -1);
        if (x.ndim() != 2 || x.shape(1) != d) {
            value_error(
                fn, "X has shape " + shape_str(x) + "; expected (n, " + std::to_string(d) + ")");
        }
        out.keep.push_back(x);
        out.dense = {ptr<T>(x), d};
        out.n = x.shape(0);
        return out;
    }
    out.csr = true;
    py::array data = checked(fn, X, "X", f64, false, -1);
    py::array ind =
        checked(fn, indices, "indices", py::dtype::of<std::int32_t>(), false, data.size());
    py::array ptrs = checked(fn, indptr, "indptr", py::dtype::of<std::int64_t>(), false, -1);
    if (data.ndim() != 1 || ind.ndim() != 1 || ptrs.ndim() != 1 || ptrs.size() < 1) {
        value_error(fn, "X, indices, indptr must be 1-D CSR arrays");
    }
    out.keep.insert(out.keep.end(), {data, ind, ptrs});
    const auto* p = ptr<std::int64_t>(ptrs);
    const auto* j = ptr<std::int32_t>(ind);
    const py::ssize_t n = ptrs.size() - 1;
    if (p[0] != 0 || p[n] != data.size()) {
        value_error(fn, "indptr must start at 0 and end at the number of stored entries");
    }
    const auto cols = static_cast<std::int32_t>(d);
    for (py::ssize_t r = 0; r < n; ++r) {
        if (p[r + 1] < p[r]) value_error(fn, "indptr must be non-decreasing");
        const std::int64_t lo = p[r], hi = p[r + 1];
        // branch-free so that the pass over every stored index vectorises
        int bad = lo < hi && (j[lo] < 0 || j[lo] >= cols);
        for (std::int64_t e = lo + 1; e < hi; ++e) bad |= (j[e] <= j[e - 1]) | (j[e] >= cols);
        if (bad) {
            value_error(fn, "indices of row " + std::to_string(r) +
                                " must be sorted, unique and in [0, " + std::to_string(d) + ")");
        }
    }
    out.sparse = {ptr<T>(data), j, p};
    out.n = n;
    return out;
}

}  // namespace steepest::bind::sgd_args
