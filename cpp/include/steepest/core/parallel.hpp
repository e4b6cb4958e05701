// The only place with `omp parallel`: a static partition of a global element
// range over threads, mapped onto a list of segments so that threads spread
// across arrays, not only within one; and a two-phase variant (check every
// piece, barrier, then update) that pays the thread wake-up once.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "steepest/core/common.hpp"

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

// Inside team(): waits for every thread of the team (no-op when serial).
inline void team_barrier() {
#ifdef STEEPEST_HAVE_OPENMP
#pragma omp barrier
#endif
}

// fn(begin, end) once per thread on disjoint ranges covering [0, n) (a range
// may be empty: every thread calls fn, so fn may use team_barrier()). Ranges
// start at multiples of `align`; below `grain` units one thread does it all.
template <class Fn>
void team(index_t n, index_t grain, index_t align, Fn&& fn) {
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
        fn(b, e);
    }
#else
    fn(index_t{0}, n);
#endif
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

// A barrier for a team that stays busy between its waits (the split
// training loop: balanced shares, tens to hundreds of microseconds apart).
// It spins first: under OMP_WAIT_POLICY=passive an OpenMP barrier puts
// waiting threads to sleep at once, and waking them costs 50-250 us on these
// VMs, as much as the work between two waits. After ~2000 spins it blocks
// instead, so that on a busy machine a waiting thread gives its core to the
// one it waits for. reset() before use, with the team's actual size.
class spin_barrier {
   public:
    void reset(int members) {
        members_ = members;
        count_.store(0);
    }
    void wait() {
        const unsigned gen = generation_.load(std::memory_order_acquire);
        if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == members_) {
            count_.store(0, std::memory_order_relaxed);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                generation_.fetch_add(1, std::memory_order_release);
            }
            woken_.notify_all();  // no system call when nobody sleeps
            return;
        }
        for (int spins = 0; spins < 2000; ++spins) {
            if (generation_.load(std::memory_order_acquire) != gen) return;
            STEEPEST_CPU_RELAX();
        }
        std::unique_lock<std::mutex> lock(mutex_);
        woken_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != gen; });
    }

   private:
    int members_ = 1;
    std::atomic<int> count_{0};
    std::atomic<unsigned> generation_{0};
    std::mutex mutex_;
    std::condition_variable woken_;
};

// fn(begin, end) on the non-empty ranges of team().
template <class Fn>
void parallel_for(index_t n, index_t grain, index_t align, Fn&& fn) {
    team(n, grain, align, [&](index_t b, index_t e) {
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
