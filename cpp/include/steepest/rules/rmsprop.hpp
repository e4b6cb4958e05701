// RMSprop, plain or centered, with optional momentum, following
// torch.optim.RMSprop:
//   g <- sign * g;  g <- g + wd * p              (when wd != 0)
//   v <- alpha * v + (1 - alpha) * g * g
//   centered:  ga <- alpha * ga + (1 - alpha) * g;  d = sqrt(v - ga * ga) + eps
//   otherwise: d = sqrt(v) + eps
//   momentum:  b <- mu * b + g / d;  p <- p - lr * b
//   otherwise: p <- p - (lr * g) / d
// Tieleman & Hinton, COURSERA lecture 6.5, 2012; Graves, arXiv:1308.0850.
// Twin: steepest.reference.functional.rmsprop_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct rmsprop {
    static constexpr const char* name = "rmsprop";
    static constexpr const char* doc = "RMSprop step over lists of arrays, in place.";
    static constexpr bool uses_step = false;  // no bias correction: t plays no part
    static constexpr std::array<const char*, 3> state = {"square_avg", "momentum_buffer",
                                                         "grad_avg"};
    static constexpr std::array<const char*, 3> required_when = {nullptr, "momentum != 0",
                                                                 "centered=True"};
    static constexpr int variants = 2 * 2 * 2;  // [weight decay][centered][momentum]

    double alpha = 0, eps = 0, weight_decay = 0, momentum = 0;
    bool centered = false, maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("alpha", alpha, range::unit_closed);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.real("momentum", momentum, range::nonnegative);
        v.flag("centered", centered);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t slot) const {
        return slot == 0 || (slot == 1 && momentum != 0) || (slot == 2 && centered);
    }

    template <class T>
    struct coeffs {
        T lr, alpha, oma, eps, wd, mu, sign;  // oma = 1 - alpha
    };

    template <class T>
    coeffs<T> plan(long long, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        return {T(lr), T(alpha), T(1.0 - alpha), T(eps), T(weight_decay), T(momentum), T(sign)};
    }

    int variant(long long) const {
        return (weight_decay != 0) * 4 + centered * 2 + (momentum != 0);
    }

    double weight() const { return 0.8 + (centered ? 0.1 : 0.0) + (momentum != 0 ? 0.1 : 0.0); }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V / 4 == 1, V / 2 % 2 == 1, V % 2 == 1>(p, g, s[0], s[1], s[2], n, c);
    }

    template <class T, bool WD, bool Centered, bool Momentum>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT v, T* STEEPEST_RESTRICT buf,
                                       T* STEEPEST_RESTRICT ga, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            if constexpr (WD) gi = gi + c.wd * p[i];
            T vi = c.alpha * v[i] + c.oma * (gi * gi);
            v[i] = vi;
            T d;
            if constexpr (Centered) {
                T a = c.alpha * ga[i] + c.oma * gi;
                ga[i] = a;
                d = sqrt_(vi - a * a) + c.eps;
            } else {
                d = sqrt_(vi) + c.eps;
            }
            if constexpr (Momentum) {
                T b = c.mu * buf[i] + gi / d;
                buf[i] = b;
                p[i] = p[i] - c.lr * b;
            } else {
                p[i] = p[i] - (c.lr * gi) / d;
            }
        }
    }
};

}  // namespace steepest::rules
