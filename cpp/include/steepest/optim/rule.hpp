// An optimizer's update rule as plain data, and the plan of one step: which
// leaf runs (ISA- and option-specific) with which coefficients. The scalars of
// step t at learning rate lr are computed here once, in double, then cast to
// T once, exactly as steepest.reference.functional computes them:
//   SGD      coefficients lr, wd, mu, 1 - dampening, sign; first step: buf = g
//   Adagrad  clr = lr / (1 + (t - 1) * lr_decay)
//   RMSprop  lr, alpha, 1 - alpha, eps, wd, mu
//   Adam     step_size = lr / (1 - beta1^t), inv_bc2_sqrt = 1 / sqrt(1 - beta2^t),
//            AdamW decay = 1 - lr * wd
// Used by the functional bindings (one step per call) and by the training
// loop (one step per batch). The `weight` is the rule's serial cost per
// element relative to Adam (measured with bench/run.py), which sets the size
// above which threads are used.
// Twin: steepest.reference.functional; tests: tests/optim/test_parity.py.
#pragma once

#include <cmath>

#include "steepest/kernel_table.hpp"
#include "steepest/optim/adagrad.hpp"
#include "steepest/optim/adam.hpp"
#include "steepest/optim/rmsprop.hpp"
#include "steepest/optim/sgd.hpp"

namespace steepest {

enum class rule_kind { sgd, adagrad, rmsprop, adam, adamw };

struct rule {
    rule_kind kind = rule_kind::sgd;
    double momentum = 0, dampening = 0, weight_decay = 0, lr_decay = 0, eps = 0;
    double alpha = 0, beta1 = 0, beta2 = 0;
    bool nesterov = false, centered = false, amsgrad = false, maximize = false;

    // Which of the three state slots the rule reads and writes.
    bool uses_slot(int slot) const {
        switch (kind) {
            case rule_kind::sgd:
                return slot == 0 && momentum != 0;
            case rule_kind::adagrad:
                return slot == 0;
            case rule_kind::rmsprop:
                return slot == 0 || (slot == 1 && momentum != 0) || (slot == 2 && centered);
            default:
                return slot < 2 || (slot == 2 && amsgrad);
        }
    }
};

template <class T>
struct step_plan {
    leaf_fn<T> leaf = nullptr;
    double weight = 1.0;
    union {
        sgd_coeffs<T> sgd;
        adagrad_coeffs<T> adagrad;
        rmsprop_coeffs<T> rmsprop;
        adam_coeffs<T> adam;
    };
    step_plan() : sgd{} {}
    const void* coeffs() const { return &sgd; }  // every member starts here
};

// The plan of step t (t >= 1, counting applied steps) at learning rate lr.
template <class T>
step_plan<T> plan_step(const rule& r, long long t, double lr) {
    const kernel_table<T>& k = kernels<T>();
    const double sign = r.maximize ? -1.0 : 1.0;
    const int wd = r.weight_decay != 0;
    step_plan<T> p;
    switch (r.kind) {
        case rule_kind::sgd: {
            const int m = r.momentum != 0 ? (r.nesterov ? 2 : 1) : 0;
            const double weight[3] = {0.3, 0.45, 0.5};
            p.leaf = k.sgd[wd][m][t == 1];
            p.weight = weight[m];
            p.sgd = {T(lr), T(r.weight_decay), T(r.momentum), T(1.0 - r.dampening), T(sign)};
            break;
        }
        case rule_kind::adagrad: {
            double clr = lr / (1.0 + static_cast<double>(t - 1) * r.lr_decay);
            p.leaf = k.adagrad[wd];
            p.weight = 0.7;
            p.adagrad = {T(clr), T(r.weight_decay), T(r.eps), T(sign)};
            break;
        }
        case rule_kind::rmsprop: {
            const int mom = r.momentum != 0;
            p.leaf = k.rmsprop[wd][r.centered][mom];
            p.weight = 0.8 + (r.centered ? 0.1 : 0.0) + (mom ? 0.1 : 0.0);
            p.rmsprop = {T(lr),         T(r.alpha), T(1.0 - r.alpha), T(r.eps), T(r.weight_decay),
                         T(r.momentum), T(sign)};
            break;
        }
        case rule_kind::adam:
        case rule_kind::adamw: {
            const bool decoupled = r.kind == rule_kind::adamw;
            const double td = static_cast<double>(t);
            const double step_size = lr / (1.0 - std::pow(r.beta1, td));
            const double inv_bc2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(r.beta2, td));
            const double decay = decoupled ? 1.0 - lr * r.weight_decay : 1.0;
            p.leaf = k.adam[!decoupled && wd][decoupled][r.amsgrad];
            p.weight = 1.0 + (r.amsgrad ? 0.3 : 0.0) + (decoupled ? 0.15 : 0.0);
            p.adam = {T(r.beta1),   T(1.0 - r.beta1), T(r.beta2), T(1.0 - r.beta2),
                      T(step_size), T(inv_bc2_sqrt),  T(r.eps),   T(r.weight_decay),
                      T(decay),     T(sign)};
            break;
        }
    }
    return p;
}

}  // namespace steepest
