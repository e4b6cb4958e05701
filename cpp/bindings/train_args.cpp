// The params, data, targets and options of the training loop's binding
// (train_args.hpp), each checked before any array is touched.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "train_args.hpp"

namespace steepest::bind::train_args {
namespace {

const std::string fn = "train_epoch";

py::array as_array(const std::string& label, py::handle h) { return bind::as_array(fn, label, h); }

void check_layout(const std::string& label, const py::array& a, const py::dtype& dt, bool written) {
    bind::check_layout(fn, label, a, dt, written);
}

// Multilabel targets must be 0 or 1 (the loss picks its branch by y == 1).
template <class T>
void check_indicators(const T* v, index_t count) {
    for (index_t i = 0; i < count; ++i) {
        if (!(v[i] == T(0) || v[i] == T(1))) {
            value_error(fn, "y (multilabel_log_loss) must hold 0 or 1, got " +
                                std::to_string(double(v[i])) + " at flat index " +
                                std::to_string(i));
        }
    }
}

void check_indicators(const py::array& y, index_t count) {
    if (y.dtype().is(py::dtype::of<float>())) {
        check_indicators(static_cast<const float*>(y.data()), count);
    } else {
        check_indicators(static_cast<const double*>(y.data()), count);
    }
}

}  // namespace

void read_ema(epoch_args& a, py::handle ema, py::handle decay, py::handle copy_step) {
    if (ema.is_none()) return;
    if (!py::isinstance<py::list>(ema) || py::len(ema) != a.params.size()) {
        value_error(fn, "ema must be None or a list of " + std::to_string(a.params.size()) +
                            " arrays");
    }
    auto list = py::reinterpret_borrow<py::list>(ema);
    for (std::size_t i = 0; i < a.params.size(); ++i) {
        const std::string item = "ema[" + std::to_string(i) + "]";
        py::array e = as_array(item, list[i]);
        check_layout(item, e, a.dt, true);
        const py::array& p = a.params[i];
        bool same = e.ndim() == p.ndim();
        for (py::ssize_t j = 0; same && j < e.ndim(); ++j) same = e.shape(j) == p.shape(j);
        if (!same) {
            value_error(fn, item + " has shape " + shape_str(e) + " but params[" +
                                std::to_string(i) + "] has shape " + shape_str(p));
        }
        // the average reads the param it follows: the two must not share memory
        const auto lo = reinterpret_cast<std::uintptr_t>(e.data());
        const auto plo = reinterpret_cast<std::uintptr_t>(p.data());
        if (e.nbytes() > 0 && lo < plo + static_cast<std::uintptr_t>(p.nbytes()) &&
            plo < lo + static_cast<std::uintptr_t>(e.nbytes())) {
            value_error(fn, item + " overlaps params[" + std::to_string(i) + "] in memory");
        }
        a.ema.push_back(e);
    }
    a.ema_decay = real_arg(fn, "ema_decay", decay);
    check_between(fn, "ema_decay", a.ema_decay, 0.0, 1.0, true, "[0, 1)");
    a.ema_copy_step = int_arg(fn, "ema_copy_step", copy_step, -1,
                              std::numeric_limits<long long>::max());
}

// [W1, b1, ..., WL, bL]: one float dtype, writeable, shapes chained.
void read_params(epoch_args& a, py::handle obj) {
    if (!py::isinstance<py::list>(obj)) {
        type_error(fn, "params must be a list of arrays, got " + type_name(obj));
    }
    auto list = py::reinterpret_borrow<py::list>(obj);
    if (list.size() < 2 || list.size() % 2) {
        value_error(fn, "params must hold [W1, b1, ..., WL, bL] (an even count >= 2), got " +
                            std::to_string(list.size()) + " arrays");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        a.params.push_back(as_array("params[" + std::to_string(i) + "]", list[i]));
    }
    a.kind = float_kind(fn, "params[0]", a.params[0]);
    a.dt = a.params[0].dtype();
    const std::size_t L = a.params.size() / 2;
    for (std::size_t l = 0; l < L; ++l) {
        const py::array& W = a.params[2 * l];
        const py::array& b = a.params[2 * l + 1];
        const std::string wl = "params[" + std::to_string(2 * l) + "]";
        const std::string bl = "params[" + std::to_string(2 * l + 1) + "]";
        check_layout(wl, W, a.dt, true);
        check_layout(bl, b, a.dt, true);
        if (!(W.ndim() == 2 || (W.ndim() == 1 && L == 1))) {
            value_error(
                fn, wl + " must be 2-D (or 1-D without hidden layers), got shape " + shape_str(W));
        }
        const index_t in = W.shape(0), out = W.ndim() == 2 ? W.shape(1) : 1;
        if (l > 0 && in != a.units.back()) {
            value_error(fn, wl + " has shape " + shape_str(W) +
                                "; its rows must match the previous layer's " +
                                std::to_string(a.units.back()) + " units");
        }
        if (b.ndim() != 1 || b.shape(0) != out) {
            value_error(fn, bl + " has shape " + shape_str(b) + "; expected (" +
                                std::to_string(out) + ",)");
        }
        if (in < 1 || out < 1) {
            value_error(fn, wl + " has shape " + shape_str(W) + "; layers need at least one unit");
        }
        if (!blas::fits(in) || !blas::fits(out)) {
            value_error(fn, wl + " is too large for the 32-bit BLAS");
        }
        if (l == 0) a.units.push_back(in);
        a.units.push_back(out);
    }
}

void check_permutation(const py::array& perm, index_t n) {
    check_layout("perm", perm, py::dtype::of<std::int64_t>(), false);
    if (perm.ndim() != 1 || perm.shape(0) != n) {
        value_error(
            fn, "perm has shape " + shape_str(perm) + "; expected (" + std::to_string(n) + ",)");
    }
    const auto* p = static_cast<const std::int64_t*>(perm.data());
    std::vector<char> seen(static_cast<std::size_t>(n), 0);
    for (index_t i = 0; i < n; ++i) {
        if (p[i] < 0 || p[i] >= n || seen[static_cast<std::size_t>(p[i])]) {
            value_error(fn, "perm must be a permutation of range(" + std::to_string(n) +
                                ") (each index once)");
        }
        seen[static_cast<std::size_t>(p[i])] = 1;
    }
}

void check_targets(const epoch_args& a, index_t n) {
    const index_t k = a.units.back();
    const py::array& y = a.y;
    if (a.loss == model::loss_kind::squared || a.loss == model::loss_kind::multilabel) {
        check_layout("y", y, a.dt, false);
        const bool rows = y.ndim() >= 1 && y.shape(0) == n;
        const bool ok = k == 1 ? rows && (y.ndim() == 1 || (y.ndim() == 2 && y.shape(1) == 1))
                               : rows && y.ndim() == 2 && y.shape(1) == k;
        if (!ok) {
            value_error(fn, "y has shape " + shape_str(y) + "; expected " + std::to_string(n) +
                                " rows of " + std::to_string(k) + " targets");
        }
        if (a.loss == model::loss_kind::multilabel) check_indicators(y, n * k);
        return;
    }
    check_layout("y", y, py::dtype::of<std::int64_t>(), false);
    if (y.ndim() != 1 || y.shape(0) != n) {
        value_error(fn, "y has shape " + shape_str(y) + "; expected (" + std::to_string(n) + ",)");
    }
    const auto* label = static_cast<const std::int64_t*>(y.data());
    const std::int64_t classes = k == 1 ? 2 : k;
    for (index_t i = 0; i < n; ++i) {
        if (label[i] < 0 || label[i] >= classes) {
            value_error(fn, "y[" + std::to_string(i) + "] = " + std::to_string(label[i]) +
                                " is not a class index in [0, " + std::to_string(classes) + ")");
        }
    }
}

// X dense (n >= 1, d); or, with indices and indptr, the data of a CSR matrix
// with d columns: int32 indices in [0, d) (any order; a repeated one adds
// up), int64 indptr of n + 1 >= 2 non-decreasing offsets from 0 to nnz.
void read_X(epoch_args& a, py::handle X, py::handle indices, py::handle indptr) {
    const index_t d = a.units[0];
    a.X = as_array("X", X);
    check_layout("X", a.X, a.dt, false);
    a.csr = !indices.is_none() || !indptr.is_none();
    if (!a.csr) {
        if (a.X.ndim() != 2 || a.X.shape(1) != d || a.X.shape(0) < 1) {
            value_error(fn, "X has shape " + shape_str(a.X) + "; expected (n >= 1, " +
                                std::to_string(d) + ")");
        }
        a.n = a.X.shape(0);
        return;
    }
    a.X_indices = as_array("X_indices", indices);
    a.X_indptr = as_array("X_indptr", indptr);
    check_layout("X_indices", a.X_indices, py::dtype::of<std::int32_t>(), false);
    check_layout("X_indptr", a.X_indptr, py::dtype::of<std::int64_t>(), false);
    if (a.X.ndim() != 1 || a.X_indices.ndim() != 1 || a.X_indices.size() != a.X.size() ||
        a.X_indptr.ndim() != 1 || a.X_indptr.size() < 2) {
        value_error(fn, "a CSR X must be 1-D data and X_indices of one length and X_indptr of "
                        "n + 1 >= 2 offsets, got shapes " + shape_str(a.X) + ", " +
                            shape_str(a.X_indices) + ", " + shape_str(a.X_indptr));
    }
    a.n = a.X_indptr.size() - 1;
    const auto* p = static_cast<const std::int64_t*>(a.X_indptr.data());
    const auto* j = static_cast<const std::int32_t*>(a.X_indices.data());
    if (p[0] != 0 || p[a.n] != a.X.size()) {
        value_error(fn, "X_indptr must run from 0 to the number of stored entries " +
                            std::to_string(a.X.size()));
    }
    for (index_t r = 0; r < a.n; ++r) {
        if (p[r + 1] < p[r]) value_error(fn, "X_indptr must be non-decreasing");
    }
    int bad = 0;  // branch-free: the pass over every stored index vectorises
    for (py::ssize_t e = 0; e < a.X.size(); ++e) bad |= (j[e] < 0) | (j[e] >= d);
    if (bad) value_error(fn, "X_indices must be in [0, " + std::to_string(d) + ")");
}

model::loss_kind read_loss(py::handle obj, index_t outputs) {
    const std::string name = py::str(obj);
    if (name == "squared_error") return model::loss_kind::squared;
    if (name == "log_loss")
        return outputs == 1 ? model::loss_kind::binary : model::loss_kind::softmax;
    if (name == "multilabel_log_loss") return model::loss_kind::multilabel;
    value_error(fn,
                "loss must be 'squared_error', 'log_loss' or 'multilabel_log_loss', got " +
                    py_repr(obj));
}

model::activation read_activation(py::handle obj) {
    const std::string name = py::str(obj);
    if (name == "relu") return model::activation::relu;
    if (name == "tanh") return model::activation::tanh;
    if (name == "sigmoid") return model::activation::sigmoid;
    if (name == "identity") return model::activation::identity;
    value_error(fn, "activation must be one of relu, tanh, sigmoid, identity, got " + py_repr(obj));
}

}  // namespace steepest::bind::train_args
