// Bindings of the optimizer steps and gradient clipping. Each step takes
// lists of arrays (or single arrays), validates everything, computes the
// per-step scalars once in double, and updates every array in one call.
// Full documentation lives in python/steepest/functional.py.
#include "step_driver.hpp"
#include "steepest/optim/rule.hpp"

namespace steepest::bind {
namespace {

bool sgd_step(py::handle params, py::handle grads, py::handle buf, py::handle step,
              py::handle lr_, py::handle momentum_, py::handle dampening_, py::handle nesterov_,
              py::handle wd_, py::handle maximize_, py::handle nonfinite) {
    const std::string fn = "sgd_step";
    long long t = check_step(fn, step);
    double lr = real_arg(fn, "lr", lr_), momentum = real_arg(fn, "momentum", momentum_);
    double dampening = real_arg(fn, "dampening", dampening_);
    double wd = real_arg(fn, "weight_decay", wd_);
    bool nesterov = bool_arg(fn, "nesterov", nesterov_);
    bool maximize = bool_arg(fn, "maximize", maximize_);
    check_nonnegative(fn, "lr", lr);
    check_nonnegative(fn, "momentum", momentum);
    check_between(fn, "dampening", dampening, 0.0, 1.0, false, "[0, 1]");
    check_nonnegative(fn, "weight_decay", wd);
    if (nesterov && (momentum <= 0 || dampening != 0)) {
        value_error(fn, "nesterov=True requires momentum > 0 and dampening == 0");
    }
    auto mode = check_nonfinite(fn, nonfinite);
    bool use_buf = momentum != 0;
    if (use_buf && buf.is_none()) value_error(fn, "momentum_buffer is required when momentum != 0");
    prepared prep = prepare(fn, {{"param", params, -2},
                                 {"grad", grads, -1},
                                 {"momentum_buffer", buf, 0, use_buf}});
    rule r;
    r.kind = rule_kind::sgd;
    r.momentum = momentum;
    r.dampening = dampening;
    r.weight_decay = wd;
    r.nesterov = nesterov;
    r.maximize = maximize;
    return run_step(fn, prep, mode, plan_step<float>(r, t, lr), plan_step<double>(r, t, lr));
}

bool adagrad_step(py::handle params, py::handle grads, py::handle sums, py::handle step,
                  py::handle lr_, py::handle lr_decay_, py::handle wd_, py::handle eps_,
                  py::handle maximize_, py::handle nonfinite) {
    const std::string fn = "adagrad_step";
    long long t = check_step(fn, step);
    double lr = real_arg(fn, "lr", lr_), lr_decay = real_arg(fn, "lr_decay", lr_decay_);
    double wd = real_arg(fn, "weight_decay", wd_), eps = real_arg(fn, "eps", eps_);
    bool maximize = bool_arg(fn, "maximize", maximize_);
    check_nonnegative(fn, "lr", lr);
    check_nonnegative(fn, "lr_decay", lr_decay);
    check_nonnegative(fn, "weight_decay", wd);
    check_positive(fn, "eps", eps);
    auto mode = check_nonfinite(fn, nonfinite);
    prepared prep = prepare(fn, {{"param", params, -2}, {"grad", grads, -1}, {"state_sum", sums, 0}});
    rule r;
    r.kind = rule_kind::adagrad;
    r.lr_decay = lr_decay;
    r.weight_decay = wd;
    r.eps = eps;
    r.maximize = maximize;
    return run_step(fn, prep, mode, plan_step<float>(r, t, lr), plan_step<double>(r, t, lr));
}

bool rmsprop_step(py::handle params, py::handle grads, py::handle square_avg, py::handle buf,
                  py::handle grad_avg, py::handle lr_, py::handle alpha_, py::handle eps_,
                  py::handle wd_, py::handle momentum_, py::handle centered_,
                  py::handle maximize_, py::handle nonfinite) {
    const std::string fn = "rmsprop_step";
    double lr = real_arg(fn, "lr", lr_), alpha = real_arg(fn, "alpha", alpha_);
    double eps = real_arg(fn, "eps", eps_), wd = real_arg(fn, "weight_decay", wd_);
    double momentum = real_arg(fn, "momentum", momentum_);
    bool centered = bool_arg(fn, "centered", centered_);
    bool maximize = bool_arg(fn, "maximize", maximize_);
    check_nonnegative(fn, "lr", lr);
    check_between(fn, "alpha", alpha, 0.0, 1.0, false, "[0, 1]");
    check_positive(fn, "eps", eps);
    check_nonnegative(fn, "weight_decay", wd);
    check_nonnegative(fn, "momentum", momentum);
    auto mode = check_nonfinite(fn, nonfinite);
    bool use_buf = momentum != 0;
    if (use_buf && buf.is_none()) value_error(fn, "momentum_buffer is required when momentum != 0");
    if (centered && grad_avg.is_none()) value_error(fn, "grad_avg is required when centered=True");
    prepared prep = prepare(fn, {{"param", params, -2},
                                 {"grad", grads, -1},
                                 {"square_avg", square_avg, 0},
                                 {"momentum_buffer", buf, 1, use_buf},
                                 {"grad_avg", grad_avg, 2, centered}});
    rule r;
    r.kind = rule_kind::rmsprop;
    r.alpha = alpha;
    r.eps = eps;
    r.weight_decay = wd;
    r.momentum = momentum;
    r.centered = centered;
    r.maximize = maximize;
    return run_step(fn, prep, mode, plan_step<float>(r, 1, lr), plan_step<double>(r, 1, lr));
}

bool adam_like(const std::string& fn, bool decoupled, py::handle params, py::handle grads,
               py::handle m, py::handle v, py::handle vmax, py::handle step, py::handle lr_,
               py::handle beta1_, py::handle beta2_, py::handle eps_, py::handle wd_,
               py::handle amsgrad_, py::handle maximize_, py::handle nonfinite) {
    long long t = check_step(fn, step);
    double lr = real_arg(fn, "lr", lr_), beta1 = real_arg(fn, "beta1", beta1_);
    double beta2 = real_arg(fn, "beta2", beta2_), eps = real_arg(fn, "eps", eps_);
    double wd = real_arg(fn, "weight_decay", wd_);
    bool amsgrad = bool_arg(fn, "amsgrad", amsgrad_);
    bool maximize = bool_arg(fn, "maximize", maximize_);
    check_nonnegative(fn, "lr", lr);
    check_between(fn, "beta1", beta1, 0.0, 1.0, true, "[0, 1)");
    check_between(fn, "beta2", beta2, 0.0, 1.0, true, "[0, 1)");
    check_positive(fn, "eps", eps);
    check_nonnegative(fn, "weight_decay", wd);
    auto mode = check_nonfinite(fn, nonfinite);
    if (amsgrad && vmax.is_none()) value_error(fn, "v_max is required when amsgrad=True");
    prepared prep = prepare(fn, {{"param", params, -2},
                                 {"grad", grads, -1},
                                 {"m", m, 0},
                                 {"v", v, 1},
                                 {"v_max", vmax, 2, amsgrad}});
    rule r;
    r.kind = decoupled ? rule_kind::adamw : rule_kind::adam;
    r.beta1 = beta1;
    r.beta2 = beta2;
    r.eps = eps;
    r.weight_decay = wd;
    r.amsgrad = amsgrad;
    r.maximize = maximize;
    return run_step(fn, prep, mode, plan_step<float>(r, t, lr), plan_step<double>(r, t, lr));
}

// Roofline probe: Adam's traffic through the same driver, no arithmetic.
void traffic_pass(py::handle params, py::handle grads, py::handle m, py::handle v) {
    const std::string fn = "traffic_pass";
    prepared prep = prepare(fn, {{"param", params, -2}, {"grad", grads, -1}, {"m", m, 0}, {"v", v, 1}});
    step_plan<float> p32;
    step_plan<double> p64;
    p32.leaf = kernels<float>().traffic;
    p64.leaf = kernels<double>().traffic;
    p32.weight = p64.weight = 0.3;
    run_step(fn, prep, nonfinite_mode::ignore, p32, p64);
}

}  // namespace

void register_optim(py::module_& m) {
    using py::arg;
    m.def("sgd_step", &sgd_step, "SGD step over lists of arrays, in place.", arg("param"),
          arg("grad"), arg("momentum_buffer"), arg("step"), arg("lr"), arg("momentum"),
          arg("dampening"), arg("nesterov"), arg("weight_decay"), arg("maximize"),
          arg("nonfinite"));
    m.def("adagrad_step", &adagrad_step, "Adagrad step over lists of arrays, in place.",
          arg("param"), arg("grad"), arg("state_sum"), arg("step"), arg("lr"), arg("lr_decay"),
          arg("weight_decay"), arg("eps"), arg("maximize"), arg("nonfinite"));
    m.def("rmsprop_step", &rmsprop_step, "RMSprop step over lists of arrays, in place.",
          arg("param"), arg("grad"), arg("square_avg"), arg("momentum_buffer"), arg("grad_avg"),
          arg("lr"), arg("alpha"), arg("eps"), arg("weight_decay"), arg("momentum"),
          arg("centered"), arg("maximize"), arg("nonfinite"));
    m.def("traffic_pass", &traffic_pass,
          "Benchmark probe: read param, grad, m, v and write param, m, v (no arithmetic).",
          arg("param"), arg("grad"), arg("m"), arg("v"));
    auto adam = [](bool decoupled) {
        return [decoupled](py::handle p, py::handle g, py::handle mm, py::handle v,
                           py::handle vmax, py::handle step, py::handle lr, py::handle b1,
                           py::handle b2, py::handle eps, py::handle wd, py::handle ams,
                           py::handle maximize,
                           py::handle nonfinite) {
            return adam_like(decoupled ? "adamw_step" : "adam_step", decoupled, p, g, mm, v, vmax,
                             step, lr, b1, b2, eps, wd, ams, maximize, nonfinite);
        };
    };
    for (bool decoupled : {false, true}) {
        m.def(decoupled ? "adamw_step" : "adam_step", adam(decoupled),
              decoupled ? "AdamW step over lists of arrays, in place."
                        : "Adam step over lists of arrays, in place.",
              arg("param"), arg("grad"), arg("m"), arg("v"), arg("v_max"), arg("step"), arg("lr"),
              arg("beta1"), arg("beta2"), arg("eps"), arg("weight_decay"), arg("amsgrad"),
              arg("maximize"), arg("nonfinite"));
    }
}

}  // namespace steepest::bind
