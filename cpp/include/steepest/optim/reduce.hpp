// Reductions over gradients: the finiteness scan behind nonfinite="raise"
// and "skip", and the norms and scaling behind clip_grad_norm.
//   ||g||_2^2 = sum g_i^2 ;  ||g||_inf = max |g_i| ;  ||g||_q^q = sum |g_i|^q
// Sums run in double over eight fixed lanes, so the association (and hence
// the rounding) is the same on every ISA and thread count.
// Twin: steepest.reference.functional.clip_grad_norm; tests/optim/test_clip.py.
#pragma once

#include <cmath>

#include "steepest/core/common.hpp"

namespace steepest {

// x * 0 is +-0 for finite x and NaN for inf or NaN; the sum is NaN iff any
// element is non-finite, whatever order the vectoriser adds in.
// 32 independent lanes keep several vector adds in flight.
template <class T>
STEEPEST_INLINE bool all_finite_chunk(const T* STEEPEST_RESTRICT g, index_t n) {
    constexpr int lanes = 32;
    T acc[lanes] = {};
    index_t full = n / lanes * lanes;
    for (index_t i = 0; i < full; i += lanes) {
#pragma omp simd
        for (int k = 0; k < lanes; ++k) acc[k] += g[i + k] * T(0);
    }
    T tail = T(0);
    for (index_t i = full; i < n; ++i) tail += g[i] * T(0);
    for (int k = 0; k < lanes; ++k) tail += acc[k];
    return tail == T(0);
}

constexpr int reduce_lanes = 8;

template <class T>
STEEPEST_INLINE double sum_squares_chunk(const T* STEEPEST_RESTRICT g, index_t n) {
    double lane[reduce_lanes] = {0, 0, 0, 0, 0, 0, 0, 0};
    index_t full = n / reduce_lanes * reduce_lanes;
    for (index_t i = 0; i < full; i += reduce_lanes) {
#pragma omp simd
        for (int k = 0; k < reduce_lanes; ++k) {
            double x = static_cast<double>(g[i + k]);
            lane[k] += x * x;
        }
    }
    for (index_t i = full; i < n; ++i) {
        double x = static_cast<double>(g[i]);
        lane[i - full] += x * x;
    }
    double s = 0;
    for (int k = 0; k < reduce_lanes; ++k) s += lane[k];
    return s;
}

template <class T>
STEEPEST_INLINE double max_abs_chunk(const T* STEEPEST_RESTRICT g, index_t n) {
    double m = 0;
    for (index_t i = 0; i < n; ++i) m = nan_max(m, std::fabs(static_cast<double>(g[i])));
    return m;
}

template <class T>
STEEPEST_INLINE double sum_abs_pow_chunk(const T* STEEPEST_RESTRICT g, index_t n, double q) {
    double s = 0;
    for (index_t i = 0; i < n; ++i) s += std::pow(std::fabs(static_cast<double>(g[i])), q);
    return s;
}

template <class T>
STEEPEST_INLINE void scale_chunk(T* STEEPEST_RESTRICT g, index_t n, T c) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) g[i] = g[i] * c;
}

// Adam's memory traffic with next to no arithmetic (reads p, g, m, v; writes
// p, m, v): the roofline bench/run.py compares every optimizer with. Every
// store combines two loads, so gcc cannot split off a memcpy (a second pass).
template <class T>
STEEPEST_INLINE void traffic_chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                   T* STEEPEST_RESTRICT m, T* STEEPEST_RESTRICT v, index_t n) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        T a = p[i], b = g[i], c = m[i], d = v[i];
        p[i] = a + b;
        m[i] = c + d;
        v[i] = a + d;
    }
}

}  // namespace steepest
