// ASGD (averaged SGD), following torch.optim.ASGD:
//   g <- sign * g;  g <- g + wd * p                       (when wd != 0)
//   p <- p * (1 - lambd * eta);  p <- p - eta * g          (eta: the param's stored eta)
//   ax <- p                                  when the stored mu is 1
//   ax <- ax + (p - ax) * mu                 otherwise
// then, at the end of step t, the param's scalars for step t + 1 (in double,
// stored in their own dtype):
//   eta <- lr / (1 + lambd * lr * t)^alpha,   mu <- 1 / max(1, t - t0)
// eta and mu are per-param state (torch's 0-d tensors), so the learning rate
// given at step t first acts at step t + 1; they start at the initial lr and 1.
// torch's order of operations, left to right as written. ax is the averaged
// iterate, the one to evaluate (ASGD's point).
// Polyak & Juditsky, "Acceleration of stochastic approximation by averaging",
// SIAM J. Control Optim. 30(4), 1992.
// Twin: steepest.reference.functional.asgd_step; tests/optim/test_parity.py.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct asgd {
    static constexpr const char* name = "asgd";
    static constexpr const char* doc = "ASGD step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 1> state = {"ax"};
    static constexpr std::array<const char*, 1> required_when = {nullptr};
    static constexpr std::array<const char*, 2> scalars = {"eta", "mu"};
    static constexpr int variants = 4;  // [weight decay][averaging]

    double lambd = 0, alpha = 0, t0 = 0, weight_decay = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("lambd", lambd, range::nonnegative);
        v.real("alpha", alpha, range::nonnegative);
        v.real("t0", t0, range::nonnegative);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T decay, neg_eta, mu, wd, sign;
    };

    // Reads the stored eta and mu, then stores those of step t + 1.
    template <class T>
    coeffs<T> plan(long long t, double lr, scalar_cell* s) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double eta = s[0].value, mu = s[1].value;
        const coeffs<T> c{T(1.0 - lambd * eta), T(-eta), T(mu), T(weight_decay), T(sign)};
        const double td = static_cast<double>(t);
        s[0].set(lr / std::pow(1.0 + lambd * lr * td, alpha));
        s[1].set(1.0 / std::max(1.0, td - t0));
        return c;
    }

    int variant(long long, const scalar_cell* s) const {
        return (weight_decay != 0) * 2 + (s[1].value != 1.0);
    }

    // SGD's traffic plus one state array.
    double weight() const { return 0.8; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V / 2 == 1, V % 2 == 1>(p, g, s[0], n, c);
    }

    template <class T, bool WD, bool Average>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT ax, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            T pi = p[i];
            if constexpr (WD) gi = gi + c.wd * pi;
            pi = pi * c.decay;
            pi = pi + c.neg_eta * gi;
            p[i] = pi;
            if constexpr (Average) {
                ax[i] = ax[i] + (pi - ax[i]) * c.mu;
            } else {
                ax[i] = pi;
            }
        }
    }
};

}  // namespace steepest::rules
