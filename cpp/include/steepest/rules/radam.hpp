// RAdam, following torch.optim.RAdam:
//   g <- sign * g
//   L2:  g <- g + wd * p          decoupled:  p <- p * (1 - lr * wd)      (when wd != 0)
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g * g
//   rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
//   rho_t > 5 (rectified):
//     r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
//     p <- p - (lr r_t sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v) + eps)
//   else (un-rectified):
//     p <- p - (lr / (1 - beta1^t)) * m
// rho_t, r_t and the step size are per-step scalars: plan() computes them once
// in double and variant() picks the kernel, so neither branch is taken per
// element. torch multiplies m / (1 - beta1^t), lr, sqrt(1 - beta2^t) / (sqrt(v)
// + eps) and r_t per element; folding the scalars into one step size is the
// same formula with roundings moved. Its addcmul computes (1 - beta2) * g * g
// left to right, as here. The decoupled decay multiplies by exactly 1 when it
// is off (no weight decay, or L2), which leaves p unchanged bit for bit and
// saves a variant.
// Liu et al., "On the variance of the adaptive learning rate and beyond",
// ICLR 2020 (arXiv:1908.03265), algorithm 2.
// Twin: steepest.reference.functional.radam_step; tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct radam {
    static constexpr const char* name = "radam";
    static constexpr const char* doc = "RAdam step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 2> state = {"m", "v"};  // torch: exp_avg, exp_avg_sq
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 4;  // [L2][rectified]

    double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
    bool decoupled_weight_decay = false, maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("decoupled_weight_decay", decoupled_weight_decay);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, step_size, eps, wd, decay, sign;
    };

    // The length of the approximated simple moving average at step t.
    double rho(long long t) const {
        const double td = static_cast<double>(t);
        const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        return rho_inf - 2.0 * td * std::pow(beta2, td) / (1.0 - std::pow(beta2, td));
    }

    bool rectified(long long t) const { return rho(t) > 5.0; }

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double bc1 = 1.0 - std::pow(beta1, td);
        double step_size = lr / bc1;
        if (rectified(t)) {
            const double bc2 = 1.0 - std::pow(beta2, td);
            const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
            const double rho_t = rho(t);
            const double r = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                       ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
            step_size = lr * r * std::sqrt(bc2) / bc1;
        }
        const double decay = decoupled_weight_decay ? 1.0 - lr * weight_decay : 1.0;
        return {T(beta1), T(1.0 - beta1),  T(beta2), T(1.0 - beta2), T(step_size),
                T(eps),   T(weight_decay), T(decay), T(sign)};
    }

    int variant(long long t) const {
        const bool l2 = !decoupled_weight_decay && weight_decay != 0;
        return int(l2) * 2 + int(rectified(t));
    }

    // Adam's traffic and arithmetic (the un-rectified steps skip the root).
    double weight() const { return 1.0; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V / 2 == 1, V % 2 == 1>(p, g, s[0], s[1], n, c);
    }

    template <class T, bool L2, bool Rect>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v, index_t n,
                                       const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            const T pi = p[i] * c.decay;
            if constexpr (L2) gi = gi + c.wd * p[i];
            const T mi = c.b1 * m[i] + c.omb1 * gi;
            const T vi = c.b2 * v[i] + c.omb2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            if constexpr (Rect) {
                p[i] = pi - (c.step_size * mi) / (sqrt_(vi) + c.eps);
            } else {
                p[i] = pi - c.step_size * mi;
            }
        }
    }
};

}  // namespace steepest::rules
