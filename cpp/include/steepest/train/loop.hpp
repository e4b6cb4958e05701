// One epoch of mini-batch gradient descent, entirely in C++:
//   for s = 0, B, 2B, ... < n:
//       rows  = perm[s : s + B]                       (the last batch may be smaller)
//       J_b   = loss_and_grad(params, X[rows], y[rows])
//       stop if J_b is NaN or inf                     (divergence: reported, not applied)
//       lr    = (schedule ? schedule(t) : lr) * lr_scale,  t = steps applied so far
//       step t + 1 of the optimizer rule on every param
//   epoch loss = (sum_b |b| * J_b) / n                (accumulated in double)
// A batch whose rows are consecutive in X (no shuffle, or full batch in
// order) is read in place; otherwise its rows are gathered into a buffer,
// which the GEMMs need contiguous.
// Twin: steepest.reference.train.run_epoch; tests: tests/models/test_native_parity.py.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "steepest/model/dense.hpp"
#include "steepest/optim/rule.hpp"
#include "steepest/parallel.hpp"
#include "steepest/schedule/schedules.hpp"

namespace steepest::train {

// The optimizer as the loop drives it: rule, per-param state slots, steps so far.
template <class T>
struct optimizer {
    rule r;
    std::vector<T*> state[3];  // state[slot][param], null where unused
    long long steps = 0;
    const schedule::schedule* sched = nullptr;
    double lr = 0, lr_scale = 1;

    double next_lr() const {
        double base = sched ? schedule::lr_at(*sched, steps) : lr;
        return base * lr_scale;
    }
};

struct epoch_result {
    double loss;       // mean over the epoch; the non-finite J_b on divergence
    long long steps;   // optimizer steps applied in this epoch
    bool diverged;
};

template <class T>
struct data {
    const T* X;                    // n x d, row-major
    const std::int64_t* labels;    // n (classification) or null
    const T* targets;              // n x k (regression) or null
    const std::int64_t* perm;      // n
    index_t n;
};

namespace detail {

// Applies one step of `opt` to params (W1, b1, ..., WL, bL) from ws.grads;
// `sizes` holds their element counts.
template <class T>
void apply_step(model::network<T>& net, model::workspace<T>& ws, optimizer<T>& opt,
                const std::vector<index_t>& sizes, index_t total) {
    const step_plan<T> plan = plan_step<T>(opt.r, opt.steps + 1, opt.next_lr());
    auto run = [&](std::size_t i, index_t lo, index_t hi) {
        T* p = i % 2 == 0 ? net.weights[i / 2] : net.biases[i / 2];
        auto at = [&](int slot) { T* s = opt.state[slot][i]; return s ? s + lo : s; };
        plan.leaf(p + lo, ws.grads[i].data() + lo, at(0), at(1), at(2), hi - lo, plan.coeffs());
    };
    if (total < grain_for(plan.weight) || max_threads() <= 1) {
        for (std::size_t i = 0; i < sizes.size(); ++i) run(i, 0, sizes[i]);
    } else {
        for_each_piece(sizes, plan.weight, run);
    }
    opt.steps += 1;
}

// Asks for the rows of the next small batch early: with shuffled rows each
// one is a cache miss, which would otherwise dominate a batch-1 step.
template <class T>
void prefetch_rows(const T* X, const std::int64_t* rows, index_t b, index_t d) {
    const index_t line = 64 / static_cast<index_t>(sizeof(T));
    for (index_t i = 0; i < b; ++i) {
        const T* row = X + rows[i] * d;
        for (index_t j = 0; j < d; j += line) STEEPEST_PREFETCH(row + j);
    }
}

inline bool consecutive(const std::int64_t* rows, index_t b) {
    for (index_t i = 1; i < b; ++i) {
        if (rows[i] != rows[0] + i) return false;
    }
    return true;
}

}  // namespace detail

template <class T>
epoch_result run_epoch(model::network<T>& net, optimizer<T>& opt, const data<T>& in,
                       index_t batch) {
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const index_t B = batch < 1 || batch > n ? n : batch;
    model::workspace<T> ws(net, B);
    std::vector<T> xb, yb;
    std::vector<std::int64_t> lb;
    std::vector<index_t> sizes;
    index_t count = 0;
    for (const auto& g : ws.grads) count += sizes.emplace_back(static_cast<index_t>(g.size()));
    double total = 0;
    const long long start = opt.steps;
    for (index_t s = 0; s < n; s += B) {
        const index_t b = B < n - s ? B : n - s;
        const std::int64_t* rows = in.perm + s;
        if (B <= 8 && s + b < n) {
            detail::prefetch_rows(in.X, rows + b, b < n - s - b ? b : n - s - b, d);
        }
        const T* a0 = in.X + rows[0] * d;
        const std::int64_t* labels = in.labels ? in.labels + rows[0] : nullptr;
        const T* targets = in.targets ? in.targets + rows[0] * k : nullptr;
        if (b > 1 && !detail::consecutive(rows, b)) {
            xb.resize(static_cast<std::size_t>(B * d));
            for (index_t i = 0; i < b; ++i) {
                std::memcpy(xb.data() + i * d, in.X + rows[i] * d, sizeof(T) * static_cast<std::size_t>(d));
            }
            a0 = xb.data();
            if (in.labels) {
                lb.resize(static_cast<std::size_t>(B));
                for (index_t i = 0; i < b; ++i) lb[static_cast<std::size_t>(i)] = in.labels[rows[i]];
                labels = lb.data();
            } else {
                yb.resize(static_cast<std::size_t>(B * k));
                for (index_t i = 0; i < b; ++i) {
                    std::memcpy(yb.data() + i * k, in.targets + rows[i] * k, sizeof(T) * static_cast<std::size_t>(k));
                }
                targets = yb.data();
            }
        }
        const T J = model::loss_and_grad(net, ws, a0, labels, targets, b);
        if (!std::isfinite(J)) return {double(J), opt.steps - start, true};
        total += double(J) * double(b);
        detail::apply_step(net, ws, opt, sizes, count);
    }
    return {total / double(n), opt.steps - start, false};
}

}  // namespace steepest::train
