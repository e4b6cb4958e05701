// The only place with `omp parallel`: a static partition of a global element
// range over threads, mapped onto a list of segments so that threads spread
// across arrays, not only within one; and a two-phase variant (check every
// piece, barrier, then update) that pays the thread wake-up once.
#pragma once

#include <algorithm>
#include <atomic>
#include <vector>

#include "steepest/core/common.hpp"
#include "steepest/core/pool.hpp"

#ifdef STEEPEST_HAVE_OPENMP
#include <omp.h>
#endif

namespace steepest {

// Work below this many "Adam-equivalent" elements stays on the calling thread.
// Measured (bench/run.py --sections grain): with OMP_WAIT_POLICY=passive a
// parallel region costs 50-90 us on the project's 2-core VMs, as much as a
// serial Adam step over ~150k elements; 256 Ki balances the two.
inline std::atomic<index_t>& parallel_grain() {
    static std::atomic<index_t> grain{262144};
    return grain;
}

// Relative cost per element of a kernel (Adam = 1): a kernel of weight w goes
// parallel above parallel_grain() / w elements.
inline index_t grain_for(double weight) {
    double g = static_cast<double>(parallel_grain().load()) / weight;
    return g < 1.0 ? 1 : static_cast<index_t>(g);
}

inline std::atomic<int>& thread_setting() {
    static std::atomic<int> n{0};  // 0: all cores
    return n;
}

// A limit for the work started by the calling thread (0: none), set by a
// training loop for its duration, so loops in two Python threads can use
// different thread counts without touching the process setting.
inline int& calling_thread_limit() {
    static thread_local int n = 0;
    return n;
}

inline int max_threads() {
#ifdef STEEPEST_HAVE_OPENMP
    if (calling_thread_limit() > 0) return calling_thread_limit();
    int n = thread_setting().load();
    return n > 0 ? n : omp_get_max_threads();
#else
    return 1;
#endif
}

// Inside team() or team_of(): waits for every thread of the team (no-op when serial).
inline void team_barrier() {
    if (spin_barrier* b = pool_barrier()) {
        b->wait();
        return;
    }
#ifdef STEEPEST_HAVE_OPENMP
#pragma omp barrier
#endif
}

// A warm pool (core/pool.hpp) starts a job in a few microseconds instead of
// a sleeping team's 50-90: work goes parallel from grain / warm_grain_divisor
// (16 Ki Adam elements, a ~5 us serial step). Chosen, not yet scanned on a
// quiet machine: steepest._core._step_threads(warm_divisor=) changes it.
inline std::atomic<int>& warm_grain_divisor() {
    static std::atomic<int> d{16};
    return d;
}

// Whether team() and parallel_for() run n units of this grain on the calling
// thread without looking at the pool (below even a warm pool's threshold):
// a caller may then skip building what only threads need.
inline bool always_serial(index_t n, index_t grain) {
    return n < std::max<index_t>(1, grain / warm_grain_divisor().load()) || max_threads() <= 1;
}

namespace detail {

// team() and parallel_for(): with `Shared` the pool hands out chunks (a late
// thread does not hold the step up; fn cannot use team_barrier()).
template <bool Shared, class Fn>
void team_impl(index_t n, index_t grain, index_t align, Fn&& fn) {
    if (always_serial(n, grain)) {
        fn(index_t{0}, n);
        return;
    }
    int nt = max_threads();
#ifdef STEEPEST_HAVE_OPENMP
    // steepest's own threads unless the pool is barred, busy, or cold for a
    // job this small (waking it costs what a serial step below grain does)
    const bool pooled = pool_enabled().load() && pool_allowed() && !omp_in_parallel();
    if (pooled && n < grain) {
        index_t warm = std::max<index_t>(1, grain / warm_grain_divisor().load());
        index_t k = std::min<index_t>(nt, std::max<index_t>(1, n / std::max<index_t>(warm / 2, 1)));
        if (k <= 1) {
            fn(index_t{0}, n);
            return;
        }
        step_pool& pool = step_pool::get();
        if (!pool.warm(static_cast<int>(k))) {
            pool.kick(static_cast<int>(k));  // awake for the next step
            fn(index_t{0}, n);
            return;
        }
        grain = warm;
    } else if (n < grain) {
        fn(index_t{0}, n);
        return;
    }
#endif
    index_t max_useful = std::max<index_t>(1, n / std::max<index_t>(grain / 2, 1));
    nt = static_cast<int>(std::min<index_t>(nt, max_useful));
    // ranges of [0, n) in k parts starting at multiples of align
    auto part = [&](index_t t, index_t k) {
        index_t chunk = ((n + k - 1) / k + align - 1) / align * align;
        index_t b = std::min(n, t * chunk);
        fn(b, std::min(n, b + chunk));
    };
#ifdef STEEPEST_HAVE_OPENMP
    if (nt > 1 && pooled) {
        if constexpr (Shared) {
            // four chunks a thread: the caller can take a late thread's share
            const index_t chunks = index_t{4} * nt;
            auto job = [&](index_t c) { part(c, chunks); };
            if (step_pool::get().run_shared(nt, chunks, job)) return;
        } else {
            auto job = [&](int t, int k) { part(t, k); };
            if (step_pool::get().run(nt, job)) return;
        }
    }
#pragma omp parallel num_threads(nt)
    part(omp_get_thread_num(), omp_get_num_threads());
#else
    fn(index_t{0}, n);
#endif
}

}  // namespace detail

// fn(begin, end) once per thread on disjoint ranges covering [0, n) (a range
// may be empty: every thread calls fn, so fn may use team_barrier()). Ranges
// start at multiples of `align`; below `grain` units one thread does it all.
template <class Fn>
void team(index_t n, index_t grain, index_t align, Fn&& fn) {
    detail::team_impl<false>(n, grain, align, fn);
}

// fn(thread, threads) on each thread of a team of up to `nt` (fn(0, 1) when
// serial); fn may use team_barrier(). fn must not throw.
template <class Fn>
void team_of(int nt, Fn&& fn) {
#ifdef STEEPEST_HAVE_OPENMP
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        fn(omp_get_thread_num(), omp_get_num_threads());
        return;
    }
#endif
    (void)nt;
    fn(0, 1);
}

