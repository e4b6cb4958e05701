// Lookahead's synchronisation (Zhang et al. 2019, arXiv:1907.08610): every k
// inner steps the slow weights move alpha of the way to the fast weights and
// the fast weights restart from them,
//   phi <- phi + alpha * (theta - phi) ;  theta <- phi
// one pass reading and writing both arrays. Without FMA contraction (the
// build's -ffp-contract=off) this rounds as the NumPy twin's three in-place
// operations do. Twin: steepest.reference.functional.lookahead_sync.
#pragma once

#include "steepest/core/common.hpp"

namespace steepest {

template <class T>
STEEPEST_INLINE void lookahead_chunk(T* STEEPEST_RESTRICT slow, T* STEEPEST_RESTRICT fast,
                                     index_t n, T alpha) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        T s = slow[i] + alpha * (fast[i] - slow[i]);
        slow[i] = s;
        fast[i] = s;
    }
}

}  // namespace steepest
