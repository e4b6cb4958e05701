// Adagrad, following torch.optim.Adagrad:
//   g <- sign * g;  g <- g + wd * p       (when wd != 0)
//   clr = lr / (1 + (t - 1) * lr_decay)   (per step, in double)
//   s <- s + g * g
//   p <- p - (clr * g) / (sqrt(s) + eps)
// Duchi, Hazan, Singer, "Adaptive subgradient methods", JMLR 2011.
// Twin: steepest.reference.functional.adagrad_step; tests/optim/test_parity.py.
#pragma once

#include "steepest/common.hpp"

namespace steepest {

template <class T>
struct adagrad_coeffs {
    T clr, wd, eps, sign;
};

template <class T, bool WD>
STEEPEST_INLINE void adagrad_chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                   T* STEEPEST_RESTRICT sum, index_t n,
                                   const adagrad_coeffs<T>& c) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        T gi = c.sign * g[i];
        if constexpr (WD) gi = gi + c.wd * p[i];
        T s = sum[i] + gi * gi;
        sum[i] = s;
        p[i] = p[i] - (c.clr * gi) / (sqrt_(s) + c.eps);
    }
}

}  // namespace steepest