// fn(begin, end) on disjoint non-empty ranges covering [0, n), starting at
// multiples of `align` (fn must not use team_barrier()); serial below `grain`.
template <class Fn>
void parallel_for(index_t n, index_t grain, index_t align, Fn&& fn) {
    detail::team_impl<true>(n, grain, align, [&](index_t b, index_t e) {
        if (b < e) fn(b, e);
    });
}

// Prefix sums of segment sizes: start[i] is where segment i begins globally.
inline std::vector<index_t> starts_of(const std::vector<index_t>& sizes) {
    std::vector<index_t> start(sizes.size() + 1, 0);
    for (std::size_t i = 0; i < sizes.size(); ++i) start[i + 1] = start[i] + sizes[i];
    return start;
}

// fn(i, lo, hi) for each non-empty piece of segment i inside global [b, e).
template <class Fn>
void visit_pieces(const std::vector<index_t>& start, index_t b, index_t e, Fn&& fn) {
    if (b >= e) return;
    auto it = std::upper_bound(start.begin(), start.end(), b);
    std::size_t i = static_cast<std::size_t>(it - start.begin()) - 1;
    for (; i + 1 < start.size() && start[i] < e; ++i) {
        index_t lo = std::max(b, start[i]) - start[i];
        index_t hi = std::min(e, start[i + 1]) - start[i];
        if (lo < hi) fn(i, lo, hi);
    }
}

// fn(i, lo, hi) over every piece, threads splitting the total element count.
template <class Fn>
void for_each_piece(const std::vector<index_t>& sizes, double weight, Fn&& fn) {
    const std::vector<index_t> start = starts_of(sizes);
    parallel_for(start.back(), grain_for(weight), 64,
                 [&](index_t b, index_t e) { visit_pieces(start, b, e, fn); });
}

// check(i, lo, hi) -> bool over every piece; only if all pass, update(i, lo,
// hi) over the same pieces (each thread updates what it checked, while it is
// still in cache). Returns whether the update ran.
template <class Check, class Update>
bool for_each_piece_checked(const std::vector<index_t>& sizes, double weight, Check&& check,
                            Update&& update) {
    const std::vector<index_t> start = starts_of(sizes);
    std::atomic<bool> ok{true};
    team(start.back(), grain_for(weight), 64, [&](index_t b, index_t e) {
        bool mine = true;
        visit_pieces(start, b, e, [&](std::size_t i, index_t lo, index_t hi) {
            if (mine && !check(i, lo, hi)) mine = false;
        });
        if (!mine) ok.store(false, std::memory_order_relaxed);
        team_barrier();
        if (ok.load(std::memory_order_relaxed)) visit_pieces(start, b, e, update);
    });
    return ok.load();
}

}  // namespace steepest
