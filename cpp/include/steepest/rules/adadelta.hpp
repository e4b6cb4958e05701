// Adadelta, following torch.optim.Adadelta:
//   g <- sign * g;  g <- g + wd * p                     (when wd != 0)
//   v <- rho * v + (1 - rho) * g * g
//   d = sqrt(u + eps) / sqrt(v + eps) * g               (u before its update)
//   u <- rho * u + (1 - rho) * d * d
//   p <- p - lr * d
// torch's order of operations, left to right as written: its addcmul computes
// (1 - rho) * g * g in that order; its add(alpha=-lr) rounds as p - lr * d.
// Zeiler, arXiv:1212.5701, algorithm 1.
// Twin: steepest.reference.functional.adadelta_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct adadelta {
    static constexpr const char* name = "adadelta";
    static constexpr const char* doc = "Adadelta step over lists of arrays, in place.";
    static constexpr bool uses_step = false;  // no bias correction: t plays no part
    static constexpr std::array<const char*, 2> state = {"square_avg", "acc_delta"};
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 2;  // [weight decay]

    double rho = 0, eps = 0, weight_decay = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("rho", rho, range::unit_closed);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T lr, rho, omr, eps, wd, sign;  // omr = 1 - rho
    };

    template <class T>
    coeffs<T> plan(long long, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        return {T(lr), T(rho), T(1.0 - rho), T(eps), T(weight_decay), T(sign)};
    }

    int variant(long long) const { return weight_decay != 0; }

    // Adam's traffic (two state arrays), with two square roots and a division.
    double weight() const { return 1.0; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], s[1], n, c);
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT v, T* STEEPEST_RESTRICT u,
                                       index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            if constexpr (WD) gi = gi + c.wd * p[i];
            T vi = c.rho * v[i] + c.omr * gi * gi;
            T di = sqrt_(u[i] + c.eps) / sqrt_(vi + c.eps) * gi;
            v[i] = vi;
            u[i] = c.rho * u[i] + c.omr * di * di;
            p[i] = p[i] - c.lr * di;
        }
    }
};

}  // namespace steepest::rules
