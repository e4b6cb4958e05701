// Validation of everything a binding receives, done before any write so the
// user's arrays stay untouched on error: arrays (type, dtype, shape,
// contiguity, alignment, writeability, overlap), hyperparameters and ints.
// The one home of the bindings' checks.
// Mirrors steepest/_validation.py message for message.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inline_list.hpp"
#include "steepest/core/common.hpp"
#include "steepest/rules/rule.hpp"

namespace steepest::bind {

namespace py = pybind11;

[[noreturn]] inline void type_error(const std::string& fn, const std::string& msg) {
    throw py::type_error(fn + ": " + msg);
}
[[noreturn]] inline void value_error(const std::string& fn, const std::string& msg) {
    throw py::value_error(fn + ": " + msg);
}

inline std::string py_repr(py::handle h) { return std::string(py::repr(h)); }
inline std::string type_name(py::handle h) {
    return std::string(py::str(py::type::of(h).attr("__name__")));
}
inline std::string repr_float(double x) { return py_repr(py::float_(x)); }

inline std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
        if (d) s += ", ";
        s += std::to_string(a.shape(d));
    }
    return s + (a.ndim() == 1 ? ",)" : ")");
}

inline std::string dtype_str(const py::array& a) { return std::string(py::str(a.dtype())); }

// f16 / bf16: a param or grad stored in 16 bits (state float32; core/half.hpp).
enum class elem { f32, f64, f16, bf16 };

// One list argument (or a single array standing for a one-element list).
struct list_arg {
    const char* name;
    py::handle obj;
    bool written;
    bool single = false;
    inline_list<py::array> items;

    list_arg(const char* n, py::handle o, bool w) : name(n), obj(o), written(w) {}

    std::string label(std::size_t i) const {
        return single ? std::string(name) : std::string(name) + "[" + std::to_string(i) + "]";
    }
};

inline void unpack(const std::string& fn, list_arg& a) {
    if (py::isinstance<py::array>(a.obj)) {
        a.single = true;
        a.items.push_back(py::reinterpret_borrow<py::array>(a.obj));
        return;
    }
    if (!py::isinstance<py::list>(a.obj) && !py::isinstance<py::tuple>(a.obj)) {
        type_error(fn, std::string(a.name) + " must be a numpy.ndarray or a list of them, got " +
                           type_name(a.obj));
    }
    auto seq = py::reinterpret_borrow<py::sequence>(a.obj);
    a.items.reserve(seq.size());
    for (std::size_t i = 0; i < seq.size(); ++i) {
        py::object item = seq[i];
        if (!py::isinstance<py::array>(item)) {
            type_error(fn, a.label(i) + " must be a numpy.ndarray, got " +
                               type_name(item));
        }
        a.items.push_back(py::reinterpret_borrow<py::array>(item));
    }
}

// ml_dtypes.bfloat16 (or any 2-byte dtype of that name: the same format);
// by name, so that ml_dtypes is never imported here.
inline bool is_bfloat16(const py::dtype& dt) {
    return dt.itemsize() == 2 && std::string(py::str(dt)) == "bfloat16";
}

// Whether a's dtype is the builtin float32 or float64 descriptor (compared by
// address: a step's checks run on every call), and which, in `out`.
inline bool builtin_kind(const py::array& a, elem& out) {
    static const py::dtype f32 = py::dtype::of<float>(), f64 = py::dtype::of<double>();
    PyObject* descr = py::detail::array_proxy(a.ptr())->descr;
    if (descr == f32.ptr()) {
        out = elem::f32;
        return true;
    }
    if (descr == f64.ptr()) {
        out = elem::f64;
        return true;
    }
    return false;
}

