// What a training loop (train/loop.hpp) is given and gives back: the
// optimizer it drives, the data, the epoch's result, the stop check.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "steepest/model/dense.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/schedule/schedules.hpp"

namespace steepest::train {

// The optimizer as the loop drives it: rule, per-param state arrays, steps so far.
template <class T>
struct optimizer {
    any_rule r;
    std::vector<std::vector<T*>> state;  // state[k][param] (k < the rule's count), null where unused
    std::vector<scalar_row> scalars;  // per param, for a rule keeping scalars (else empty)
    long long steps = 0;
    const schedule::schedule* sched = nullptr;
    double lr = 0, lr_scale = 1;
    // The params' moving average (the estimators' ema_decay): one array per
    // param, or empty. Step ema_copy_step copies the params (the average's
    // first step); every other step averages with ema_decay.
    std::vector<T*> ema;
    double ema_decay = 0;
    long long ema_copy_step = -1;

    // The average fused into step t (off without one).
    ema_pass<T> ema_at(long long t) const {
        if (ema.empty()) return {};
        return ema_pass<T>::make(t == ema_copy_step ? 0.0 : ema_decay);
    }

    // The learning rate of the step after `t` applied steps.
    double lr_after(long long t) const {
        double base = sched ? schedule::lr_at(*sched, t) : lr;
        return base * lr_scale;
    }
};

struct epoch_result {
    double loss;      // mean over the epoch; the non-finite J_b on divergence
    long long steps;  // optimizer steps applied in this epoch
    bool diverged;
    bool stopped = false;  // stop_check said so: the epoch is incomplete
};

// Asked between batches, at most every 50 ms: whether to abandon the epoch
// (the binding checks for Python signals there, so Ctrl-C does not wait for
// the end of a long epoch). No function: never.
class stop_check {
 public:
    stop_check() = default;
    stop_check(bool (*fn)(void*), void* ctx) : fn_(fn), ctx_(ctx) {}
    bool poll() {
        if (fn_ == nullptr) return false;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) return false;
        next_ = now + std::chrono::milliseconds(50);
        return fn_(ctx_);
    }

 private:
    bool (*fn_)(void*) = nullptr;
    void* ctx_ = nullptr;
    std::chrono::steady_clock::time_point next_{};
};

template <class T>
struct data {
    const T* X;                  // n x d, row-major; null when X is CSR (below)
    const std::int64_t* labels;  // n (classification) or null
    const T* targets;            // n x k (regression) or null
    const std::int64_t* perm;    // n
    index_t n;
    const T* weights = nullptr;  // n sample weights (loss multipliers) or null
    model::csr_batch<T> csr{};   // X as CSR (all n rows; indices in [0, d)), or off
};

}  // namespace steepest::train
