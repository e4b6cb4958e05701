// The only place with `omp parallel`: a static partition of a global element
// range over threads, and a driver that maps each thread's range onto a list
// of segments so that threads spread across arrays, not only within one.
#pragma once

#include <algorithm>
#include <atomic>
#include <vector>

#include "steepest/common.hpp"

#ifdef STEEPEST_HAVE_OPENMP
#include <omp.h>
#endif

namespace steepest {

// Below this many elements a call stays on the calling thread: waking the
// pool costs more than the work (see bench/run.py for the measurement).
inline std::atomic<index_t>& parallel_grain() {
    static std::atomic<index_t> grain{32768};
    return grain;
}

inline std::atomic<int>& thread_setting() {
    static std::atomic<int> n{0};  // 0: all cores
    return n;
}

inline int max_threads() {
#ifdef STEEPEST_HAVE_OPENMP
    int n = thread_setting().load();
    return n > 0 ? n : omp_get_max_threads();
#else
    return 1;
#endif
}

// fn(begin, end) on disjoint ranges covering [0, n), one per thread; ranges
// start at multiples of `align` (64 elements keeps threads off each other's
// cache lines). Below `grain` units everything runs on the calling thread.
template <class Fn>
void parallel_for(index_t n, index_t grain, index_t align, Fn&& fn) {
    int nt = max_threads();
    if (nt <= 1 || n < grain) {
        fn(index_t{0}, n);
        return;
    }
    index_t max_useful = std::max<index_t>(1, n / std::max<index_t>(grain / 2, 1));
    nt = static_cast<int>(std::min<index_t>(nt, max_useful));
#ifdef STEEPEST_HAVE_OPENMP
#pragma omp parallel num_threads(nt)
    {
        index_t t = omp_get_thread_num();
        index_t k = omp_get_num_threads();
        index_t chunk = ((n + k - 1) / k + align - 1) / align * align;
        index_t b = std::min(n, t * chunk);
        index_t e = std::min(n, b + chunk);
        if (b < e) fn(b, e);
    }
#else
    fn(index_t{0}, n);
#endif
}

// fn(i, lo, hi) for every non-empty piece [lo, hi) of segment i, where the
// pieces come from partitioning the total size of all segments over threads.
template <class Fn>
void for_each_piece(const std::vector<index_t>& sizes, Fn&& fn) {
    const index_t grain = parallel_grain().load();
    std::vector<index_t> start(sizes.size() + 1, 0);
    for (std::size_t i = 0; i < sizes.size(); ++i) start[i + 1] = start[i] + sizes[i];
    parallel_for(start.back(), grain, 64, [&](index_t b, index_t e) {
        auto it = std::upper_bound(start.begin(), start.end(), b);
        std::size_t i = static_cast<std::size_t>(it - start.begin()) - 1;
        for (; i < sizes.size() && start[i] < e; ++i) {
            index_t lo = std::max(b, start[i]) - start[i];
            index_t hi = std::min(e, start[i + 1]) - start[i];
            if (lo < hi) fn(i, lo, hi);
        }
    });
}

template <class T>
std::vector<index_t> segment_sizes(const std::vector<segment<T>>& segs) {
    std::vector<index_t> sizes(segs.size());
    for (std::size_t i = 0; i < segs.size(); ++i) sizes[i] = segs[i].size;
    return sizes;
}

// Runs `leaf` over every segment, threads splitting the total element count.
template <class T>
void run_segments(const std::vector<segment<T>>& segs, leaf_fn<T> leaf, const void* coeffs) {
    for_each_piece(segment_sizes(segs), [&](std::size_t i, index_t lo, index_t hi) {
        const segment<T>& s = segs[i];
        auto off = [lo](T* q) { return q ? q + lo : q; };
        leaf(s.param + lo, s.grad + lo, off(s.state[0]), off(s.state[1]), off(s.state[2]), hi - lo,
             coeffs);
    });
}

}  // namespace steepest
