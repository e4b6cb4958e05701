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

#include "steepest/common.hpp"

namespace steepest {

template <class T>
struct rmsprop_coeffs {
    T lr, alpha, oma, eps, wd, mu, sign;  // oma = 1 - alpha
};

template <class T, bool WD, bool Centered, bool Momentum>
STEEPEST_INLINE void rmsprop_chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                   T* STEEPEST_RESTRICT v, T* STEEPEST_RESTRICT buf,
                                   T* STEEPEST_RESTRICT ga, index_t n,
                                   const rmsprop_coeffs<T>& c) {
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

}  // namespace steepest
