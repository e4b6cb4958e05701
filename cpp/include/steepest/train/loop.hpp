// One epoch of mini-batch gradient descent, entirely in C++:
//   for s = 0, B, 2B, ... < n:
//       rows  = perm[s : s + B]                       (the last batch may be smaller)
//       J_b   = loss_and_grad(params, X[rows], y[rows], w[rows])   (w: sample weights or none)
//       stop if J_b is NaN or inf                     (divergence: reported, not applied)
//       lr    = (schedule ? schedule(t) : lr) * lr_scale,  t = steps applied so far
//       step t + 1 of the optimizer rule on every param (with the params'
//       moving average, if kept, in the same pass: rules/plan.hpp leaf_then_ema;
//       with L1, after the shrink below instead)
//       L1 proximal step on every weight matrix (model/penalty.hpp: shrink;
//       after the moving average's pass, as the reference's)
//   epoch loss = (sum_b |b| * J_b) / n                (accumulated in double)
// Between batches a stop_check may end the epoch early (a pending Ctrl-C).
// Two ways to run the batches:
// * serial: the calling thread does everything, the BLAS uses its own threads
//   for the GEMMs (small batches, small networks, one thread);
// * split: when a batch is big enough (batch x params >= split_work; CSR X
//   counts its mean nonzeros per row x the first layer's width instead of
//   features x width, since each thread's share of a sparse batch is that
//   small while the gradients it zeroes and sums are whole) one
//   parallel region runs the whole epoch. Each batch's rows are divided among
//   the threads, each running the forward and backward pass on its rows with
//   a single-threaded BLAS; after a barrier each thread sums the per-thread
//   gradients over its share of the parameters (threads in a fixed order:
//   deterministic for a given thread count) and updates that share; a second
//   barrier and the next batch follows. The barriers spin (spin_barrier):
//   waking sleeping threads per batch cost more than the batch's elementwise
//   work on the project's VMs.
// Rows that are consecutive in X (no shuffle) are read in place; otherwise
// they are gathered, since the GEMMs need them contiguous. CSR X (scipy.sparse)
// is gathered the same way, as a small CSR matrix of the batch's rows (their
// nonzeros only); the first layer's products then cost O(nonzeros x width)
// (model/sparse.hpp) and the step stays dense.
// Twin: steepest.reference.train.run_epoch; tests: tests/models/test_native_parity.py.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/core/blas.hpp"
#include "steepest/core/parallel.hpp"
#include "steepest/model/dense.hpp"
#include "steepest/train/rows.hpp"
#include "steepest/train/split_epoch.hpp"
#include "steepest/train/state.hpp"
#include "steepest/train/update.hpp"

namespace steepest::train {

// Batches with at least this many (rows x parameters) are split over threads:
// 1/16 of the parallel grain, 16 Ki by default (~100 KFLOP, some 30 us of
// work per batch: well above the two spinning barriers a batch costs; the
// parallel region itself is entered once per epoch). A value >= 0 stored in
// split_override() replaces it (tests and benchmarks; infinity: never split).
inline std::atomic<double>& split_override() {
    static std::atomic<double> value{-1.0};
    return value;
}

inline double split_work() {
    const double forced = split_override().load();
    return forced >= 0 ? forced : static_cast<double>(parallel_grain().load()) / 16.0;
}

namespace detail {

// Sets the BLAS thread count for the epoch and restores it after.
struct blas_threads_scope {
    int saved;
    explicit blas_threads_scope(int n) : saved(blas::blas_threads()) { blas::set_blas_threads(n); }
    ~blas_threads_scope() { blas::set_blas_threads(saved); }
    blas_threads_scope(const blas_threads_scope&) = delete;
    blas_threads_scope& operator=(const blas_threads_scope&) = delete;
};

}  // namespace detail

template <class T>
epoch_result run_epoch(model::network<T>& net, optimizer<T>& opt, const data<T>& in, index_t batch,
                       stop_check check = {}) {
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const index_t B = batch < 1 || batch > n ? n : batch;
    std::vector<index_t> sizes;
    index_t count = 0;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        count += sizes.emplace_back(net.units[l] * net.units[l + 1]);
        count += sizes.emplace_back(net.units[l + 1]);
    }
    const int threads = max_threads();
    // a CSR row costs its nonzeros x the first layer's width there, not d x width
    double per_row = double(count);
    if (in.csr.on()) {
        const double first = double(net.units[0]) * double(net.units[1]);
        per_row += double(in.csr.ptr[n]) / double(n) * double(net.units[1]) - first;
    }
    const bool split = threads > 1 && B >= 2 * threads && double(B) * per_row >= split_work();
    // split: one BLAS thread per OpenMP thread; serial: the BLAS threads the GEMMs
    detail::blas_threads_scope blas_scope(split ? 1 : threads);
    std::vector<model::workspace<T>> ws;
    const index_t share = split ? (B + threads - 1) / threads : B;
    for (int t = 0; t < (split ? threads : 1); ++t) ws.emplace_back(net, share, !in.csr.on());
    if (split) return detail::split_epoch(net, ws, opt, in, B, sizes, count, check);
    double total = 0;
    const long long start = opt.steps;
    for (index_t s = 0; s < n; s += B) {
        const index_t b = std::min(B, n - s);
        const std::int64_t* rows = in.perm + s;
        if (B <= 8 && s + b < n && !in.csr.on()) {
            const index_t next = std::min(b, n - s - b);
            detail::prefetch_rows(in.X, rows + b, next, d);
            detail::prefetch_targets(in, rows + b, next, k);
        }
        detail::batch_rows<T> r = detail::gather(in, ws[0], rows, b, d, k);
        const T J = detail::serial_batch(net, ws[0], opt, r, b, sizes, count);
        if (!std::isfinite(J)) return {double(J), opt.steps - start, true};
        total += double(J) * double(b);
        if (s + b < n && check.poll()) return {total / double(n), opt.steps - start, false, true};
    }
    return {total / double(n), opt.steps - start, false};
}

}  // namespace steepest::train
