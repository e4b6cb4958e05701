// steepest's own threads for the optimizer step (core/parallel.hpp's team()).
// An OpenMP region under OMP_WAIT_POLICY=passive wakes sleeping threads, 50-90
// us on the project's VMs, longer than a whole step below ~1e6 elements; and
// whether the policy applies depends on which library loaded libgomp first.
// These threads instead spin a bounded time after each job (spin_window_us,
// default 200 us), then sleep on a condition variable: consecutive steps find
// them awake, an idle process has none spinning, and OpenMP's environment and
// the import order play no part. The training loops keep OpenMP (see
// pool_allowed()): there a spinning thread would take a core from OpenBLAS.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "steepest/core/common.hpp"
#include "steepest/core/placement.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define STEEPEST_POOL_ATFORK 1
#endif

namespace steepest {

// A barrier for a team that stays busy between its waits (the split
// training loop, a pool job): it spins first, as a sleeping waiter costs a
// wake-up of 50-250 us on these VMs; after ~2000 spins it blocks instead, so
// that on a busy machine a waiting thread gives its core to the one it waits
// for. reset() before use, with the team's actual size.
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

// How long a pool thread spins for the next job before it sleeps (0: sleep at once).
inline std::atomic<int>& spin_window_us() {
    static std::atomic<int> us{200};
    return us;
}

// Whether team() uses the pool at all (false: OpenMP's team, as before the
// pool; for side-by-side timing, steepest._core._step_threads).
inline std::atomic<bool>& pool_enabled() {
    static std::atomic<bool> on{true};
    return on;
}

// False on a thread that must not use the pool (a training loop sets it for
// its duration: its steps run between GEMMs, whose threads need the cores).
inline bool& pool_allowed() {
    static thread_local bool on = true;
    return on;
}

// The barrier of the pool job the calling thread runs (null outside one).
inline spin_barrier*& pool_barrier() {
    static thread_local spin_barrier* b = nullptr;
    return b;
}

class step_pool {
   public:
    // The process's pool; a child process made by fork() gets a new one (the
    // parent's threads do not exist there; the old pool is left, unused).
    static step_pool& get() {
        static std::atomic<step_pool*> pool{make()};
        step_pool* p = pool.load(std::memory_order_acquire);
        if (forked().load(std::memory_order_relaxed)) {
            forked().store(false);
            p = new step_pool();  // NOLINT: never deleted, see the header
            pool.store(p, std::memory_order_release);
        }
        return *p;
    }

    // fn(t, k) for t in [0, k) on k threads, t = 0 on the calling thread
    // (fn may use team_barrier()). False (nothing ran) when another caller
    // holds the pool or a thread cannot be started: the caller then uses
    // another way.
    template <class Fn>
    bool run(int k, Fn& fn) {
        std::unique_lock<std::mutex> own(owner_, std::try_to_lock);
        if (!own.owns_lock() || !grow(k - 1)) return false;
        job_ = [](void* f, int t, int n) { (*static_cast<Fn*>(f))(t, n); };
        ctx_ = &fn;
        barrier_.reset(k);
        done_.store(0, std::memory_order_relaxed);
        publish(k, false);
        pool_barrier() = &barrier_;
        fn(0, k);
        pool_barrier() = nullptr;
        wait_for([&] { return done_.load(std::memory_order_seq_cst) == k - 1; });
        return true;
    }

    // fn(c) for every chunk c in [0, chunks), run by the calling thread and
    // up to k - 1 others. Chunks form k groups, thread t's group being the
    // t-th: each thread runs its own group's chunks from the front, then
    // takes what is left of the others' from the back. On time, every thread
    // runs its static part, the one it ran at the previous step (still in
    // its core's cache); a thread that is late (asleep, or preempted on a
    // busy machine) finds its chunks taken and does not hold the caller up.
    // fn must not use team_barrier(). False as run().
    template <class Fn>
    bool run_shared(int k, index_t chunks, Fn& fn) {
        std::unique_lock<std::mutex> own(owner_, std::try_to_lock);
        if (!own.owns_lock() || !grow(k - 1)) return false;
        const int groups = std::min(k, max_groups);
        const index_t per = (chunks + groups - 1) / groups;
        for (int g = 0; g < groups; ++g) {
            const index_t lo = std::min(chunks, g * per), hi = std::min(chunks, lo + per);
            groups_[g].ends.store(static_cast<std::uint64_t>(hi - lo) << 32,
                                  std::memory_order_relaxed);
        }
        auto take = [&](int t) {
            const int mine = t % groups;
            for (int j = 0; j < groups; ++j) {
                const int g = (mine + j) % groups;
                for (index_t c; (c = claim(g, j == 0)) >= 0;) fn(g * per + c);
            }
        };
        job_ = [](void* f, int t, int) { (*static_cast<decltype(take)*>(f))(t); };
        ctx_ = &take;
        open_.store(true, std::memory_order_seq_cst);
        publish(k, true);
        take(0);
        // a thread counted in inside_ before this saw the job open and runs
        // its last chunk; one counted after sees it closed and leaves
        open_.store(false, std::memory_order_seq_cst);
        wait_for([&] { return inside_.load(std::memory_order_seq_cst) == 0; });
        return true;
    }

    // Wakes the sleeping threads of a job of k threads (starting those
    // missing) without work: the caller runs this job alone, and the next
    // one, if it follows within the spin window, finds them awake.
    void kick(int k) {
        std::unique_lock<std::mutex> own(owner_, std::try_to_lock);
        if (!own.owns_lock() || !grow(k - 1)) return;
        if (sleepers_.load() > 0) publish(1, false);  // a job no thread takes
    }

