// LAMB, following optax.lamb (scale_by_adam, add_decayed_weights,
// scale_by_trust_ratio, scale_by_learning_rate), one trust ratio per array:
//   g <- sign * g
//   m <- (1 - beta1) * g + beta1 * m
//   v <- (1 - beta2) * (g * g) + beta2 * v
//   u = (m / bc1) / (sqrt(v / bc2 + eps_root) + eps)   bc_k = 1 - beta_k^t (in double)
//   u <- u + wd * p                                     (when wd != 0)
//   r = ||p|| / ||u||, or 1 when either norm is 0      (per array, in double)
//   p <- p + (-lr * r) * u                              (-lr * r in double, cast once)
// optax's order of operations as written; it rounds u * r and then * -lr
// in the array's dtype, here -lr * r is one scalar (the rounding moved).
// Two passes (rule.hpp): measure updates m, v and sums p^2 and u^2 (in
// double, eight lanes per fixed block); chunk recomputes u from the stored
// m, v and p (the same values, so the same u) and writes p.
// Memory traffic per element: measure reads p, g, m, v and writes m, v;
// chunk reads p, m, v and writes p: 7 reads + 3 writes against Adam's
// 4 + 3, i.e. one extra read of p, m and v (never of g), 10/7 of Adam's
// bytes. Storing u instead would add a write and a read of a fifth array.
// You et al., arXiv:1904.00962, algorithm 2.
// Twin: steepest.reference.functional.lamb_step; tests/optim/test_parity.py.
#pragma once

#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct lamb {
    static constexpr const char* name = "lamb";
    static constexpr const char* doc = "LAMB step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 2> state = {"m", "v"};
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 2;  // [weight decay]
    static constexpr int sums = 2;      // ||p||^2, ||u||^2

    double beta1 = 0, beta2 = 0, eps = 0, eps_root = 0, weight_decay = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("beta1", beta1, range::unit_open);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("eps_root", eps_root, range::nonnegative);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.flag("maximize", maximize);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b1, omb1, b2, omb2, bc1, bc2, eps_root, eps, wd, sign;
        T step;     // -lr * r of the array (set by rescale)
        double lr;  // for rescale
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double bc1 = 1.0 - std::pow(beta1, td);
        const double bc2 = 1.0 - std::pow(beta2, td);
        return {T(beta1),    T(1.0 - beta1), T(beta2),        T(1.0 - beta2),
                T(bc1),      T(bc2),         T(eps_root),     T(eps),
                T(weight_decay), T(sign),    T(-lr),          lr};
    }

    template <class T>
    static coeffs<T> rescale(const coeffs<T>& c, const double* totals) {
        const double pn = std::sqrt(totals[0]), un = std::sqrt(totals[1]);
        // optax: a zero norm on either side leaves the update unscaled
        const double r = (pn == 0.0 || un == 0.0) ? 1.0 : pn / un;
        coeffs<T> out = c;
        out.step = T(-c.lr * r);
        return out;
    }

    int variant(long long) const { return weight_decay != 0; }

    // 10/7 of Adam's traffic, three divisions and a sqrt per element per pass.
    double weight() const { return 1.6; }

    template <class T, bool WD>
    static STEEPEST_INLINE T update(T p, T m, T v, const coeffs<T>& c) {
        T u = (m / c.bc1) / (sqrt_(v / c.bc2 + c.eps_root) + c.eps);
        if constexpr (WD) u = u + c.wd * p;
        return u;
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void moments(T p, T g, T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v,
                                        index_t i, const coeffs<T>& c, double& pp, double& uu) {
        T gi = c.sign * g;
        T mi = c.omb1 * gi + c.b1 * m[i];
        T vi = c.omb2 * (gi * gi) + c.b2 * v[i];
        m[i] = mi;
        v[i] = vi;
        const double pd = static_cast<double>(p);
        const double ud = static_cast<double>(update<T, WD>(p, mi, vi, c));
        pp += pd * pd;
        uu += ud * ud;
    }

    // Element i goes to lane i % 8, each lane adds in index order, then the
    // lanes in order: the association steepest.reference.functional mirrors.
    template <class T, int V>
    static STEEPEST_INLINE void measure(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                        T* const* s, index_t n, const coeffs<T>& c,
                                        double* out) {
        constexpr int lanes = 8;
        T* STEEPEST_RESTRICT m = s[0];
        T* STEEPEST_RESTRICT v = s[1];
        double pp[lanes] = {}, uu[lanes] = {};
        const index_t full = n / lanes * lanes;
        for (index_t i = 0; i < full; i += lanes) {
#pragma omp simd
            for (int k = 0; k < lanes; ++k) {
                moments<T, V == 1>(p[i + k], g[i + k], m, v, i + k, c, pp[k], uu[k]);
            }
        }
        for (index_t i = full; i < n; ++i) {
            moments<T, V == 1>(p[i], g[i], m, v, i, c, pp[i - full], uu[i - full]);
        }
        double sp = 0, su = 0;
        for (int k = 0; k < lanes; ++k) {
            sp += pp[k];
            su += uu[k];
        }
        out[0] = sp;
        out[1] = su;
    }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        const T* STEEPEST_RESTRICT m = s[0];
        const T* STEEPEST_RESTRICT v = s[1];
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            const T pi = p[i];
            p[i] = pi + c.step * update<T, V == 1>(pi, m[i], v[i], c);
        }
    }
};

}  // namespace steepest::rules
