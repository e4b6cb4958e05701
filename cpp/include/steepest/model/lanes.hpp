// Sums whose order does not depend on the instruction set: term i goes to
// lane i % 8 and the lanes are added pairwise at the end. An `omp simd
// reduction` has lanes as wide as the vectors (2 doubles with SSE2, 8 with
// AVX-512), so its result changes with the ISA level the loops were built
// for; eight fixed lanes vectorise on every level and give the same bits.
#pragma once

#include "steepest/core/common.hpp"

namespace steepest::model {

constexpr index_t sum_lanes = 8;

template <class Acc>
STEEPEST_INLINE Acc add_lanes(const Acc* acc) {
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// sum over i < n of term(i), in Acc; term may also write (one pass).
template <class Acc, class Term>
STEEPEST_INLINE Acc lane_sum(index_t n, Term&& term) {
    Acc acc[sum_lanes] = {};
    index_t i = 0;
    for (; i + sum_lanes <= n; i += sum_lanes) {
#pragma omp simd
        for (index_t l = 0; l < sum_lanes; ++l) acc[l] = acc[l] + term(i + l);
    }
    for (index_t l = 0; i + l < n; ++l) acc[l] = acc[l] + term(i + l);
    return add_lanes(acc);
}

}  // namespace steepest::model
