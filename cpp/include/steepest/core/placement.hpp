// Where steepest's threads run, Linux only (elsewhere these do nothing).
// On the project's 2-vCPU VMs the kernel often wakes a sleeping thread on
// the CPU of the thread that woke it, where it can only wait for that CPU;
// the load balancer moves one of them only milliseconds later, if at all.
// * start_cpus: a step-pool thread woken on its caller's CPU moves off it.
// * region_cpus: the threads of a long OpenMP region (the split training
//   epoch) stay on distinct CPUs for its length.
// The masks are changed only by each thread for itself, and restored.
#pragma once

#include "steepest/core/common.hpp"

#if defined(__linux__)
#include <sched.h>
#define STEEPEST_AFFINITY 1
#endif

namespace steepest {

// The CPU the calling thread runs on (-1 where unknown).
inline int current_cpu() {
#ifdef STEEPEST_AFFINITY
    return sched_getcpu();
#else
    return -1;
#endif
}

// The CPUs a pool thread was started with, and the move off its caller's CPU.
// Woken from its sleep, a pool thread is often placed on the CPU of the thread
// that woke it (25 of 32 wake-ups after a 20 ms pause on a 2-vCPU VM, the
// other vCPU idle): there it runs only once the caller's step is over, having
// done none of it, and then spins its window on the caller's CPU. Such a
// thread narrows its own mask to the others of its start set, which moves
// it at once; the next time it lands on its caller's CPU it narrows anew
// (from the start set, so it never loses a CPU for good). Nothing else is
// touched: not the caller's mask, nor a set of one CPU.
class start_cpus {
   public:
#ifdef STEEPEST_AFFINITY
    start_cpus() { known_ = sched_getaffinity(0, sizeof set_, &set_) == 0; }
    void avoid(int cpu) const {
        if (!known_ || cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &set_) ||
            CPU_COUNT(&set_) < 2 || sched_getcpu() != cpu) {
            return;
        }
        cpu_set_t others = set_;
        CPU_CLR(cpu, &others);
        (void)sched_setaffinity(0, sizeof others, &others);  // refused: stays
    }

   private:
    cpu_set_t set_{};
    bool known_ = false;
#else
    void avoid(int) const {}
#endif
};

// For one parallel region: thread 0, the caller, stays on `caller` (its CPU
// when the region began) and every other thread keeps off it, until the
// object dies and each thread's own mask is back. Without it, a split epoch
// after an idle pause often ran both threads on one vCPU (each waiting at
// every barrier for the other's time slice): 100k x 100 logistic rows,
// batch 256, 2 threads took 31-52 ms per epoch after a 100-250 ms pause,
// 7 ms after 20 ms, and 5.0-5.4 ms with the threads kept apart
// (OMP_PROC_BIND=true, any pause). Nothing happens where the thread's mask
// has a single CPU, or the caller's CPU is not in it (a team spread by
// OMP_PROC_BIND or by the user is left as it is).
class region_cpus {
   public:
    region_cpus(int thread, int caller) {
#ifdef STEEPEST_AFFINITY
        if (caller < 0 || caller >= CPU_SETSIZE) return;
        if (sched_getaffinity(0, sizeof saved_, &saved_) != 0) return;
        if (CPU_COUNT(&saved_) < 2 || !CPU_ISSET(caller, &saved_)) return;
        cpu_set_t want;
        if (thread == 0) {
            CPU_ZERO(&want);
            CPU_SET(caller, &want);
        } else {
            want = saved_;
            CPU_CLR(caller, &want);
        }
        changed_ = sched_setaffinity(0, sizeof want, &want) == 0;
#else
        (void)thread;
        (void)caller;
#endif
    }
    ~region_cpus() {
#ifdef STEEPEST_AFFINITY
        if (changed_) (void)sched_setaffinity(0, sizeof saved_, &saved_);
#endif
    }
    region_cpus(const region_cpus&) = delete;
    region_cpus& operator=(const region_cpus&) = delete;

   private:
#ifdef STEEPEST_AFFINITY
    cpu_set_t saved_{};
    bool changed_ = false;
#endif
};

}  // namespace steepest
