// Binding of the native training loop: one call runs one epoch of a dense
// network (linear, logistic, MLP) with the GIL released. Everything is checked
// before any array is touched; the estimators in python/steepest/models/
// build the arguments (see python/steepest/models/_epoch.py for their meaning).
#include <pybind11/numpy.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "reduce_hook.hpp"
#include "rule_args.hpp"
#include "schedule_desc.hpp"
#include "steepest/rules/all.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/train/table.hpp"
#include "step_driver.hpp"

namespace steepest::bind {
namespace {

const std::string fn = "train_epoch";

py::array as_array(const std::string& label, py::handle h) { return bind::as_array(fn, label, h); }

void check_layout(const std::string& label, const py::array& a, const py::dtype& dt, bool written) {
    bind::check_layout(fn, label, a, dt, written);
}

// "rule kind must be one of sgd, adagrad, ..., got x" lists the rules.
std::string rule_names() {
    std::string out;
    rules::all::for_each([&out](auto tag) {
        out += (out.empty() ? "" : ", ") + std::string(decltype(tag)::type::name);
    });
    return out;
}

// rule['state'][name]: a list of arrays shaped like the params, for each state
// array the rule's options use (others are ignored, present or not).
// A rule keeping per-param scalars finds them there too: a list of 0-d arrays.
template <class Rule>
void read_state(const Rule& r, const py::dict& d, const std::vector<py::array>& params,
                const py::dtype& dt, std::vector<std::vector<py::array>>& state,
                std::vector<scalar_arg>& scalars) {
    if (!d.contains("state")) value_error(fn, "rule lacks 'state'");
    py::object given = d["state"];
    if (!py::isinstance<py::dict>(given)) {
        type_error(fn, "rule['state'] must be a dict of state name -> list of arrays, got " +
                           type_name(given));
    }
    auto by_name = py::reinterpret_borrow<py::dict>(given);
    state.assign(Rule::state.size(), {});
    for (std::size_t k = 0; k < Rule::state.size(); ++k) {
        if (!r.uses(k)) continue;
        const char* name = Rule::state[k];
        const std::string label = std::string("rule['state']['") + name + "']";
        if (!by_name.contains(name) || by_name[name].is_none()) {
            value_error(fn, label + " is required by " + Rule::name + " with these options");
        }
        py::object arrays = by_name[name];
        if (!py::isinstance<py::list>(arrays) || py::len(arrays) != params.size()) {
            value_error(fn,
                        label + " must be a list of " + std::to_string(params.size()) + " arrays");
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            std::string item = label + "[" + std::to_string(i) + "]";
            py::array a = as_array(item, py::reinterpret_borrow<py::list>(arrays)[i]);
            check_layout(item, a, dt, true);
            bool same = a.ndim() == params[i].ndim();
            for (py::ssize_t j = 0; same && j < a.ndim(); ++j)
                same = a.shape(j) == params[i].shape(j);
            if (!same) {
                value_error(fn, item + " has shape " + shape_str(a) + " but params[" +
                                    std::to_string(i) + "] has shape " + shape_str(params[i]));
            }
            state[k].push_back(a);
        }
    }
    scalars.clear();
    if constexpr (rules::scalar_count<Rule>() > 0) {
        for (const char* name : Rule::scalars) {
            const std::string label = std::string("rule['state']['") + name + "']";
            if (!by_name.contains(name) || !py::isinstance<py::list>(by_name[name])) {
                value_error(fn, label + " must be a list of " + std::to_string(params.size()) +
                                    " 0-d arrays");
            }
            scalars.push_back(check_scalars(fn, label.c_str(), by_name[name], params.size()));
        }
    }
}

// {"kind": rule name, <its hyperparameters by name>, "state": {name: [arrays]}}
any_rule read_rule(const py::dict& d, const std::vector<py::array>& params, const py::dtype& dt,
                   std::vector<std::vector<py::array>>& state, std::vector<scalar_arg>& scalars) {
    auto get = [&](std::size_t, const char* key) -> py::object {
        if (!d.contains(key)) value_error(fn, std::string("rule lacks '") + key + "'");
        return d[key];
    };
    const std::string kind = py::str(get(0, "kind"));
    any_rule out;
    const bool known = rules::all::visit_named(kind.c_str(), [&](auto tag) {
        typename decltype(tag)::type r{};
        read_hyper(fn, r, get, hyper_pass::reals);
        read_hyper(fn, r, get, hyper_pass::flags);
        read_hyper(fn, r, get, hyper_pass::ranges);
        check_combination(fn, r);
        read_state(r, d, params, dt, state, scalars);
        out = r;
    });
    if (!known) value_error(fn, "rule kind must be one of " + rule_names() + ", got " + kind);
    return out;
}

// Everything one epoch needs, checked.
struct epoch_args {
    std::vector<py::array> params;
    std::vector<index_t> units;  // n0 (features), ..., nL (outputs)
    elem kind = elem::f64;
    py::dtype dt;
    any_rule r;
    std::vector<std::vector<py::array>> state;
    std::vector<scalar_arg> scalars;  // the rule's per-param scalars, if it keeps any
    long long step = 0;
    schedule::schedule sched;
    bool has_sched = false;
    double lr = 0, lr_scale = 1, alpha = 0, l1_ratio = 0;
    py::array X, y, perm;
    py::array X_indices, X_indptr;  // X as CSR: X holds its data (else unused)
    bool csr = false;
    index_t n = 0;
    py::object weights;  // None or an array (n,) of the params' dtype
    index_t batch = 0;
    model::loss_kind loss = model::loss_kind::squared;
    model::activation act = model::activation::identity;
    int n_threads = 0;
    bool fit_bias = true;
    std::vector<py::array> ema;  // the params' moving average, or none
    double ema_decay = 0;
    long long ema_copy_step = -1;
    py::object reduce;  // data-parallel: the all-reduce (None: one process)
    py::array batches;  // data-parallel: the global rows of each step
};

// ema: None, or a list of arrays alike to the params (written) and apart
// from them; the decay in [0, 1).
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

// y: targets of the params' dtype (squared error; multilabel: 0/1 indicators)
// or class indices (int64).
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

template <class T>
T* data_of(const py::array& a) {
    return static_cast<T*>(const_cast<void*>(a.data()));
}

template <class T>
train::epoch_result run(const epoch_args& a) {
    model::network<T> net;
    net.units = a.units;
    net.hidden = a.act;
    net.loss = a.loss;
    net.pen = model::penalty(a.alpha, a.l1_ratio);
    net.fixed_bias = !a.fit_bias;
    for (std::size_t i = 0; i < a.params.size(); i += 2) {
        net.weights.push_back(data_of<T>(a.params[i]));
        net.biases.push_back(data_of<T>(a.params[i + 1]));
    }
    train::optimizer<T> opt;
    opt.r = a.r;
    opt.state.assign(a.state.size(), std::vector<T*>(a.params.size(), nullptr));
    for (std::size_t k = 0; k < a.state.size(); ++k) {
        for (std::size_t i = 0; i < a.state[k].size(); ++i)
            opt.state[k][i] = data_of<T>(a.state[k][i]);
    }
    if (!a.scalars.empty()) {
        opt.scalars.assign(a.params.size(), scalar_row{});
        for (std::size_t i = 0; i < a.params.size(); ++i) {
            for (std::size_t k = 0; k < a.scalars.size(); ++k) {
                opt.scalars[i][k] = a.scalars[k].cell(i);
            }
        }
    }
    opt.steps = a.step;
    opt.sched = a.has_sched ? &a.sched : nullptr;
    opt.lr = a.lr;
    opt.lr_scale = a.lr_scale;
    for (const py::array& e : a.ema) opt.ema.push_back(data_of<T>(e));
    opt.ema_decay = a.ema_decay;
    opt.ema_copy_step = a.ema_copy_step;
    const bool labels =
        a.loss == model::loss_kind::binary || a.loss == model::loss_kind::softmax;
    train::data<T> in{a.csr ? nullptr : data_of<T>(a.X),
                      labels ? data_of<std::int64_t>(a.y) : nullptr,
                      labels ? nullptr : data_of<T>(a.y), data_of<std::int64_t>(a.perm), a.n};
    if (a.csr) {
        in.csr = {data_of<T>(a.X), data_of<std::int32_t>(a.X_indices),
                  data_of<std::int64_t>(a.X_indptr)};
    }
    if (!a.weights.is_none()) in.weights = data_of<T>(py::reinterpret_borrow<py::array>(a.weights));
    // Ctrl-C during a long epoch: Python's handler only sets a flag; this runs
    // it (with the GIL) between batches, and an exception it raises stays set
    // for train_epoch to throw once the loop has returned.
    train::stop_check check(
        [](void*) {
            py::gil_scoped_acquire gil;
            return PyErr_CheckSignals() != 0;
        },
        nullptr);
    py::gil_scoped_release nogil;
    int& limit = calling_thread_limit();
    const int saved = limit;
    limit = a.n_threads;
    // the loop's steps keep OpenMP's team: the pool's threads spin after a
    // job, while the next batch's GEMMs need every core (core/pool.hpp)
    bool& pooled = pool_allowed();
    const bool saved_pooled = pooled;
    pooled = false;
    try {
        train::epoch_result res =
            a.reduce.is_none()
                ? train::loops<T>().run_epoch(net, opt, in, a.batch, check)
                : train::loops<T>().run_epoch_data_parallel(
                      net, opt, in, a.batch, data_of<std::int64_t>(a.batches),
                      static_cast<index_t>(a.batches.shape(0)), python_all_reduce<T>(a.reduce),
                      check);
        limit = saved;
        pooled = saved_pooled;
        // the steps applied count, whatever ended the epoch
        for (std::size_t i = 0; i < opt.scalars.size(); ++i) {
            for (std::size_t k = 0; k < a.scalars.size(); ++k) {
                a.scalars[k].store(i, opt.scalars[i][k]);
            }
        }
        return res;
    } catch (...) {
        limit = saved;
        pooled = saved_pooled;
        throw;
    }
}

py::tuple train_epoch(py::handle params, py::handle rule_, py::handle step, py::handle sched,
                      py::handle lr, py::handle lr_scale, py::handle X, py::handle y,
                      py::handle perm, py::handle batch, py::handle loss, py::handle act,
                      py::handle alpha, py::handle l1_ratio, py::handle threads, py::handle ema,
                      py::handle ema_decay, py::handle ema_copy_step, py::handle sample_weight,
                      py::handle fit_intercept, py::handle reduce, py::handle batches,
                      py::handle X_indices, py::handle X_indptr) {
    epoch_args a;
    read_params(a, params);
    if (!py::isinstance<py::dict>(rule_)) {
        type_error(fn, "rule must be a dict, got " + type_name(rule_));
    }
    a.r = read_rule(py::reinterpret_borrow<py::dict>(rule_), a.params, a.dt, a.state, a.scalars);
    a.step = int_arg(fn, "step", step, 0, std::numeric_limits<long long>::max() - 1);
    a.has_sched = !sched.is_none();
    if (a.has_sched) a.sched = compile_schedule(sched);
    a.lr = real_arg(fn, "lr", lr);
    a.lr_scale = real_arg(fn, "lr_scale", lr_scale);
    check_nonnegative(fn, "lr", a.lr);
    check_nonnegative(fn, "lr_scale", a.lr_scale);
    read_X(a, X, X_indices, X_indptr);
    const index_t n = a.n;
    if (!blas::fits(n)) value_error(fn, "X has too many rows for the 32-bit BLAS");
    a.loss = read_loss(loss, a.units.back());
    a.y = as_array("y", y);
    a.perm = as_array("perm", perm);
    check_permutation(a.perm, n);
    check_targets(a, n);
    if (!py::isinstance<py::bool_>(fit_intercept)) {
        type_error(fn, "fit_intercept must be a bool, got " + type_name(fit_intercept));
    }
    a.fit_bias = fit_intercept.cast<bool>();
    a.weights = py::none();
    if (!sample_weight.is_none()) {
        py::array w = as_array("sample_weight", sample_weight);
        check_layout("sample_weight", w, a.dt, false);
        if (w.ndim() != 1 || w.shape(0) != n) {
            value_error(fn, "sample_weight has shape " + shape_str(w) + "; expected (" +
                                std::to_string(n) + ",)");
        }
        a.weights = w;
    }
    a.batch = static_cast<index_t>(
        int_arg(fn, "batch_size", batch, 0, std::numeric_limits<long long>::max()));
    a.act = read_activation(act);
    a.alpha = real_arg(fn, "alpha", alpha);
    a.l1_ratio = real_arg(fn, "l1_ratio", l1_ratio);
    check_nonnegative(fn, "alpha", a.alpha);
    check_between(fn, "l1_ratio", a.l1_ratio, 0.0, 1.0, false, "[0, 1]");
    // more threads than this is a typo, not a machine
    a.n_threads = static_cast<int>(int_arg(fn, "n_threads", threads, 0, 4096));
    read_ema(a, ema, ema_decay, ema_copy_step);
    a.reduce = py::reinterpret_borrow<py::object>(reduce);
    if (!a.reduce.is_none()) {
        if (!PyCallable_Check(reduce.ptr())) {
            type_error(fn, "reduce must be callable or None, got " + type_name(reduce));
        }
        a.batches = as_array("batches", batches);
        check_global_batches(fn, a.batches, n, a.batch);
    }
    train::epoch_result res = a.kind == elem::f32 ? run<float>(a) : run<double>(a);
    if (res.stopped) throw py::error_already_set();  // what the signal handler raised
    return py::make_tuple(res.loss, res.steps);
}

}  // namespace

void register_train(py::module_& m) {
    using py::arg;
    m.def("train_epoch", &train_epoch,
          "One epoch of mini-batch descent of a dense network, in place; returns (loss, steps).",
          arg("params"), arg("rule"), arg("step"), arg("schedule"), arg("lr"), arg("lr_scale"),
          arg("X"), arg("y"), arg("perm"), arg("batch_size"), arg("loss"), arg("activation"),
          arg("alpha"), arg("l1_ratio"), arg("n_threads"), arg("ema") = py::none(),
          arg("ema_decay") = 0.0, arg("ema_copy_step") = -1, arg("sample_weight") = py::none(),
          arg("fit_intercept") = true, arg("reduce") = py::none(), arg("batches") = py::none(),
          arg("X_indices") = py::none(), arg("X_indptr") = py::none());
    m.def(
        "_set_split_work",
        [](double work) {
            if (std::isnan(work)) value_error("_set_split_work", "work must not be NaN");
            train::split_override().store(work < 0 ? -1.0 : work);
        },
        "Tests and benchmarks: split batches of at least `work` rows x params over "
        "the threads (inf: never; a negative value restores the default).",
        arg("work"));
    m.def(
        "_get_split_work", [] { return train::split_work(); },
        "The rows x params from which batches are split over the threads.");
}

}  // namespace steepest::bind