    // Threads started so far (the calling thread is not one).
    int started() const { return started_.load(); }

    // Whether a job of k threads starts without waking a sleeping thread.
    bool warm(int k) const {
        const int have = started_.load(std::memory_order_acquire);
        return have >= k - 1 && sleepers_.load() == 0;
    }

   private:
    static std::atomic<bool>& forked() {
        static std::atomic<bool> f{false};
        return f;
    }

    static step_pool* make() {
#ifdef STEEPEST_POOL_ATFORK
        pthread_atfork(nullptr, nullptr, [] { forked().store(true); });
#endif
        return new step_pool();  // NOLINT: never deleted, see the header
    }

    // A chunk of group g (its index in the group), from the front or the
    // back; -1 when none is left. Packed: front in the low 32 bits, back in
    // the high 32.
    index_t claim(int g, bool front) {
        std::atomic<std::uint64_t>& ends = groups_[g].ends;
        std::uint64_t v = ends.load(std::memory_order_acquire);
        for (;;) {
            const std::uint64_t f = v & 0xffffffffu, b = v >> 32;
            if (f >= b) return -1;
            const std::uint64_t next = front ? v + 1 : ((b - 1) << 32 | f);
            if (ends.compare_exchange_weak(v, next, std::memory_order_acq_rel)) {
                return static_cast<index_t>(front ? f : b - 1);
            }
        }
    }

    // Job words: generation in the high bits, a shared job's bit (run_shared)
    // at bit 15, the thread count in the low 15.
    static constexpr std::uint64_t shared_bit = 1u << 15;

    void publish(int k, bool shared) {
        caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
        const std::uint64_t next = (word_.load(std::memory_order_relaxed) >> 16) + 1;
        word_.store(next << 16 | (shared ? shared_bit : 0) | static_cast<std::uint64_t>(k),
                    std::memory_order_seq_cst);
        if (sleepers_.load(std::memory_order_seq_cst) > 0) {
            std::lock_guard<std::mutex> lock(mutex_);
            woken_.notify_all();
        }
    }

    // The caller's wait for the others: they are as quick as it is, so it
    // spins (a pause lasts 10-140 cycles: the bound is a time); past the spin
    // window one was preempted on a busy machine: block, leave it the core.
    template <class Done>
    void wait_for(Done&& done) {
        if (spin_until(done)) return;
        std::unique_lock<std::mutex> lock(mutex_);
        caller_sleeps_.store(true, std::memory_order_seq_cst);
        finished_.wait(lock, done);
        caller_sleeps_.store(false, std::memory_order_relaxed);
    }

    // After a thread's part: wakes the caller if it sleeps and `last`.
    void leave(bool last) {
        if (last && caller_sleeps_.load(std::memory_order_seq_cst)) {
            std::lock_guard<std::mutex> lock(mutex_);
            finished_.notify_one();
        }
    }

    bool grow(int workers) {
        try {
            while (started_.load() < workers) {
                const int id = started_.load() + 1;
                std::thread(&step_pool::work, this, id, word_.load()).detach();
                started_.fetch_add(1);
            }
        } catch (...) {
            return false;  // no thread could be started: the caller goes on without
        }
        return true;
    }

    // Spins until ready() or for spin_window_us(); returns ready().
    template <class Ready>
    static bool spin_until(Ready&& ready) {
        using clock = std::chrono::steady_clock;
        const auto until = clock::now() + std::chrono::microseconds(spin_window_us().load());
        for (unsigned spins = 1;; ++spins) {
            if (ready()) return true;
            STEEPEST_CPU_RELAX();
            if ((spins & 63) == 0 && clock::now() >= until) return ready();
        }
    }

    std::uint64_t next_job(std::uint64_t seen) {
        if (spin_until([&] { return word_.load(std::memory_order_acquire) != seen; })) {
            return word_.load(std::memory_order_acquire);
        }
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        woken_.wait(lock, [&] { return word_.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1);
        return word_.load(std::memory_order_acquire);
    }

    // `seen`: the job word when the thread was asked for, before its first job
    void work(int id, std::uint64_t seen) {
        const start_cpus cpus;
        for (;;) {
            seen = next_job(seen);
            cpus.avoid(caller_cpu_.load(std::memory_order_relaxed));  // read after the job word
            const int k = static_cast<int>(seen & (shared_bit - 1));
            if (id >= k) continue;
            if (seen & shared_bit) {
                inside_.fetch_add(1, std::memory_order_seq_cst);
                if (open_.load(std::memory_order_seq_cst)) job_(ctx_, id, k);
                leave(inside_.fetch_sub(1, std::memory_order_seq_cst) == 1);
                continue;
            }
            pool_barrier() = &barrier_;
            job_(ctx_, id, k);
            pool_barrier() = nullptr;
            leave(done_.fetch_add(1, std::memory_order_seq_cst) + 1 == k - 1);
        }
    }

    std::mutex owner_;  // one caller at a time
    std::atomic<std::uint64_t> word_{0};
    std::atomic<int> started_{0}, sleepers_{0}, done_{0};
    std::atomic<bool> caller_sleeps_{false}, open_{false};
    std::atomic<int> inside_{0};
    std::atomic<int> caller_cpu_{-1};  // the CPU the last job was published from
    static constexpr int max_groups = 64;
    struct alignas(64) group_ends {
        std::atomic<std::uint64_t> ends{0};
    };
    group_ends groups_[max_groups];
    void (*job_)(void*, int, int) = nullptr;
    void* ctx_ = nullptr;
    spin_barrier barrier_;
    std::mutex mutex_;
    std::condition_variable woken_, finished_;
};

}  // namespace steepest
