// Binding of the SGD estimators' mini-batch epoch (cpp/include/steepest/sgd/
// batch.hpp): one call runs one epoch of k one-vs-rest models over dense or
// CSR rows, each batch stepped by any rule of rules/all.hpp, with the GIL
// released. Everything is checked before any array is written; the
// estimators (python/steepest/models/_sgd_batch.py) build the arguments, whose
// meaning is that of steepest.reference.sgd_batch.sgd_batch_epoch (the rule
// is a dict as for train_epoch: {"kind", hyperparameters, "state"}).
// Data-parallel: `reduce` (a Python callable summing a buffer of the model's
// dtype over the processes in place, called with the GIL once per step) and `batches`
// (the global rows of each step), as train_epoch takes them.
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "reduce_hook.hpp"
#include "rule_args.hpp"
#include "sgd_args.hpp"
#include "steepest/rules/all.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/sgd/batch.hpp"
#include "step_driver.hpp"

namespace steepest::bind {
namespace {

const std::string fn = "sgd_batch_epoch";

using sgd_args::ptr;

py::array checked(py::handle h, const std::string& label, const py::dtype& dt, bool written,
                  py::ssize_t size) {
    return sgd_args::checked(fn, h, label, dt, written, size);
}

py::object item(const py::dict& d, const char* dict_name, const char* key) {
    return sgd_args::item(fn, d, dict_name, key);
}

sgd::batch_settings read_settings(const py::dict& d) {
    const char* S = "settings";
    sgd::batch_settings s;
    auto real = [&](const char* key) {
        return real_arg(fn, (std::string("settings['") + key + "']").c_str(), item(d, S, key));
    };
    s.loss.kind = sgd_args::read_loss(fn, item(d, S, "loss"));
    s.loss.param = real("loss_param");
    s.penalty = static_cast<sgd::penalty_kind>(
        int_arg(fn, "settings['penalty']", item(d, S, "penalty"), 0, 3));
    s.rate = static_cast<sgd::rate_kind>(
        int_arg(fn, "settings['learning_rate']", item(d, S, "learning_rate"), 1, 5));
    s.alpha = real("alpha");
    s.l1_ratio = real("l1_ratio");
    s.power_t = real("power_t");
    s.eta0 = real("eta0");
    s.optimal_init = real("optimal_init");
    s.eta = real("eta");
    s.fit_intercept = bool_arg(fn, "settings['fit_intercept']", item(d, S, "fit_intercept"));
    s.track = bool_arg(fn, "settings['track']", item(d, S, "track"));
    s.batch_size = static_cast<index_t>(
        int_arg(fn, "settings['batch_size']", item(d, S, "batch_size"), 1, 1LL << 62));
    s.step = int_arg(fn, "settings['step']", item(d, S, "step"), 0, 1LL << 62);
    check_nonnegative(fn, "settings['alpha']", s.alpha);
    check_between(fn, "settings['l1_ratio']", s.l1_ratio, 0.0, 1.0, false, "[0, 1]");
    check_nonnegative(fn, "settings['loss_param']", s.loss.param);
    return s;
}

// rule['state']: per state array the rule's options use, a list of two arrays
// shaped like [coef, intercept]; per-param scalars a list of two 0-d arrays.
template <class T>
struct rule_call {
    any_rule r;
    std::vector<std::vector<T*>> state;  // [slot][param], null where unused
    std::vector<scalar_arg> scalars;
    std::vector<py::array> keep;
};

template <class T>
void read_rule(rule_call<T>& out, const py::dict& d, const py::array params[2]) {
    auto get = [&](std::size_t, const char* key) -> py::object {
        if (!d.contains(key)) value_error(fn, std::string("rule lacks '") + key + "'");
        return d[key];
    };
    const std::string kind = py::str(get(0, "kind"));
    const bool known = rules::all::visit_named(kind.c_str(), [&](auto tag) {
        using Rule = typename decltype(tag)::type;
        Rule r{};
        read_hyper(fn, r, get, hyper_pass::reals);
        read_hyper(fn, r, get, hyper_pass::flags);
        read_hyper(fn, r, get, hyper_pass::ranges);
        check_combination(fn, r);
        py::object given = get(0, "state");
        if (!py::isinstance<py::dict>(given)) type_error(fn, "rule['state'] must be a dict");
        auto by_name = py::reinterpret_borrow<py::dict>(given);
        out.state.assign(Rule::state.size(), std::vector<T*>(2, nullptr));
        for (std::size_t k = 0; k < Rule::state.size(); ++k) {
            if (!r.uses(k)) continue;
            const std::string label = std::string("rule['state']['") + Rule::state[k] + "']";
            if (!by_name.contains(Rule::state[k]) ||
                !py::isinstance<py::list>(by_name[Rule::state[k]]) ||
                py::len(by_name[Rule::state[k]]) != 2) {
                value_error(fn, label + " must be a list of 2 arrays");
            }
            auto list = py::reinterpret_borrow<py::list>(by_name[Rule::state[k]]);
            for (std::size_t i = 0; i < 2; ++i) {
                const std::string lab = label + "[" + std::to_string(i) + "]";
                py::array a = checked(list[i], lab, py::dtype::of<T>(), true, params[i].size());
                out.keep.push_back(a);
                out.state[k][i] = ptr<T>(a);
            }
        }
        out.scalars.clear();
        if constexpr (rules::scalar_count<Rule>() > 0) {
            for (const char* name : Rule::scalars) {
                const std::string label = std::string("rule['state']['") + name + "']";
                if (!by_name.contains(name)) value_error(fn, label + " is required");
                out.scalars.push_back(check_scalars(fn, label.c_str(), by_name[name], 2));
            }
        }
        out.r = r;
    });
    if (!known) value_error(fn, "rule kind must be a rule of steepest, got " + kind);
}

// One step of the rule on [W (k*d), b (k)] from [gW, gb].
template <class T>
struct stepper {
    rule_call<T>& rc;
    T* param[2];
    index_t size[2];
    std::vector<scalar_row> cells;

