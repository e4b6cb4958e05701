// NAdam, following torch.optim.NAdam:
//   g <- sign * g
//   L2:  g <- g + wd * p          decoupled:  p <- p * (1 - lr * wd)   (when wd != 0)
//   mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi));  mu_next = the same at t + 1
//   mu_product <- mu_product * mu_t                   (per param, kept as stored)
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g * g
//   d = sqrt(v) * inv_bc2_sqrt + eps,     inv_bc2_sqrt = 1 / sqrt(1 - beta2^t)
//   p <- p + (c_g * g) / d;  p <- p + (c_m * m) / d
//   c_g = -lr * (1 - mu_t) / (1 - mu_product)
//   c_m = -lr * mu_next / (1 - mu_product * mu_next)             (per step, in double)
// torch's order of operations, left to right as written (its addcmul and
// addcdiv multiply by the scalar first), but for d: torch divides v by
// 1 - beta2^t per element; multiplying sqrt(v) by the inverse root (as
// adam.hpp does) agrees to rounding and saves one of three divisions, which
// limit this loop. Merging the two addcdiv terms would save another but
// moved a 50-step float32 MLP run 1.2e-6 from torch's (tests/torch/). m is in
// the documented form (torch lerps; the two agree to rounding).
// mu_product is per-param state: the
// coefficients come from its stored value, so one stored in float32 (torch's
// 0-d tensor) rounds as torch's does (see rules::scalar_cell).
// Dozat, "Incorporating Nesterov momentum into Adam", ICLR 2016 workshop.
// Twin: steepest.reference.functional.nadam_step; tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct nadam {
    static constexpr const char* name = "nadam";
    static constexpr const char* doc = "NAdam step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 2> state = {"m", "v"};  // torch: exp_avg, exp_avg_sq
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr std::array<const char*, 1> scalars = {"mu_product"};
    static constexpr int variants = 3;  // [no decay, L2, decoupled]

    double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0, momentum_decay = 0;
    bool decoupled_weight_decay = false, maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.real("momentum_decay", momentum_decay, range::nonnegative);
        v.flag("decoupled_weight_decay", decoupled_weight_decay);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, inv_bc2_sqrt, eps, wd, decay, c_g, c_m, sign;
    };

    double mu_at(double t) const {
        return beta1 * (1.0 - 0.5 * std::pow(0.96, t * momentum_decay));
    }

    template <class T>
    coeffs<T> plan(long long t, double lr, scalar_cell* s) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double inv_bc2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(beta2, td));
        const double mu = mu_at(td), mu_next = mu_at(td + 1.0);
        const double mu_product = s[0].mul(mu);
        const double c_g = -lr * (1.0 - mu) / (1.0 - mu_product);
        const double c_m = (-lr * mu_next) / (1.0 - mu_product * mu_next);
        const double decay = 1.0 - lr * weight_decay;
        return {T(beta1), T(1.0 - beta1), T(beta2), T(1.0 - beta2), T(inv_bc2_sqrt), T(eps),
                T(weight_decay), T(decay), T(c_g), T(c_m), T(sign)};
    }

    int variant(long long, const scalar_cell*) const {
        return weight_decay == 0 ? 0 : decoupled_weight_decay ? 2 : 1;
    }

    // Adam's traffic, one more division.
    double weight() const { return 1.2; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1, V == 2>(p, g, s[0], s[1], n, c);
    }

    template <class T, bool L2, bool Decoupled>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v,
                                       index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            T pi = p[i];
            if constexpr (L2) gi = gi + c.wd * pi;
            if constexpr (Decoupled) pi = pi * c.decay;
            T mi = c.b1 * m[i] + c.omb1 * gi;
            T vi = c.b2 * v[i] + c.omb2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            T d = sqrt_(vi) * c.inv_bc2_sqrt + c.eps;
            pi = pi + (c.c_g * gi) / d;
            p[i] = pi + (c.c_m * mi) / d;
        }
    }
};

}  // namespace steepest::rules
