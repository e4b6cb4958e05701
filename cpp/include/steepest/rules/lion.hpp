// Lion (evoLved sIgn mOmeNtum), following optax.lion:
//   g <- sign * g                                   (sign = -1 when maximising)
//   c = (1 - beta1) * g + beta1 * m
//   u = sgn(c) + wd * p                             (wd * p when wd != 0)
//   p <- p - lr * u
//   m <- (1 - beta2) * g + beta2 * m
// optax's order of operations: scale_by_lion, then add_decayed_weights, then
// the learning rate; optax adds -lr * u, which rounds as p - lr * u. sgn is
// numpy.sign: 0 at 0 and NaN at NaN. The update has the same size in every
// coordinate, so it takes no bias correction and no step count.
// Chen et al., "Symbolic discovery of optimization algorithms",
// arXiv:2302.06675, algorithm 2 (decoupled weight decay).
// Twin: steepest.reference.functional.lion_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct lion {
    static constexpr const char* name = "lion";
    static constexpr const char* doc = "Lion step over lists of arrays, in place.";
    static constexpr bool uses_step = false;  // no bias correction: t plays no part
    static constexpr std::array<const char*, 1> state = {"m"};  // optax: mu; lion-pytorch: exp_avg
    static constexpr std::array<const char*, 1> required_when = {nullptr};
    static constexpr int variants = 2;  // [weight decay]

    double beta1 = 0, beta2 = 0, weight_decay = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, lr, wd, sign;
    };

    template <class T>
    coeffs<T> plan(long long, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        return {T(beta1), T(1.0 - beta1), T(beta2),       T(1.0 - beta2),
                T(lr),    T(weight_decay), T(sign)};
    }

    int variant(long long) const { return weight_decay != 0; }

    // SGD-with-momentum's traffic (one state array), with a few more operations.
    double weight() const { return 0.5; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], n, c);
    }

    // numpy.sign: -1, 0 or 1, and NaN for NaN (as a select, so it vectorises).
    template <class T>
    static STEEPEST_INLINE T sgn(T x) {
        const T s = T(x > T(0)) - T(x < T(0));
        return x != x ? x : s;
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            const T gi = c.sign * g[i];
            const T mi = m[i];
            T ui = sgn(c.omb1 * gi + c.b1 * mi);
            if constexpr (WD) ui = ui + c.wd * p[i];
            p[i] = p[i] - c.lr * ui;
            m[i] = c.omb2 * gi + c.b2 * mi;
        }
    }
};

}  // namespace steepest::rules
