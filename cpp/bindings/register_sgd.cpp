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
#include "sgd_args.hpp"
#include "steepest/sgd/plain.hpp"

namespace steepest::bind {
namespace {

const std::string fn = "sgd_epoch";

using sgd_args::ptr;

py::array checked(py::handle h, const std::string& label, const py::dtype& dt, bool written,
                  py::ssize_t size) {
    return sgd_args::checked(fn, h, label, dt, written, size);
}

py::object item(const py::dict& d, const char* dict_name, const char* key) {
    return sgd_args::item(fn, d, dict_name, key);
}

sgd::settings read_settings(const py::dict& d) {
    const char* S = "settings";
    sgd::settings s;
    s.loss.kind = sgd_args::read_loss(fn, item(d, S, "loss"));
    s.loss.param = real_arg(fn, "settings['loss_param']", item(d, S, "loss_param"));
    s.penalty = static_cast<sgd::penalty_kind>(
        int_arg(fn, "settings['penalty']", item(d, S, "penalty"), 0, 3));
    s.rate = static_cast<sgd::rate_kind>(
        int_arg(fn, "settings['learning_rate']", item(d, S, "learning_rate"), 1, 5));
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

template <class T>
struct epoch_call {
    sgd::settings s;
    sgd::models<T> m;
    sgd::targets<T> y;
    std::vector<py::array> keep;  // every array the pointers point into
    sgd_args::rows<T> rows;
    const T* sw = nullptr;
    const std::int64_t* perm = nullptr;
    index_t n_perm = 0;
};

template <class T>
void read_state(epoch_call<T>& a, const py::dict& st) {
    const char* S = "state";
    const auto ft = py::dtype::of<T>();
    const auto f64 = py::dtype::of<double>();
    py::array v = checked(item(st, S, "coef"), "state['coef']", ft, true, -1);
    if (v.ndim() != 2 || v.shape(0) < 1 || v.shape(1) < 1) {
        value_error(fn, "state['coef'] has shape " + shape_str(v) + "; expected (k >= 1, d >= 1)");
    }
    a.m.k = v.shape(0);
    a.m.d = v.shape(1);
    const py::ssize_t k = a.m.k, kd = k * a.m.d;
    auto vec = [&](const char* key, bool written, py::ssize_t size, const py::dtype& dt) {
        py::array arr =
            checked(item(st, S, key), std::string("state['") + key + "']", dt, written, size);
        a.keep.push_back(arr);
        return arr;
    };
    auto opt = [&](const char* key, py::ssize_t size) -> T* {
        if (!st.contains(key) || st[key].is_none()) return nullptr;
        return ptr<T>(vec(key, true, size, ft));
    };
    a.keep.push_back(v);
    a.m.v = ptr<T>(v);
    a.m.b = ptr<T>(vec("intercept", true, k, ft));
    a.m.wscale = ptr<T>(vec("wscale", true, k, ft));
    a.m.sq_norm = ptr<T>(vec("sq_norm", true, k, ft));
    a.m.l1_norm = ptr<T>(vec("l1_norm", true, k, ft));
    a.m.u = ptr<T>(vec("u", true, k, ft));
    a.m.eta = ptr<double>(vec("eta", false, k, f64));
    a.m.pos_weight = ptr<T>(vec("pos_weight", false, k, ft));
    a.m.neg_weight = ptr<T>(vec("neg_weight", false, k, ft));
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
        a.m.pos_label =
            ptr<std::int64_t>(vec("pos_label", false, k, py::dtype::of<std::int64_t>()));
    }
    a.m.neg_value = a.s.loss.kind == sgd::loss_kind::log_loss ? 0.0 : -1.0;
}

template <class T>
py::tuple epoch(py::handle X, py::handle indices, py::handle indptr, py::handle y,
                py::handle sample_weight, py::handle perm, const py::dict& state,
                const py::dict& settings) {
    epoch_call<T> a;
    a.s = read_settings(settings);
    read_state(a, state);
    a.rows = sgd_args::read_rows<T>(fn, X, indices, indptr, a.m.d);
    const py::ssize_t n = a.rows.n;
    py::array w = checked(sample_weight, "sample_weight", py::dtype::of<T>(), false, n);
    a.keep.push_back(w);
    a.sw = ptr<T>(w);
    py::array target = bind::as_array(fn, "y", y);
    if (a.m.pos_label) {
        target = checked(y, "y", py::dtype::of<std::int64_t>(), false, n);
        a.y.label = ptr<std::int64_t>(target);
    } else {
        target = checked(y, "y", py::dtype::of<T>(), false, n);
        if (a.m.k != 1) value_error(fn, "real targets need one model (k = 1)");
        a.y.value = ptr<T>(target);
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
    a.s.etas = sgd_args::read_etas(fn, settings, a.s.rate, a.n_perm, a.keep);
    // one thread below ~1M multiply-adds an epoch: a parallel region costs as much
    const index_t work = a.m.k * (a.rows.csr ? a.rows.sparse.indptr[n] : n * a.m.d);
    const sgd_args::thread_limit limit(fn, settings);
    const int threads = work >= 1000000 ? limit.threads() : 1;
    std::vector<double> sumloss, objective;
    auto stop = [] {
        py::gil_scoped_acquire gil;
        return PyErr_CheckSignals() != 0;
    };
    index_t done = 0;
    {
        py::gil_scoped_release nogil;
        if (a.rows.csr) {
            done = sgd::run_epoch(a.s, a.m, a.rows.sparse, a.y, a.sw, a.perm, a.n_perm, sumloss,
                                  objective, threads, stop);
        } else {
            done = sgd::run_epoch(a.s, a.m, a.rows.dense, a.y, a.sw, a.perm, a.n_perm, sumloss,
                                  objective, threads, stop);
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

py::tuple sgd_epoch(py::handle X, py::handle indices, py::handle indptr, py::handle y,
                    py::handle sample_weight, py::handle perm, py::handle state,
                    py::handle settings) {
    if (!py::isinstance<py::dict>(state) || !py::isinstance<py::dict>(settings)) {
        type_error(fn, "state and settings must be dicts");
    }
    const auto st = py::reinterpret_borrow<py::dict>(state);
    const auto se = py::reinterpret_borrow<py::dict>(settings);
    if (sgd_args::is_float32(fn, item(st, "state", "coef"))) {
        return epoch<float>(X, indices, indptr, y, sample_weight, perm, st, se);
    }
    return epoch<double>(X, indices, indptr, y, sample_weight, perm, st, se);
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
