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
// limits this loop. Adam and AdamW differ only in where the weight decay goes,
// so both rules are one template over that choice.
// Kingma & Ba, arXiv:1412.6980; Loshchilov & Hutter, arXiv:1711.05101;
// Reddi, Kale, Kumar, "On the convergence of Adam and beyond", ICLR 2018.
// Twin: steepest.reference.functional.adam_step / adamw_step;
// tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {
namespace detail {

template <bool Decoupled>
struct adam_family {
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 3> state = {"m", "v", "v_max"};
    static constexpr std::array<const char*, 3> required_when = {nullptr, nullptr, "amsgrad=True"};
    // Adam: [L2][amsgrad]; AdamW (no L2 term): [amsgrad]
    static constexpr int variants = Decoupled ? 2 : 4;

    double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0;
    bool amsgrad = false, maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("amsgrad", amsgrad);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t slot) const { return slot < 2 || amsgrad; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, step_size, inv_bc2_sqrt, eps, wd, decay, sign;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double step_size = lr / (1.0 - std::pow(beta1, td));
        const double inv_bc2_sqrt = 1.0 / std::sqrt(1.0 - std::pow(beta2, td));
        const double decay = Decoupled ? 1.0 - lr * weight_decay : 1.0;
        return {T(beta1),        T(1.0 - beta1), T(beta2),        T(1.0 - beta2), T(step_size),
                T(inv_bc2_sqrt), T(eps),         T(weight_decay), T(decay),       T(sign)};
    }

    int variant(long long) const {
        return Decoupled ? int(amsgrad) : (weight_decay != 0) * 2 + amsgrad;
    }

    double weight() const { return 1.0 + (amsgrad ? 0.3 : 0.0) + (Decoupled ? 0.15 : 0.0); }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, !Decoupled && V / 2 == 1, V % 2 == 1>(p, g, s[0], s[1], s[2], n, c);
    }

    template <class T, bool L2, bool AMS>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v,
                                       T* STEEPEST_RESTRICT vmax, index_t n, const coeffs<T>& c) {
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
};

}  // namespace detail

struct adam : detail::adam_family<false> {
    static constexpr const char* name = "adam";
    static constexpr const char* doc = "Adam step over lists of arrays, in place.";
};

struct adamw : detail::adam_family<true> {
    static constexpr const char* name = "adamw";
    static constexpr const char* doc = "AdamW step over lists of arrays, in place.";
};

}  // namespace steepest::rules
