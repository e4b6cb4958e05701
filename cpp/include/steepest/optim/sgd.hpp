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

#include "steepest/common.hpp"

namespace steepest {

template <class T>
struct sgd_coeffs {
    T lr, wd, mu, omd, sign;  // omd = 1 - dampening
};

enum class momentum_kind { none, heavy_ball, nesterov };

template <class T, bool WD, momentum_kind M, bool First>
STEEPEST_INLINE void sgd_chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                               T* STEEPEST_RESTRICT buf, index_t n, const sgd_coeffs<T>& c) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        T gi = c.sign * g[i];
        if constexpr (WD) gi = gi + c.wd * p[i];
        if constexpr (M != momentum_kind::none) {
            T b;
            if constexpr (First) {
                b = gi;
            } else {
                b = c.mu * buf[i] + c.omd * gi;
            }
            buf[i] = b;
            if constexpr (M == momentum_kind::nesterov) {
                gi = gi + c.mu * b;
            } else {
                gi = b;
            }
        }
        p[i] = p[i] - c.lr * gi;
    }
}

}  // namespace steepest
