// LAMB, following optax.lamb (scale_by_adam, add_decayed_weights,
// scale_by_trust_ratio, scale_by_learning_rate), one trust ratio per array:
//   g <- sign * g
//   m <- (1 - beta1) * g + beta1 * m
//   v <- (1 - beta2) * (g * g) + beta2 * v
//   u = (m * ibc1) / (sqrt(v * ibc2 + eps_root) + eps)  ibc_k = 1 / (1 - beta_k^t) (in double)
//   u <- u + wd * p                                     (when wd != 0)
//   r = ||p|| / ||u||, or 1 when either norm is 0      (per array, in double)
//   p <- p + (-lr * r) * u                              (-lr * r in double, cast once)
// optax's order of operations as written, but for two roundings moved:
// optax divides by the bias corrections per element and rounds u * r, then
// * -lr; here their inverses and -lr * r are scalars (as adam.hpp does), which
// leaves one division and one sqrt per element and pass.
// Two passes (rule.hpp): measure updates m, v and sums p^2 and u^2 (in
// double, 32 lanes per fixed block); chunk recomputes u from the stored
// m, v and p (the same values, so the same u) and writes p.
// Memory traffic per element: measure reads p, g, m, v and writes m, v;
// chunk reads p, m, v and writes p: 7 reads + 3 writes against Adam's
// 4 + 3, i.e. one extra read of p, m and v (never of g), 10/7 of Adam's
// bytes. Storing u instead would add a write and a read of a fifth array,
// except where the arrays stay in cache: a serial step on arrays of one
// measure block each (bind::two_pass_segments) runs the stored-update
// variants, whose measure also writes u to s[2] (a scratch array) and whose
// chunk reads it back instead of a second division and sqrt per element
// (the same u, so the same bits).
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
    // bit 0: weight decay; bit 1: u stored in s[2] by measure, read by chunk
    static constexpr int variants = 4;
    static constexpr int stored_update = 2;  // the variants' offset
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
        T b1, omb1, b2, omb2, ibc1, ibc2, eps_root, eps, wd, sign;
        T step;     // -lr * r of the array (set by rescale)
        double lr;  // for rescale
    };

    template <class T>
    coeffs<T> plan(long long t, double lr) const {
        const double sign = maximize ? -1.0 : 1.0;
        const double td = static_cast<double>(t);
        const double ibc1 = 1.0 / (1.0 - std::pow(beta1, td));
        const double ibc2 = 1.0 / (1.0 - std::pow(beta2, td));
        return {T(beta1),        T(1.0 - beta1), T(beta2),    T(1.0 - beta2),
                T(ibc1),         T(ibc2),        T(eps_root), T(eps),
                T(weight_decay), T(sign),        T(-lr),      lr};
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

    int variant(long long) const { return weight_decay != 0; }  // never stored_update

    // Measured in cache (x86-64-v4, float32): measure 1.6 and chunk 0.9 of
    // Adam's time per element; the sums in double cost more than the division.
    double weight() const { return 2.4; }
    // Each pass's own, which sets where that pass goes parallel: with the
    // whole step's 2.4 the second pass went to the pool from 6.8k elements,
    // where the first pass (one block) stays serial and has just left p, m
    // and v in the calling core's cache (1e4: 22 us pooled, 9 us serial).
    static constexpr std::array<double, 2> pass_weights = {1.6, 0.9};

    template <class T, bool WD>
    static STEEPEST_INLINE T update(T p, T m, T v, const coeffs<T>& c) {
        T u = (m * c.ibc1) / (sqrt_(v * c.ibc2 + c.eps_root) + c.eps);
        if constexpr (WD) u = u + c.wd * p;
        return u;
    }

    template <class T, bool WD>
    static STEEPEST_INLINE T moments(T p, T g, T& m, T& v, const coeffs<T>& c) {
        const T gi = c.sign * g;
        const T mi = c.omb1 * gi + c.b1 * m;
        const T vi = c.omb2 * (gi * gi) + c.b2 * v;
        m = mi;
        v = vi;
        return update<T, WD>(p, mi, vi, c);
    }

    // Element i goes to lane i % 32, each lane adds in index order, then the
    // lanes in order: the association steepest.reference.functional mirrors.
    // 32 lanes fill whole vectors of doubles on every ISA and keep four
    // independent chains of additions in flight per sum.
    static constexpr int lanes = 32;

    template <class T, int V>
    static STEEPEST_INLINE void measure(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                        T* const* s, index_t n, const coeffs<T>& c,
                                        double* out) {
        T* STEEPEST_RESTRICT m = s[0];
        T* STEEPEST_RESTRICT v = s[1];
        T* STEEPEST_RESTRICT stored = s[2];  // null unless V & stored_update
        constexpr bool wd = (V & 1) != 0, store = (V & stored_update) != 0;
        double pp[lanes] = {}, uu[lanes] = {};
        const index_t full = n / lanes * lanes;
        for (index_t i = 0; i < full; i += lanes) {
#pragma omp simd
            for (int k = 0; k < lanes; ++k) {
                const index_t e = i + k;
                const double pd = static_cast<double>(p[e]);
                const T u = moments<T, wd>(p[e], g[e], m[e], v[e], c);
                if constexpr (store) stored[e] = u;
                const double ud = static_cast<double>(u);
                pp[k] += pd * pd;
                uu[k] += ud * ud;
            }
        }
        for (index_t e = full; e < n; ++e) {
            const double pd = static_cast<double>(p[e]);
            const T u = moments<T, wd>(p[e], g[e], m[e], v[e], c);
            if constexpr (store) stored[e] = u;
            const double ud = static_cast<double>(u);
            pp[e - full] += pd * pd;
            uu[e - full] += ud * ud;
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
        if constexpr ((V & stored_update) != 0) {
            const T* STEEPEST_RESTRICT u = s[2];
#pragma omp simd
            for (index_t i = 0; i < n; ++i) p[i] = p[i] + c.step * u[i];
        } else {
            const T* STEEPEST_RESTRICT m = s[0];
            const T* STEEPEST_RESTRICT v = s[1];
#pragma omp simd
            for (index_t i = 0; i < n; ++i) {
                const T pi = p[i];
                p[i] = pi + c.step * update<T, (V & 1) != 0>(pi, m[i], v[i], c);
            }
        }
    }
};

}  // namespace steepest::rules
