// Binding of the native training loop: one call runs one epoch of a dense
// network (linear, logistic, MLP) with the GIL released. Everything is checked
// before any array is touched; the estimators in python/steepest/models/
// build the arguments (see python/steepest/models/_epoch.py for their meaning).
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "schedule_desc.hpp"
#include "steepest/train/loop.hpp"

namespace steepest::bind {
namespace {

const std::string fn = "train_epoch";

std::string type_name(py::handle h) { return std::string(py::str(py::type::of(h).attr("__name__"))); }

py::array as_array(const std::string& label, py::handle h) {
    if (!py::isinstance<py::array>(h)) type_error(fn, label + " must be a numpy.ndarray, got " + type_name(h));
    return py::reinterpret_borrow<py::array>(h);
}

// C-contiguous, aligned, of dtype `dt`, writeable when `written`.
void check_layout(const std::string& label, const py::array& a, const py::dtype& dt, bool written) {
    if (!a.dtype().equal(dt)) {
        type_error(fn, label + " has dtype " + dtype_str(a) + "; expected " + std::string(py::str(dt)));
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

long long int_arg(const char* name, py::handle h, long long lo) {
    if (!PyIndex_Check(h.ptr()) || PyBool_Check(h.ptr())) {
        type_error(fn, std::string(name) + " must be an int, got " + type_name(h));
    }
    long long x = py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr())).cast<long long>();
    if (x < lo) value_error(fn, std::string(name) + " must be >= " + std::to_string(lo) + ", got " + std::to_string(x));
    return x;
}

rule read_rule(const py::dict& d, const std::vector<py::array>& params, py::dtype dt,
               std::vector<std::vector<py::array>>& state) {
    auto get = [&](const char* key) -> py::object {
        if (!d.contains(key)) value_error(fn, std::string("rule lacks '") + key + "'");
        return d[key];
    };
    auto num = [&](const char* key) { return real_arg(fn, key, get(key)); };
    auto flag = [&](const char* key) { return bool_arg(fn, key, get(key)); };
    std::string kind = py::str(get("kind"));
    rule r;
    if (kind == "SGD") {
        r.kind = rule_kind::sgd;
        r.momentum = num("momentum");
        r.dampening = num("dampening");
        r.nesterov = flag("nesterov");
        check_nonnegative(fn, "momentum", r.momentum);
        check_between(fn, "dampening", r.dampening, 0.0, 1.0, false, "[0, 1]");
        if (r.nesterov && (r.momentum <= 0 || r.dampening != 0)) {
            value_error(fn, "nesterov=True requires momentum > 0 and dampening == 0");
        }
    } else if (kind == "Adagrad") {
        r.kind = rule_kind::adagrad;
        r.lr_decay = num("lr_decay");
        r.eps = num("eps");
        check_nonnegative(fn, "lr_decay", r.lr_decay);
        check_positive(fn, "eps", r.eps);
    } else if (kind == "RMSprop") {
        r.kind = rule_kind::rmsprop;
        r.alpha = num("alpha");
        r.eps = num("eps");
        r.momentum = num("momentum");
        r.centered = flag("centered");
        check_between(fn, "alpha", r.alpha, 0.0, 1.0, false, "[0, 1]");
        check_positive(fn, "eps", r.eps);
        check_nonnegative(fn, "momentum", r.momentum);
    } else if (kind == "Adam" || kind == "AdamW") {
        r.kind = kind == "Adam" ? rule_kind::adam : rule_kind::adamw;
        r.beta1 = num("beta1");
        r.beta2 = num("beta2");
        r.eps = num("eps");
        r.amsgrad = flag("amsgrad");
        check_between(fn, "beta1", r.beta1, 0.0, 1.0, true, "[0, 1)");
        check_between(fn, "beta2", r.beta2, 0.0, 1.0, true, "[0, 1)");
        check_positive(fn, "eps", r.eps);
    } else {
        value_error(fn, "rule kind must be one of SGD, Adagrad, RMSprop, Adam, AdamW, got " + kind);
    }
    r.weight_decay = num("weight_decay");
    r.maximize = flag("maximize");
    check_nonnegative(fn, "weight_decay", r.weight_decay);
    py::object slots = get("state");
    if (!py::isinstance<py::list>(slots) || py::len(slots) != 3) {
        type_error(fn, "rule['state'] must be a list of 3 slots (each None or a list of arrays)");
    }
    state.assign(3, {});
    for (int k = 0; k < 3; ++k) {
        py::object slot = py::reinterpret_borrow<py::list>(slots)[static_cast<std::size_t>(k)];
        std::string label = "rule['state'][" + std::to_string(k) + "]";
        if (!r.uses_slot(k)) continue;
        if (slot.is_none()) value_error(fn, label + " is required by " + kind + " with these options");
        if (!py::isinstance<py::list>(slot) || py::len(slot) != params.size()) {
            value_error(fn, label + " must be a list of " + std::to_string(params.size()) + " arrays");
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            std::string item = label + "[" + std::to_string(i) + "]";
            py::array a = as_array(item, py::reinterpret_borrow<py::list>(slot)[i]);
            check_layout(item, a, dt, true);
            bool same = a.ndim() == params[i].ndim();
            for (py::ssize_t j = 0; same && j < a.ndim(); ++j) same = a.shape(j) == params[i].shape(j);
            if (!same) {
                value_error(fn, item + " has shape " + shape_str(a) + " but params[" + std::to_string(i) +
                                    "] has shape " + shape_str(params[i]));
            }
            state[static_cast<std::size_t>(k)].push_back(a);
        }
    }
    return r;
}

template <class T>
train::epoch_result run(const std::vector<py::array>& params, const std::vector<index_t>& units, const rule& r,
                        const std::vector<std::vector<py::array>>& state, const schedule::schedule* sched,
                        long long step, double lr, double lr_scale, const py::array& X, const py::array& y,
                        const py::array& perm, index_t batch, model::loss_kind loss,
                        model::activation act, double alpha, double l1_ratio, int n_threads) {
    model::network<T> net;
    net.units = units;
    net.hidden = act;
    net.loss = loss;
    net.pen = model::penalty(alpha, l1_ratio);
    for (std::size_t i = 0; i < params.size(); i += 2) {
        net.weights.push_back(static_cast<T*>(const_cast<void*>(params[i].data())));
        net.biases.push_back(static_cast<T*>(const_cast<void*>(params[i + 1].data())));
    }
    train::optimizer<T> opt;
    opt.r = r;
    for (std::size_t k = 0; k < 3; ++k) {
        opt.state[k].assign(params.size(), nullptr);
        for (std::size_t i = 0; i < state[k].size(); ++i) {
            opt.state[k][i] = static_cast<T*>(const_cast<void*>(state[k][i].data()));
        }
    }
    opt.steps = step;
    opt.sched = sched;
    opt.lr = lr;
    opt.lr_scale = lr_scale;
    const bool labels = loss != model::loss_kind::squared;
    train::data<T> in{static_cast<const T*>(X.data()),
                      labels ? static_cast<const std::int64_t*>(y.data()) : nullptr,
                      labels ? nullptr : static_cast<const T*>(y.data()),
                      static_cast<const std::int64_t*>(perm.data()), static_cast<index_t>(X.shape(0))};
    py::gil_scoped_release nogil;
    int& limit = calling_thread_limit();
    const int saved_limit = limit;
    limit = n_threads;
    train::epoch_result res;
    try {
        res = train::run_epoch(net, opt, in, batch);
    } catch (...) {
        limit = saved_limit;
        throw;
    }
    limit = saved_limit;
    return res;
}

py::tuple train_epoch(py::handle params_, py::handle rule_, py::handle step_, py::handle sched_,
                      py::handle lr_, py::handle lr_scale_, py::handle X_, py::handle y_,
                      py::handle perm_, py::handle batch_, py::handle loss_, py::handle act_,
                      py::handle alpha_, py::handle l1_ratio_, py::handle threads_) {
    // -- params: [W1, b1, ..., WL, bL], one float dtype, shapes chained
    if (!py::isinstance<py::list>(params_)) type_error(fn, "params must be a list of arrays, got " + type_name(params_));
    auto plist = py::reinterpret_borrow<py::list>(params_);
    if (plist.size() < 2 || plist.size() % 2) {
        value_error(fn, "params must hold [W1, b1, ..., WL, bL] (an even count >= 2), got " +
                            std::to_string(plist.size()) + " arrays");
    }
    std::vector<py::array> params;
    for (std::size_t i = 0; i < plist.size(); ++i) params.push_back(as_array("params[" + std::to_string(i) + "]", plist[i]));
    elem kind = float_kind(fn, "params[0]", params[0]);
    py::dtype dt = params[0].dtype();
    const std::size_t L = params.size() / 2;
    std::vector<index_t> units;
    for (std::size_t l = 0; l < L; ++l) {
        const py::array& W = params[2 * l];
        const py::array& b = params[2 * l + 1];
        std::string wl = "params[" + std::to_string(2 * l) + "]", bl = "params[" + std::to_string(2 * l + 1) + "]";
        check_layout(wl, W, dt, true);
        check_layout(bl, b, dt, true);
        bool vector_ok = W.ndim() == 1 && L == 1;
        if (!(W.ndim() == 2 || vector_ok)) value_error(fn, wl + " must be 2-D (or 1-D without hidden layers), got shape " + shape_str(W));
        index_t in = W.shape(0), out = W.ndim() == 2 ? W.shape(1) : 1;
        if (l > 0 && in != units.back()) value_error(fn, wl + " has shape " + shape_str(W) + "; its rows must match the previous layer's " + std::to_string(units.back()) + " units");
        if (b.ndim() != 1 || b.shape(0) != out) value_error(fn, bl + " has shape " + shape_str(b) + "; expected (" + std::to_string(out) + ",)");
        if (in < 1 || out < 1) value_error(fn, wl + " has shape " + shape_str(W) + "; layers need at least one unit");
        if (!blas::fits(in) || !blas::fits(out)) value_error(fn, wl + " is too large for the 32-bit BLAS");
        if (l == 0) units.push_back(in);
        units.push_back(out);
    }
    const index_t k = units.back();
    // -- the rule and its state
    if (!py::isinstance<py::dict>(rule_)) type_error(fn, "rule must be a dict, got " + type_name(rule_));
    std::vector<std::vector<py::array>> state;
    rule r = read_rule(py::reinterpret_borrow<py::dict>(rule_), params, dt, state);
    long long step = int_arg("step", step_, 0);
    schedule::schedule sched;
    const bool has_sched = !sched_.is_none();
    if (has_sched) sched = compile_schedule(sched_);
    double lr = real_arg(fn, "lr", lr_), lr_scale = real_arg(fn, "lr_scale", lr_scale_);
    check_nonnegative(fn, "lr", lr);
    check_nonnegative(fn, "lr_scale", lr_scale);
    // -- data
    py::array X = as_array("X", X_);
    check_layout("X", X, dt, false);
    if (X.ndim() != 2 || X.shape(1) != units[0] || X.shape(0) < 1) {
        value_error(fn, "X has shape " + shape_str(X) + "; expected (n >= 1, " + std::to_string(units[0]) + ")");
    }
    const index_t n = X.shape(0);
    if (!blas::fits(n)) value_error(fn, "X has too many rows for the 32-bit BLAS");
    std::string loss_name = py::str(loss_);
    model::loss_kind loss;
    if (loss_name == "squared_error") {
        loss = model::loss_kind::squared;
    } else if (loss_name == "log_loss") {
        loss = k == 1 ? model::loss_kind::binary : model::loss_kind::softmax;
    } else {
        value_error(fn, "loss must be 'squared_error' or 'log_loss', got " + py_repr(loss_));
    }
    py::array y = as_array("y", y_);
    py::array perm = as_array("perm", perm_);
    check_layout("perm", perm, py::dtype::of<std::int64_t>(), false);
    if (perm.ndim() != 1 || perm.shape(0) != n) value_error(fn, "perm has shape " + shape_str(perm) + "; expected (" + std::to_string(n) + ",)");
    {
        const auto* p = static_cast<const std::int64_t*>(perm.data());
        std::vector<char> seen(static_cast<std::size_t>(n), 0);
        for (index_t i = 0; i < n; ++i) {
            if (p[i] < 0 || p[i] >= n || seen[static_cast<std::size_t>(p[i])]) {
                value_error(fn, "perm must be a permutation of range(" + std::to_string(n) + ") (each index once)");
            }
            seen[static_cast<std::size_t>(p[i])] = 1;
        }
    }
    if (loss == model::loss_kind::squared) {
        check_layout("y", y, dt, false);
        bool ok = k == 1 ? (y.ndim() == 1 && y.shape(0) == n) || (y.ndim() == 2 && y.shape(0) == n && y.shape(1) == 1)
                         : (y.ndim() == 2 && y.shape(0) == n && y.shape(1) == k);
        if (!ok) value_error(fn, "y has shape " + shape_str(y) + "; expected " + std::to_string(n) + " rows of " + std::to_string(k) + " targets");
    } else {
        check_layout("y", y, py::dtype::of<std::int64_t>(), false);
        if (y.ndim() != 1 || y.shape(0) != n) value_error(fn, "y has shape " + shape_str(y) + "; expected (" + std::to_string(n) + ",)");
        const auto* lab = static_cast<const std::int64_t*>(y.data());
        const std::int64_t classes = k == 1 ? 2 : k;
        for (index_t i = 0; i < n; ++i) {
            if (lab[i] < 0 || lab[i] >= classes) {
                value_error(fn, "y[" + std::to_string(i) + "] = " + std::to_string(lab[i]) + " is not a class index in [0, " + std::to_string(classes) + ")");
            }
        }
    }
    index_t batch = static_cast<index_t>(int_arg("batch_size", batch_, 0));
    std::string act_name = py::str(act_);
    model::activation act;
    if (act_name == "relu") act = model::activation::relu;
    else if (act_name == "tanh") act = model::activation::tanh;
    else if (act_name == "sigmoid") act = model::activation::sigmoid;
    else if (act_name == "identity") act = model::activation::identity;
    else value_error(fn, "activation must be one of relu, tanh, sigmoid, identity, got " + py_repr(act_));
    double alpha = real_arg(fn, "alpha", alpha_), l1_ratio = real_arg(fn, "l1_ratio", l1_ratio_);
    check_nonnegative(fn, "alpha", alpha);
    check_between(fn, "l1_ratio", l1_ratio, 0.0, 1.0, false, "[0, 1]");
    int n_threads = static_cast<int>(int_arg("n_threads", threads_, 0));
    train::epoch_result res =
        kind == elem::f32
            ? run<float>(params, units, r, state, has_sched ? &sched : nullptr, step, lr, lr_scale, X, y, perm, batch, loss, act, alpha, l1_ratio, n_threads)
            : run<double>(params, units, r, state, has_sched ? &sched : nullptr, step, lr, lr_scale, X, y, perm, batch, loss, act, alpha, l1_ratio, n_threads);
    return py::make_tuple(res.loss, res.steps);
}

}  // namespace

void register_train(py::module_& m) {
    using py::arg;
    m.def("train_epoch", &train_epoch,
          "One epoch of mini-batch descent of a dense network, in place; returns (loss, steps).",
          arg("params"), arg("rule"), arg("step"), arg("schedule"), arg("lr"), arg("lr_scale"),
          arg("X"), arg("y"), arg("perm"), arg("batch_size"), arg("loss"), arg("activation"),
          arg("alpha"), arg("l1_ratio"), arg("n_threads"));
}

}  // namespace steepest::bind
