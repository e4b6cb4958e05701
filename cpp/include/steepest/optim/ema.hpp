// An exponential moving average of the params (steepest.EMA, the estimators'
// ema_decay):
//   e <- decay * e + weight * p ,   weight = 1 - decay (rounded once, in double)
// Without FMA contraction (the build's -ffp-contract=off) this rounds as the
// NumPy twin's three operations do. Run after a rule's leaf on the same
// block (leaf_then_ema in rules/plan.hpp), so p is read from cache: the EMA
// costs one read and one write of its own array per element.
// Twin: steepest.reference.functional.ema_update.
#pragma once

#include "steepest/core/common.hpp"

namespace steepest {

template <class T>
STEEPEST_INLINE void ema_chunk(T* STEEPEST_RESTRICT e, const T* STEEPEST_RESTRICT p, index_t n,
                               T decay, T weight) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) e[i] = decay * e[i] + weight * p[i];
}

}  // namespace steepest
