// Adagrad, following torch.optim.Adagrad:
//   g <- sign * g;  g <- g + wd * p       (when wd != 0)
//   clr = lr / (1 + (t - 1) * lr_decay)   (per step, in double)
//   s <- s + g * g
//   p <- p - (clr * g) / (sqrt(s) + eps)
// Duchi, Hazan, Singer, "Adaptive subgradient methods", JMLR 2011.
// Twin: steepest.reference.functional.adagrad_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct adagrad {
    static constexpr const char* name = "adagrad";
    static constexpr const char* doc = "Adagrad step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 1> state = {"state_sum"};
    static constexpr std::array<const char*, 1> required_when = {nullptr};
    static constexpr int variants = 2;  // [weight decay]

    double lr_decay = 0, weight_decay = 0, eps = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("lr_decay", lr_decay, range::nonnegative);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.real("eps", eps, range::positive);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T clr, wd, eps, sign;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double clr = lr / (1.0 + static_cast<double>(t - 1) * lr_decay);
        return {T(clr), T(weight_decay), T(eps), T(sign)};
    }

    int variant(long long) const { return weight_decay != 0; }

    double weight() const { return 0.7; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], n, c);
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT sum, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            if constexpr (WD) gi = gi + c.wd * p[i];
            T s = sum[i] + gi * gi;
            sum[i] = s;
            p[i] = p[i] - (c.clr * gi) / (sqrt_(s) + c.eps);
        }
    }
};

}  // namespace steepest::rules