// What an array argument's dtype says of its elements; float16 and bfloat16
// only where `half` (params and grads of the optimizer steps).
inline elem float_kind(const std::string& fn, const std::string& label, const py::array& a,
                       bool half = false) {
    elem quick;
    if (builtin_kind(a, quick)) return quick;
    const py::dtype dt = a.dtype();
    if (dt.equal(py::dtype::of<float>())) return elem::f32;
    if (dt.equal(py::dtype::of<double>())) return elem::f64;
    if (half) {
        if (dt.kind() == 'f' && dt.itemsize() == 2) return elem::f16;
        if (is_bfloat16(dt)) return elem::bf16;
        type_error(fn, label + " has dtype " + dtype_str(a) +
                           "; expected float32, float64, float16 or bfloat16");
    }
    type_error(fn, label + " has dtype " + dtype_str(a) + "; expected float32 or float64");
}

// Whether a list argument holds a float16 or bfloat16 array (no checks:
// check_lists checks it after).
inline bool any_half(py::handle obj) {
    auto is_half = [](py::handle h) {
        if (!py::isinstance<py::array>(h)) return false;
        const py::dtype dt = py::reinterpret_borrow<py::array>(h).dtype();
        return (dt.kind() == 'f' && dt.itemsize() == 2) || is_bfloat16(dt);
    };
    if (py::isinstance<py::list>(obj) || py::isinstance<py::tuple>(obj)) {
        for (py::handle item : obj) {
            if (is_half(item)) return true;
        }
        return false;
    }
    return is_half(obj);
}

inline py::array as_array(const std::string& fn, const std::string& label, py::handle h) {
    if (!py::isinstance<py::array>(h)) {
        type_error(fn, label + " must be a numpy.ndarray, got " + type_name(h));
    }
    return py::reinterpret_borrow<py::array>(h);
}

