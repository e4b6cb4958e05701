// AdaBelief, following optax.adabelief:
//   g <- sign * g                                   (sign = -1 when maximising)
//   m <- (1 - beta1) * g + beta1 * m
//   s <- (1 - beta2) * (g - m)^2 + beta2 * s + eps_root    (m after its update)
//   bc1 = 1 - beta1^t;  bc2 = 1 - beta2^t            (per step, in double)
//   p <- p - lr * (m * (1 / bc1)) / (sqrt(s * (1 / bc2)) + eps)
// Adam with the second moment of the prediction error g - m (the "belief")
// in place of that of g. optax's order of operations: eps_root is kept in s
// (so it accumulates), and optax adds -lr * u, which rounds as p - lr * u.
// optax writes m / bc1 and s / bc2; XLA compiles that division by a scalar
// into a multiplication by its reciprocal taken in the array's type (measured
// with jax 0.10.2 on arrays of more than one element), so 1 / bc is
// T(1) / T(bc) here too: optax's rounding, and two divisions fewer per element.
// Zhuang et al., "AdaBelief optimizer: adapting stepsizes by the belief in
// observed gradients", arXiv:2010.07468, algorithm 2.
// Twin: steepest.reference.functional.adabelief_step; tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct adabelief {
    static constexpr const char* name = "adabelief";
    static constexpr const char* doc = "AdaBelief step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    // optax: mu, nu; adabelief-pytorch: exp_avg, exp_avg_var
    static constexpr std::array<const char*, 2> state = {"m", "s"};
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 1;

    double beta1 = 0, beta2 = 0, eps = 0, eps_root = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("eps_root", eps_root, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, inv_bc1, inv_bc2, lr, eps, eps_root, sign;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double bc1 = 1.0 - std::pow(beta1, td);
        const double bc2 = 1.0 - std::pow(beta2, td);
        return {T(beta1),     T(1.0 - beta1), T(beta2), T(1.0 - beta2),  T(1) / T(bc1),
                T(1) / T(bc2), T(lr),         T(eps),   T(eps_root), T(sign)};
    }

    int variant(long long) const { return 0; }

    // Adam's traffic and arithmetic, with a few more operations.
    double weight() const { return 1.1; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T>(p, g, s[0], s[1], n, c);
    }

    template <class T>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT s,
                                       index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            const T gi = c.sign * g[i];
            const T mi = c.omb1 * gi + c.b1 * m[i];
            const T ei = gi - mi;
            const T si = c.omb2 * (ei * ei) + c.b2 * s[i] + c.eps_root;
            m[i] = mi;
            s[i] = si;
            p[i] = p[i] - c.lr * ((mi * c.inv_bc1) / (sqrt_(si * c.inv_bc2) + c.eps));
        }
    }
};

}  // namespace steepest::rules
