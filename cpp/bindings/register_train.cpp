// Binding of the native training loop: one call runs one epoch of a dense
// network (linear, logistic, MLP) with the GIL released. Everything is checked
// before any array is touched; the estimators in python/steepest/models/
// build the arguments (see python/steepest/models/_epoch.py for their meaning).
// The arguments are read in train_args.hpp (train_rule.cpp, train_args.cpp).
#include <pybind11/numpy.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "reduce_hook.hpp"
#include "schedule_desc.hpp"
#include "steepest/train/table.hpp"
#include "step_driver.hpp"
#include "train_args.hpp"

namespace steepest::bind {
namespace {

using train_args::check_permutation;
using train_args::check_targets;
using train_args::epoch_args;
using train_args::read_activation;
using train_args::read_ema;
using train_args::read_loss;
using train_args::read_params;
using train_args::read_rule;
using train_args::read_X;

const std::string fn = "train_epoch";

py::array as_array(const std::string& label, py::handle h) { return bind::as_array(fn, label, h); }

void check_layout(const std::string& label, const py::array& a, const py::dtype& dt, bool written) {
    bind::check_layout(fn, label, a, dt, written);
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