    void operator()(const T* gW, const T* gb, long long t, double lr) {
        const T* grad[2] = {gW, gb};
        auto at = [&](std::size_t i, index_t lo) {
            piece_args<T> a{param[i] + lo, grad[i] + lo, {}, nullptr};
            for (std::size_t k = 0; k < rc.state.size(); ++k) {
                a.s[k] = rc.state[k][i] ? rc.state[k][i] + lo : nullptr;
            }
            return a;
        };
        if (cells.empty()) {
            const step_plan<T> plan = plan_step<T>(rc.r, t, lr);
            if (plan.measure != nullptr) {
                run_two_pass_at(plan, {size[0], size[1]}, at, no_check{});
                return;
            }
            for (std::size_t i = 0; i < 2; ++i) {
                piece_args<T> a = at(i, 0);
                plan.leaf(a.p, a.g, a.s, size[i], plan.coeffs());
            }
            return;
        }
        for (std::size_t i = 0; i < 2; ++i) {
            const step_plan<T> plan = plan_step<T>(rc.r, t, lr, cells[i].data());
            piece_args<T> a = at(i, 0);
            plan.leaf(a.p, a.g, a.s, size[i], plan.coeffs());
        }
    }
};

template <class T>
py::tuple batch_epoch(py::handle X, py::handle indices, py::handle indptr, py::handle y,
                      py::handle sample_weight, py::handle perm, const py::dict& st,
                      const py::dict& settings, py::handle rule, py::handle reduce,
                      py::handle batches) {
    const auto f64 = py::dtype::of<T>();
    sgd::batch_settings s = read_settings(settings);
    sgd::batch_models<T> m;
    std::vector<py::array> keep;
    py::array W = checked(item(st, "state", "coef"), "state['coef']", f64, true, -1);
    if (W.ndim() != 2 || W.shape(0) < 1 || W.shape(1) < 1) {
        value_error(fn, "state['coef'] has shape " + shape_str(W) + "; expected (k >= 1, d >= 1)");
    }
    m.k = W.shape(0);
    m.d = W.shape(1);
    const py::ssize_t k = m.k;
    py::array b = checked(item(st, "state", "intercept"), "state['intercept']", f64, true, k);
    auto vec = [&](const char* key, const py::dtype& dt) {
        py::array a =
            checked(item(st, "state", key), std::string("state['") + key + "']", dt, false, k);
        keep.push_back(a);
        return a;
    };
    m.W = ptr<T>(W);
    m.b = ptr<T>(b);
    m.pos_weight = ptr<T>(vec("pos_weight", f64));
    m.neg_weight = ptr<T>(vec("neg_weight", f64));
    m.active = ptr<std::uint8_t>(vec("active", py::dtype::of<std::uint8_t>()));
    if (!item(st, "state", "pos_label").is_none()) {
        m.pos_label = ptr<std::int64_t>(vec("pos_label", py::dtype::of<std::int64_t>()));
    }
    m.neg_value = s.loss.kind == sgd::loss_kind::log_loss ? 0.0 : -1.0;
    const py::array params[2] = {W, b};
    rule_call<T> rc;
    read_rule(rc, py::reinterpret_borrow<py::dict>(rule), params);
    const sgd_args::rows<T> rows = sgd_args::read_rows<T>(fn, X, indices, indptr, m.d);
    const index_t n = rows.n;
    py::array sw = checked(sample_weight, "sample_weight", f64, false, n);
    sgd::targets<T> tg;
    py::array target;
    if (m.pos_label) {
        target = checked(y, "y", py::dtype::of<std::int64_t>(), false, n);
        tg.label = ptr<std::int64_t>(target);
    } else {
        target = checked(y, "y", f64, false, n);
        if (m.k != 1) value_error(fn, "real targets need one model (k = 1)");
        tg.value = ptr<T>(target);
    }
    py::array order = checked(perm, "perm", py::dtype::of<std::int64_t>(), false, -1);
    if (order.ndim() != 1) value_error(fn, "perm must be 1-D");
    const auto* pr = ptr<std::int64_t>(order);
    const index_t n_perm = order.shape(0);
    for (index_t r = 0; r < n_perm; ++r) {
        if (pr[r] < 0 || pr[r] >= n) {
            value_error(fn, "perm[" + std::to_string(r) + "] is not a row of X");
        }
    }
    sgd::batch_reduce<T> dp;
    py::array global;
    const auto call = py::reinterpret_borrow<py::object>(reduce);
    if (!call.is_none()) {
        if (!PyCallable_Check(reduce.ptr())) {
            type_error(fn, "reduce must be callable or None, got " + type_name(reduce));
        }
        global = as_array(fn, "batches", batches);
        check_global_batches(fn, global, n_perm, s.batch_size);
        const train::all_reduce<T> hook = python_all_reduce<T>(call);
        dp = {static_cast<const std::int64_t*>(global.data()), global.shape(0), hook.fn, hook.ctx};
    }
    std::vector<py::array> etas_keep;
    // a rate per step: the global steps with a communicator (a shard that ran
    // out of rows still steps), else this process's batches
    const long long n_steps =
        dp.global ? dp.steps : (n_perm + s.batch_size - 1) / s.batch_size;
    s.etas =
        sgd_args::read_etas(fn, settings, s.rate, static_cast<py::ssize_t>(n_steps), etas_keep);
    // also bounds the rule's own step (a two-pass rule's sums split over
    // threads above ~256K weights, as in the optimizers' step)
    const sgd_args::thread_limit limit(fn, settings);
    s.threads = limit.threads();
    stepper<T> step{rc, {m.W, m.b}, {m.k * m.d, m.k}, {}};
    if (!rc.scalars.empty()) {
        step.cells.assign(2, scalar_row{});
        for (std::size_t i = 0; i < 2; ++i) {
            for (std::size_t q = 0; q < rc.scalars.size(); ++q) {
                step.cells[i][q] = rc.scalars[q].cell(i);
            }
        }
    }
    std::vector<double> objective;
    bool interrupted = false;
    auto stop = [&interrupted] {
        py::gil_scoped_acquire gil;
        interrupted = PyErr_CheckSignals() != 0;
        return interrupted;
    };
    long long steps = 0;
    {
        py::gil_scoped_release nogil;
        steps = rows.csr ? sgd::run_batch_epoch(s, m, rows.sparse, tg, ptr<T>(sw), pr, n_perm,
                                                objective, step, stop, dp)
                         : sgd::run_batch_epoch(s, m, rows.dense, tg, ptr<T>(sw), pr, n_perm,
                                                objective, step, stop, dp);
    }
    for (std::size_t i = 0; i < step.cells.size(); ++i) {
        for (std::size_t q = 0; q < rc.scalars.size(); ++q) {
            rc.scalars[q].store(i, step.cells[i][q]);
        }
    }
    if (interrupted) throw py::error_already_set();
    py::array_t<double> obj(k);
    for (index_t c = 0; c < m.k; ++c) obj.mutable_at(c) = objective[static_cast<std::size_t>(c)];
    return py::make_tuple(obj, steps);
}

py::tuple sgd_batch_epoch(py::handle X, py::handle indices, py::handle indptr, py::handle y,
                          py::handle sample_weight, py::handle perm, py::handle state,
                          py::handle settings, py::handle rule, py::handle reduce,
                          py::handle batches) {
    if (!py::isinstance<py::dict>(state) || !py::isinstance<py::dict>(settings) ||
        !py::isinstance<py::dict>(rule)) {
        type_error(fn, "state, settings and rule must be dicts");
    }
    const auto st = py::reinterpret_borrow<py::dict>(state);
    const auto se = py::reinterpret_borrow<py::dict>(settings);
    if (sgd_args::is_float32(fn, item(st, "state", "coef"))) {
        return batch_epoch<float>(X, indices, indptr, y, sample_weight, perm, st, se, rule, reduce,
                                  batches);
    }
    return batch_epoch<double>(X, indices, indptr, y, sample_weight, perm, st, se, rule, reduce,
                                  batches);
}

}  // namespace

void register_sgd_batch(py::module_& m) {
    using py::arg;
    m.def("sgd_batch_epoch", &sgd_batch_epoch,
          "One epoch of the SGD estimators' mini-batch path for k one-vs-rest models, any "
          "rule, in place; returns (summed objective per model, steps taken).",
          arg("X"), arg("indices"), arg("indptr"), arg("y"), arg("sample_weight"), arg("perm"),
          arg("state"), arg("settings"), arg("rule"), arg("reduce") = py::none(),
          arg("batches") = py::none());
}

}  // namespace steepest::bind
