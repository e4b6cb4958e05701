// Adamax, following torch.optim.Adamax:
//   g <- sign * g;  g <- g + wd * p       (when wd != 0)
//   m <- beta1 * m + (1 - beta1) * g
//   u <- max(beta2 * u, |g| + eps)        (NaN-propagating, as numpy.maximum)
//   clr = lr / (1 - beta1^t)              (per step, in double)
//   p <- p - (clr * m) / u
// torch updates m by lerp (m + (1 - beta1) * (g - m)); the two forms agree to
// rounding, and this one is Adam's, so the two kernels share their m line.
// Kingma & Ba, arXiv:1412.6980, section 7.1.
// Twin: steepest.reference.functional.adamax_step; tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct adamax {
    static constexpr const char* name = "adamax";
    static constexpr const char* doc = "Adamax step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 2> state = {"m", "u"};  // torch: exp_avg, exp_inf
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 2;  // [weight decay]

    double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, clr, eps, wd, sign;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double clr = lr / (1.0 - std::pow(beta1, static_cast<double>(t)));
        return {T(beta1), T(1.0 - beta1), T(beta2), T(clr), T(eps), T(weight_decay), T(sign)};
    }

    int variant(long long) const { return weight_decay != 0; }

    // Adam's traffic, without its square root.
    double weight() const { return 0.9; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], s[1], n, c);
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT u, index_t n,
                                       const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            if constexpr (WD) gi = gi + c.wd * p[i];
            T mi = c.b1 * m[i] + c.omb1 * gi;
            T ui = nan_max(c.b2 * u[i], abs_(gi) + c.eps);
            m[i] = mi;
            u[i] = ui;
            p[i] = p[i] - (c.clr * mi) / ui;
        }
    }
};

}  // namespace steepest::rules
