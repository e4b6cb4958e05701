// Adam / AdamW / AMSGrad, following torch.optim.Adam and torch.optim.AdamW:
//   g <- sign * g
//   Adam:  g <- g + wd * p  (L2, when wd != 0)    AdamW: p <- p * (1 - lr * wd)
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g * g
//   AMSGrad: vmax <- max(vmax, v) and vmax replaces v below
//   step_size = lr / (1 - beta1^t);  inv_bc2_sqrt = 1 / sqrt(1 - beta2^t)   (in double)
//   p <- p - (step_size * m) / (sqrt(v) * inv_bc2_sqrt + eps)
// torch divides by sqrt(1 - beta2^t) per element; multiplying by its inverse,
// computed once, is the same formula with one rounding moved and frees the
// divider (one division and one sqrt per element remain), which is what
// limits this loop.
// Kingma & Ba, arXiv:1412.6980; Loshchilov & Hutter, arXiv:1711.05101;
// Reddi, Kale, Kumar, "On the convergence of Adam and beyond", ICLR 2018.
// Twin: steepest.reference.functional.adam_step / adamw_step;
// tests/optim/test_parity.py.
#pragma once

#include "steepest/common.hpp"

namespace steepest {

template <class T>
struct adam_coeffs {
    T b1, omb1, b2, omb2, step_size, inv_bc2_sqrt, eps, wd, decay, sign;
};

template <class T, bool L2, bool Decoupled, bool AMS>
STEEPEST_INLINE void adam_chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v,
                                T* STEEPEST_RESTRICT vmax, index_t n, const adam_coeffs<T>& c) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        T gi = c.sign * g[i];
        T pi = p[i];
        if constexpr (L2) gi = gi + c.wd * pi;
        if constexpr (Decoupled) pi = pi * c.decay;
        T mi = c.b1 * m[i] + c.omb1 * gi;
        T vi = c.b2 * v[i] + c.omb2 * (gi * gi);
        m[i] = mi;
        v[i] = vi;
        if constexpr (AMS) {
            vi = nan_max(vmax[i], vi);
            vmax[i] = vi;
        }
        p[i] = pi - (c.step_size * mi) / (sqrt_(vi) * c.inv_bc2_sqrt + c.eps);
    }
}

}  // namespace steepest
