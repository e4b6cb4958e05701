// Stochastic gradient descent with optional heavy-ball or Nesterov momentum,
// following torch.optim.SGD:
//   g <- sign * g                    (sign = -1 when maximising)
//   g <- g + wd * p                  (weight decay, when wd != 0)
//   b <- g                           (first step)
//   b <- mu * b + (1 - dampening) * g (later steps)
//   g <- g + mu * b  (Nesterov)  or  g <- b  (heavy ball)
//   p <- p - lr * g
// Sutskever et al., "On the importance of initialization and momentum in deep
// learning", ICML 2013.
// Twin: steepest.reference.functional.sgd_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct sgd {
    static constexpr const char* name = "sgd";
    static constexpr const char* doc = "SGD step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 1> state = {"momentum_buffer"};
    static constexpr std::array<const char*, 1> required_when = {"momentum != 0"};
    static constexpr int variants = 2 * 3 * 2;  // [weight decay][momentum kind][first step]

    double momentum = 0, dampening = 0, weight_decay = 0;
    bool nesterov = false, maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("momentum", momentum, range::nonnegative);
        v.real("dampening", dampening, range::unit_closed);
        v.flag("nesterov", nesterov);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            return "nesterov=True requires momentum > 0 and dampening == 0";
        }
        return nullptr;
    }

    bool uses(std::size_t) const { return momentum != 0; }

    template <class T>
    struct coeffs {
        T lr, wd, mu, omd, sign;  // omd = 1 - dampening
    };

    template <class T>
    coeffs<T> plan(long long, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        return {T(lr), T(weight_decay), T(momentum), T(1.0 - dampening), T(sign)};
    }

    enum momentum_kind { none, heavy_ball, nesterov_kind };

    int momentum_of() const {
        return momentum != 0 ? (nesterov ? nesterov_kind : heavy_ball) : none;
    }

    int variant(long long t) const {
        return (weight_decay != 0) * 6 + momentum_of() * 2 + (t == 1);
    }

    double weight() const {
        const double by_momentum[3] = {0.3, 0.45, 0.5};
        return by_momentum[momentum_of()];
    }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V / 6 == 1, V / 2 % 3, V % 2 == 1>(p, g, s[0], n, c);
    }

    template <class T, bool WD, int M, bool First>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT buf, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T gi = c.sign * g[i];
            if constexpr (WD) gi = gi + c.wd * p[i];
            if constexpr (M != none) {
                T b;
                if constexpr (First) {
                    b = gi;
                } else {
                    b = c.mu * buf[i] + c.omd * gi;
                }
                buf[i] = b;
                if constexpr (M == nesterov_kind) {
                    gi = gi + c.mu * b;
                } else {
                    gi = b;
                }
            }
            p[i] = p[i] - c.lr * gi;
        }
    }
};

}  // namespace steepest::rules