// C-contiguous, aligned, of dtype `dt`, writeable when `written`.
inline void check_layout(const std::string& fn, const std::string& label, const py::array& a,
                         const py::dtype& dt, bool written) {
    if (!a.dtype().equal(dt)) {
        type_error(fn,
                   label + " has dtype " + dtype_str(a) + "; expected " + std::string(py::str(dt)));
    }
    const int flags = py::detail::array_proxy(a.ptr())->flags;
    if (!(flags & py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_)) {
        value_error(fn, label + " must be C-contiguous");
    }
    if (!(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) value_error(fn, label + " is not aligned");
    if (written && !(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_)) {
        value_error(fn, label + " is read-only");
    }
}

struct byte_range {
    std::uintptr_t lo, hi;
    std::size_t arg, index;
};

// Validates args[0] (the params) against every other list; returns the element
// kind of each param. Lists with `obj` None must have been removed by the caller.
// With `half`, args[1] being the grads, a float16 or bfloat16 param takes a
// grad of its own dtype and float32 state: the lists from `state_from` on (1
// where no grads come between, as lookahead_sync's slow weights).
inline std::vector<elem> check_lists(const std::string& fn, std::vector<list_arg>& args,
                                     bool half = false, std::size_t state_from = 2) {
    for (auto& a : args) unpack(fn, a);
    const list_arg& params = args[0];
    if (params.items.empty()) value_error(fn, std::string(params.name) + " is an empty list");
    for (std::size_t k = 1; k < args.size(); ++k) {
        if (args[k].items.size() != params.items.size()) {
            value_error(fn, std::string(args[k].name) + " has " +
                                std::to_string(args[k].items.size()) + " arrays but " +
                                params.name + " has " + std::to_string(params.items.size()));
        }
    }
    std::vector<elem> kinds;
    std::vector<byte_range> written, read;
    kinds.reserve(params.items.size());
    written.reserve(params.items.size() * args.size());
    read.reserve(params.items.size());
    for (std::size_t i = 0; i < params.items.size(); ++i) {
        const py::array& p = params.items[i];
        // the label (a string) only for a dtype that may be refused
        elem kind;
        if (!builtin_kind(p, kind)) kind = float_kind(fn, params.label(i), p, half);
        kinds.push_back(kind);
        const bool narrow = kind == elem::f16 || kind == elem::bf16;
        for (std::size_t k = 0; k < args.size(); ++k) {
            const list_arg& a = args[k];
            const py::array& x = a.items[i];
            if (k >= state_from && narrow) {
                if (!x.dtype().equal(py::dtype::of<float>())) {
                    type_error(fn, a.label(i) + " has dtype " + dtype_str(x) +
                                       "; expected float32, the state of " + params.label(i) +
                                       " (" + dtype_str(p) + ")");
                }
            } else if (k > 0) {
                if (py::detail::array_proxy(x.ptr())->descr !=
                        py::detail::array_proxy(p.ptr())->descr &&
                    !x.dtype().equal(p.dtype())) {
                    type_error(fn, a.label(i) + " has dtype " + dtype_str(x) + " but " +
                                       params.label(i) + " has dtype " + dtype_str(p));
                }
            }
            if (k > 0) {
                bool same = x.ndim() == p.ndim();
                for (py::ssize_t d = 0; same && d < x.ndim(); ++d) same = x.shape(d) == p.shape(d);
                if (!same) {
                    value_error(fn, a.label(i) + " has shape " + shape_str(x) + " but " +
                                        params.label(i) + " has shape " + shape_str(p));
                }
            }
            int flags = x.flags();
            if (!(flags & py::array::c_style)) {
                value_error(fn, a.label(i) + " is not C-contiguous");
            }
            if (!(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
                value_error(fn, a.label(i) + " is not aligned");
            }
            if (a.written && !(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_)) {
                value_error(fn, a.label(i) + " is read-only");
            }
            if (x.nbytes() == 0) continue;
            auto lo = reinterpret_cast<std::uintptr_t>(x.data());
            byte_range r{lo, lo + static_cast<std::uintptr_t>(x.nbytes()), k, i};
            (a.written ? written : read).push_back(r);
        }
    }
    auto by_lo = [](const byte_range& a, const byte_range& b) { return a.lo < b.lo; };
    auto overlap = [&](const byte_range& a, const byte_range& b) {
        value_error(fn, args[b.arg].label(b.index) + " overlaps " + args[a.arg].label(a.index) +
                            " in memory");
    };
    std::stable_sort(written.begin(), written.end(), by_lo);
    for (std::size_t j = 1; j < written.size(); ++j) {
        if (written[j].lo < written[j - 1].hi) overlap(written[j - 1], written[j]);
    }
    for (const byte_range& r : read) {
        auto it = std::upper_bound(written.begin(), written.end(), r, by_lo);
        if (it != written.end() && it->lo < r.hi) overlap(*it, r);
        if (it != written.begin() && std::prev(it)->hi > r.lo) overlap(*std::prev(it), r);
    }
    return kinds;
}

// A real number: Python int or float, or a NumPy integer or floating scalar;
// bool and everything else (strings included) is a TypeError naming `name`.
inline double real_arg(const std::string& fn, const char* name, py::handle h) {
    PyObject* o = h.ptr();
    if (PyFloat_Check(o)) return PyFloat_AS_DOUBLE(o);
    bool ok = (PyLong_Check(o) && !PyBool_Check(o));
    if (!ok) {
        // Leaked on purpose: module-lifetime references, looked up once.
        static py::handle real = py::object(py::module_::import("numbers").attr("Real")).release();
        static py::handle np_bool = py::object(py::module_::import("numpy").attr("bool_")).release();
        ok = !PyBool_Check(o) && PyObject_IsInstance(o, real.ptr()) == 1 &&
             PyObject_IsInstance(o, np_bool.ptr()) == 0;
    }
    if (!ok) {
        type_error(fn, std::string(name) + " must be a real number, got " +
                           type_name(h));
    }
    double x = PyFloat_AsDouble(o);
    if (x == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return x;
}

// A flag: Python bool or numpy.bool_; anything else is a TypeError naming `name`.
inline bool bool_arg(const std::string& fn, const char* name, py::handle h) {
    if (PyBool_Check(h.ptr())) return h.ptr() == Py_True;
    static py::handle np_bool = py::object(py::module_::import("numpy").attr("bool_")).release();
    if (PyObject_IsInstance(h.ptr(), np_bool.ptr()) == 1) return PyObject_IsTrue(h.ptr()) == 1;
    type_error(fn, std::string(name) + " must be a bool, got " +
                       type_name(h));
}

inline void check_between(const std::string& fn, const char* name, double x, double lo, double hi,
                          bool hi_open, const char* interval) {
    bool ok = std::isfinite(x) && x >= lo && (hi_open ? x < hi : x <= hi);
    if (!ok) value_error(fn, std::string(name) + " must be in " + interval + ", got " + repr_float(x));
}

inline void check_nonnegative(const std::string& fn, const char* name, double x) {
    if (!(std::isfinite(x) && x >= 0)) {
        value_error(fn, std::string(name) + " must be a finite number >= 0, got " + repr_float(x));
    }
}

inline void check_positive(const std::string& fn, const char* name, double x) {
    if (!(std::isfinite(x) && x > 0)) {
        value_error(fn, std::string(name) + " must be a finite number > 0, got " + repr_float(x));
    }
}

// Finite and strictly between lo and hi (hi may be infinite).
inline void check_open(const std::string& fn, const char* name, double x, double lo, double hi,
                       const char* interval) {
    if (!(std::isfinite(x) && x > lo && x < hi)) {
        value_error(fn, std::string(name) + " must be in " + interval + ", got " + repr_float(x));
    }
}

// A real hyperparameter in the range its rule declares.
inline void check_range(const std::string& fn, const char* name, double x, rules::range r) {
    switch (r) {
        case rules::range::nonnegative: return check_nonnegative(fn, name, x);
        case rules::range::positive: return check_positive(fn, name, x);
        case rules::range::unit_closed: return check_between(fn, name, x, 0.0, 1.0, false, "[0, 1]");
        case rules::range::unit_open: return check_between(fn, name, x, 0.0, 1.0, true, "[0, 1)");
        case rules::range::unit_interior: return check_open(fn, name, x, 0.0, 1.0, "(0, 1)");
        case rules::range::above_one: return check_open(fn, name, x, 1.0, HUGE_VAL, "(1, inf)");
    }
}

// An int (not bool) in [lo, hi].
inline long long int_arg(const std::string& fn, const char* name, py::handle h, long long lo,
                         long long hi) {
    if (!PyIndex_Check(h.ptr()) || PyBool_Check(h.ptr())) {
        type_error(fn, std::string(name) + " must be an int, got " + type_name(h));
    }
    auto value = py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr()));
    int overflow = 0;
    const long long x = PyLong_AsLongLongAndOverflow(value.ptr(), &overflow);
    if (overflow != 0 || x < lo || x > hi) {
        value_error(fn, std::string(name) + " must be in [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "], got " + std::string(py::str(value)));
    }
    return x;
}

// Any integer (Python int, NumPy integer) but bool, like operator.index.
inline long long check_step(const std::string& fn, py::handle step) {
    PyObject* index = nullptr;
    if (PyIndex_Check(step.ptr()) && !PyBool_Check(step.ptr())) index = PyNumber_Index(step.ptr());
    if (index == nullptr) {
        PyErr_Clear();
        type_error(fn, "step must be an int, got " +
                           type_name(step));
    }
    auto as_int = py::reinterpret_steal<py::int_>(index);
    int overflow = 0;
    long long t = PyLong_AsLongLongAndOverflow(as_int.ptr(), &overflow);
    if (overflow > 0) value_error(fn, "step must be < 2**63, got " + std::string(py::str(as_int)));
    if (overflow < 0 || t < 1) value_error(fn, "step must be >= 1, got " + std::string(py::str(as_int)));
    return t;
}

enum class nonfinite_mode { raise, skip, ignore };

inline nonfinite_mode check_nonfinite(const std::string& fn, py::handle mode) {
    if (PyUnicode_Check(mode.ptr())) {
        Py_ssize_t size = 0;
        const char* m = PyUnicode_AsUTF8AndSize(mode.ptr(), &size);
        if (m == nullptr) throw py::error_already_set();
        const std::string_view v(m, static_cast<std::size_t>(size));
        if (v == "raise") return nonfinite_mode::raise;
        if (v == "skip") return nonfinite_mode::skip;
        if (v == "ignore") return nonfinite_mode::ignore;
    }
    value_error(fn, "nonfinite must be 'raise', 'skip' or 'ignore', got " + py_repr(mode));
}

}  // namespace steepest::bind
