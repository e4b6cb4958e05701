// Binding of scikit-learn's plain SGD epoch (cpp/include/steepest/sgd/plain.hpp):
// one call runs one epoch of k one-vs-rest models over dense or CSR rows with
// the GIL released. Everything is checked before any array is written; the
// estimators in python/steepest/models/sgd.py build the arguments (see
// steepest.reference.sgd.sgd_epoch for their meaning).
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "steepest/sgd/plain.hpp"

namespace steepest::bind {
namespace {

const std::string fn = "sgd_epoch";

py::array checked(py::handle h, const std::string& label, const py::dtype& dt, bool written,
                  py::ssize_t size) {
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

py::object item(const py::dict& d, const char* dict_name, const char* key) {
    if (!d.contains(key)) value_error(fn, std::string(dict_name) + " lacks '" + key + "'");
    return d[key];
}

sgd::loss_kind read_loss(py::handle h) {
    const std::string name = py::str(h);
    using sgd::loss_kind;
    if (name == "hinge") return loss_kind::hinge;
    if (name == "squared_hinge") return loss_kind::squared_hinge;
    if (name == "log_loss") return loss_kind::log_loss;
    if (name == "modified_huber") return loss_kind::modified_huber;
    if (name == "squared_error") return loss_kind::squared_error;
    if (name == "huber") return loss_kind::huber;
    if (name == "epsilon_insensitive") return loss_kind::epsilon_insensitive;
    if (name == "squared_epsilon_insensitive") return loss_kind::squared_epsilon_insensitive;
    value_error(fn, "settings['loss'] is not a plain-SGD loss, got " + py_repr(h));
}

sgd::settings read_settings(const py::dict& d) {
    const char* S = "settings";
    sgd::settings s;
    s.loss.kind = read_loss(item(d, S, "loss"));
    s.loss.param = real_arg(fn, "settings['loss_param']", item(d, S, "loss_param"));
    s.penalty = static_cast<sgd::penalty_kind>(
        int_arg(fn, "settings['penalty']", item(d, S, "penalty"), 0, 3));
    s.rate = static_cast<sgd::rate_kind>(
        int_arg(fn, "settings['learning_rate']", item(d, S, "learning_rate"), 1, 4));
    s.alpha = real_arg(fn, "settings['alpha']", item(d, S, "alpha"));
    s.l1_ratio = real_arg(fn, "settings['l1_ratio']", item(d, S, "l1_ratio"));
    s.power_t = real_arg(fn, "settings['power_t']", item(d, S, "power_t"));
    s.eta0 = real_arg(fn, "settings['eta0']", item(d, S, "eta0"));
    s.optimal_init = real_arg(fn, "settings['optimal_init']", item(d, S, "optimal_init"));
    s.intercept_decay = real_arg(fn, "settings['intercept_decay']", item(d, S, "intercept_decay"));
    s.t = real_arg(fn, "settings['t']", item(d, S, "t"));
    s.average = int_arg(fn, "settings['average']", item(d, S, "average"), 0, 1LL << 53);
    s.fit_intercept = bool_arg(fn, "settings['fit_intercept']", item(d, S, "fit_intercept"));
    s.track = bool_arg(fn, "settings['track']", item(d, S, "track"));
    check_nonnegative(fn, "settings['alpha']", s.alpha);
    check_between(fn, "settings['l1_ratio']", s.l1_ratio, 0.0, 1.0, false, "[0, 1]");
    check_nonnegative(fn, "settings['loss_param']", s.loss.param);
    if (!(s.t >= 1)) value_error(fn, "settings['t'] must be >= 1, got " + repr_float(s.t));
    return s;
}

struct epoch_call {
    sgd::settings s;
    sgd::models m;
    sgd::targets y;
    std::vector<py::array> keep;  // every array the pointers point into
    bool csr = false;
    sgd::dense_rows dense{};
    sgd::csr_rows sparse{};
    const double* sw = nullptr;
    const std::int64_t* perm = nullptr;
    index_t n_rows = 0, n_perm = 0;
};

void read_state(epoch_call& a, const py::dict& st) {
    const char* S = "state";
    const auto f64 = py::dtype::of<double>();
    py::array v = checked(item(st, S, "coef"), "state['coef']", f64, true, -1);
    if (v.ndim() != 2 || v.shape(0) < 1 || v.shape(1) < 1) {
        value_error(fn, "state['coef'] has shape " + shape_str(v) + "; expected (k >= 1, d >= 1)");
    }
    a.m.k = v.shape(0);
    a.m.d = v.shape(1);
    const py::ssize_t k = a.m.k, kd = k * a.m.d;
    auto vec = [&](const char* key, bool written, py::ssize_t size, const py::dtype& dt) {
        py::array arr = checked(item(st, S, key), std::string("state['") + key + "']", dt, written,
                                size);
        a.keep.push_back(arr);
        return arr;
    };
    auto opt = [&](const char* key, py::ssize_t size) -> double* {
        if (!st.contains(key) || st[key].is_none()) return nullptr;
        return ptr<double>(vec(key, true, size, f64));
    };
    a.keep.push_back(v);
    a.m.v = ptr<double>(v);
    a.m.b = ptr<double>(vec("intercept", true, k, f64));
    a.m.wscale = ptr<double>(vec("wscale", true, k, f64));
    a.m.sq_norm = ptr<double>(vec("sq_norm", true, k, f64));
    a.m.l1_norm = ptr<double>(vec("l1_norm", true, k, f64));
    a.m.u = ptr<double>(vec("u", true, k, f64));
    a.m.eta = ptr<double>(vec("eta", false, k, f64));
    a.m.pos_weight = ptr<double>(vec("pos_weight", false, k, f64));
    a.m.neg_weight = ptr<double>(vec("neg_weight", false, k, f64));
    a.m.active = ptr<std::uint8_t>(vec("active", false, k, py::dtype::of<std::uint8_t>()));
    a.m.q = opt("q", kd);
    a.m.aw = opt("avg_coef", kd);
    a.m.avg_a = opt("avg_a", k);
    a.m.avg_b = opt("avg_b", k);
    a.m.avg_b0 = opt("avg_intercept", k);
    const bool l1 =
        a.s.penalty == sgd::penalty_kind::l1 || a.s.penalty == sgd::penalty_kind::elasticnet;
    if (l1 && !a.m.q) value_error(fn, "state['q'] is required by an l1 / elasticnet penalty");
    if (a.s.average > 0 && !(a.m.aw && a.m.avg_a && a.m.avg_b && a.m.avg_b0)) {
        value_error(fn, "state needs 'avg_coef', 'avg_a', 'avg_b', 'avg_intercept' with average");
    }
    if (!a.m.avg_a) {
        a.m.aw = nullptr;  // reset_wscale folds an average only when all of it is there
    }
    if (st.contains("pos_label") && !st["pos_label"].is_none()) {
        a.m.pos_label = ptr<std::int64_t>(vec("pos_label", false, k, py::dtype::of<std::int64_t>()));
    }
    a.m.neg_value = a.s.loss.kind == sgd::loss_kind::log_loss ? 0.0 : -1.0;
}

void read_rows(epoch_call& a, py::handle X, py::handle indices, py::handle indptr) {
    const auto f64 = py::dtype::of<double>();
    if (indices.is_none()) {
        py::array x = checked(X, "X", f64, false, -1);
        if (x.ndim() != 2 || x.shape(1) != a.m.d) {
            value_error(fn, "X has shape " + shape_str(x) + "; expected (n, " +
                                std::to_string(a.m.d) + ")");
        }
        a.keep.push_back(x);
        a.dense = {ptr<double>(x), a.m.d};
        a.n_rows = x.shape(0);
        return;
    }
    a.csr = true;
    py::array data = checked(X, "X", f64, false, -1);
    py::array ind = checked(indices, "indices", py::dtype::of<std::int32_t>(), false, data.size());
    py::array ptrs = checked(indptr, "indptr", py::dtype::of<std::int64_t>(), false, -1);
    if (data.ndim() != 1 || ind.ndim() != 1 || ptrs.ndim() != 1 || ptrs.size() < 1) {
        value_error(fn, "X, indices, indptr must be 1-D CSR arrays");
    }
    a.keep.insert(a.keep.end(), {data, ind, ptrs});
    const auto* p = ptr<std::int64_t>(ptrs);
    const auto* j = ptr<std::int32_t>(ind);
    const py::ssize_t rows = ptrs.size() - 1;
    if (p[0] != 0 || p[rows] != data.size()) {
        value_error(fn, "indptr must start at 0 and end at the number of stored entries");
    }
    const auto d = static_cast<std::int32_t>(a.m.d);
    for (py::ssize_t r = 0; r < rows; ++r) {
        if (p[r + 1] < p[r]) value_error(fn, "indptr must be non-decreasing");
        const std::int64_t lo = p[r], hi = p[r + 1];
        // branch-free so that the pass over every stored index vectorises
        int bad = lo < hi && (j[lo] < 0 || j[lo] >= d);
        for (std::int64_t e = lo + 1; e < hi; ++e) bad |= (j[e] <= j[e - 1]) | (j[e] >= d);
        if (bad) {
            value_error(fn, "indices of row " + std::to_string(r) +
                                " must be sorted, unique and in [0, " + std::to_string(a.m.d) +
                                ")");
        }
    }
    a.sparse = {ptr<double>(data), j, p};
    a.n_rows = rows;
}

py::tuple sgd_epoch(py::handle X, py::handle indices, py::handle indptr, py::handle y,
                    py::handle sample_weight, py::handle perm, py::handle state,
                    py::handle settings) {
    if (!py::isinstance<py::dict>(state) || !py::isinstance<py::dict>(settings)) {
        type_error(fn, "state and settings must be dicts");
    }
    epoch_call a;
    a.s = read_settings(py::reinterpret_borrow<py::dict>(settings));
    read_state(a, py::reinterpret_borrow<py::dict>(state));
    read_rows(a, X, indices, indptr);
    const py::ssize_t n = a.n_rows;
    py::array w = checked(sample_weight, "sample_weight", py::dtype::of<double>(), false, n);
    a.keep.push_back(w);
    a.sw = ptr<double>(w);
    py::array target = bind::as_array(fn, "y", y);
    if (a.m.pos_label) {
        target = checked(y, "y", py::dtype::of<std::int64_t>(), false, n);
        a.y.label = ptr<std::int64_t>(target);
    } else {
        target = checked(y, "y", py::dtype::of<double>(), false, n);
        if (a.m.k != 1) value_error(fn, "real targets need one model (k = 1)");
        a.y.value = ptr<double>(target);
    }
    a.keep.push_back(target);
    py::array order = checked(perm, "perm", py::dtype::of<std::int64_t>(), false, -1);
    if (order.ndim() != 1) value_error(fn, "perm must be 1-D");
    a.perm = ptr<std::int64_t>(order);
    a.n_perm = order.shape(0);
    for (index_t r = 0; r < a.n_perm; ++r) {
        if (a.perm[r] < 0 || a.perm[r] >= n) {
            value_error(fn, "perm[" + std::to_string(r) + "] = " + std::to_string(a.perm[r]) +
                                " is not a row of X");
        }
    }
    std::vector<double> sumloss, objective;
    auto stop = [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
    index_t done = 0;
    {
        py::gil_scoped_release nogil;
        if (a.csr) {
            done = sgd::run_epoch(a.s, a.m, a.sparse, a.y, a.sw, a.perm, a.n_perm, sumloss,
                                  objective, stop);
        } else {
            done = sgd::run_epoch(a.s, a.m, a.dense, a.y, a.sw, a.perm, a.n_perm, sumloss,
                                  objective, stop);
        }
    }
    if (done < a.n_perm) throw py::error_already_set();  // what the signal handler raised
    py::array_t<double> loss_out(a.m.k), obj_out(a.m.k);
    for (index_t c = 0; c < a.m.k; ++c) {
        loss_out.mutable_at(c) = sumloss[static_cast<std::size_t>(c)];
        obj_out.mutable_at(c) = objective[static_cast<std::size_t>(c)];
    }
    return py::make_tuple(loss_out, obj_out);
}

}  // namespace

void register_sgd(py::module_& m) {
    using py::arg;
    m.def("sgd_epoch", &sgd_epoch,
          "One epoch of scikit-learn's plain SGD for k one-vs-rest models, in place; "
          "returns (summed loss, summed objective) per model.",
          arg("X"), arg("indices"), arg("indptr"), arg("y"), arg("sample_weight"), arg("perm"),
          arg("state"), arg("settings"));
}

}  // namespace steepest::bind
