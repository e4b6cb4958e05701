// One data-parallel epoch: k processes each hold a shard of the rows and
// train one model; global step j sees the j-th batch of every shard:
//   for j = 0 .. steps-1:
//       rows  = perm[j*B : (j+1)*B] of this shard     (empty once the shard ran out)
//       g_j   = global[j]                             (rows of step j over all processes)
//       buf   = [sum_rows w_i dloss/dparams / g_j, sum_rows w_i loss]  (one flat buffer of T;
//                w_i: the sample weights, scaled to mean 1 over every process's rows, or 1)
//       buf   = all_reduce_sum(buf)                   (the communicator; waits for every process)
//       J_j   = mean_loss(buf.loss, g_j) + R(W)       (R and its gradient added after the sum)
//       stop if J_j is NaN or inf                     (every process sees the same J_j)
//       step t + 1 of the optimizer rule on every param, from buf's gradient
//       (and the params' moving average, if kept, as in loop.hpp), then the
//       L1 proximal step on every weight matrix (R's gradient is its L2 part)
//   epoch loss = (sum_j g_j * J_j) / sum_j g_j
// so k processes with batch B take the steps of one process with batch
// g_j = k*B over the concatenated batches (to the rounding of the sums): the
// loss normalisation, penalty and learning rate of the global batch. Every
// process applies the identical reduced gradient to identical weights and so
// keeps identical weights and optimizer state. The batch runs on the calling
// thread (the BLAS threads the GEMMs, as the serial loop in loop.hpp).
// Twin: steepest.distributed._epoch.reference_epoch; tests: tests/distributed/.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "steepest/train/loop.hpp"

namespace steepest::train {

// Sums a flat buffer of n elements over the processes, in place, and returns
// when every process has contributed (a collective: every process calls it
// the same number of times). May throw (a communicator's error or timeout).
template <class T>
struct all_reduce {
    void (*fn)(void* ctx, T* buf, index_t n) = nullptr;
    void* ctx = nullptr;
    void operator()(T* buf, index_t n) const { fn(ctx, buf, n); }
};

template <class T>
epoch_result run_epoch_data_parallel(model::network<T>& net, optimizer<T>& opt,
                                     const data<T>& in, index_t batch,
                                     const std::int64_t* global, index_t steps,
                                     const all_reduce<T>& reduce, stop_check check = {}) {
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const index_t B = batch < 1 || batch > n ? n : batch;
    std::vector<index_t> sizes;
    index_t count = 0;
    for (std::size_t l = 0; l < net.layers(); ++l) {
        count += sizes.emplace_back(net.units[l] * net.units[l + 1]);
        count += sizes.emplace_back(net.units[l + 1]);
    }
    const int threads = max_threads();
    detail::blas_threads_scope blas_scope(threads);
    model::workspace<T> ws(net, B, !in.csr.on());
    std::vector<T> buf(static_cast<std::size_t>(count) + 1);
    double total = 0, rows_seen = 0;
    const long long start = opt.steps;
    std::vector<step_plan<T>> plans;
    for (index_t j = 0; j < steps; ++j) {
        const index_t s = std::min(n, j * B), b = std::min(B, n - s);
        const index_t g = static_cast<index_t>(global[j]);
        double loss_sum = 0;
        if (b > 0) {
            detail::batch_rows<T> r = detail::gather(in, ws, in.perm + s, b, d, k);
            loss_sum = model::forward_backward(net, ws, r.a0, r.labels, r.targets, r.weights, b,
                                               g, r.csr);
        } else {
            for (auto& gr : ws.grads) std::fill(gr.begin(), gr.end(), T(0));
        }
        T* at = buf.data();
        for (const auto& gr : ws.grads) at = std::copy(gr.begin(), gr.end(), at);
        buf[static_cast<std::size_t>(count)] = T(loss_sum);
        reduce(buf.data(), count + 1);
        at = buf.data();
        for (auto& gr : ws.grads) {
            std::copy(at, at + gr.size(), gr.begin());
            at += gr.size();
        }
        T J = model::mean_loss<T>(net.loss, double(buf[static_cast<std::size_t>(count)]), g, k);
        if (net.pen.active()) {
            double abs_sum = 0, square_sum = 0;
            for (std::size_t l = 0; l < net.layers(); ++l) {
                const index_t size = sizes[2 * l];
                net.pen.accumulate_and_add_grad(net.weights[l], ws.grads[2 * l].data(), size,
                                                abs_sum, square_sum);
            }
            J = J + net.pen.template value<T>(abs_sum, square_sum);
        }
        if (!std::isfinite(J)) return {double(J), opt.steps - start, true};
        const double lr = opt.lr_after(opt.steps);
        detail::plan_params(opt, opt.steps + 1, lr, opt.scalars, plans);
        const double weight = plans[0].weight;
        const ema_pass<T> ema = opt.ema_at(opt.steps + 1);  // the average, if kept
        auto run = [&](std::size_t i, index_t lo, index_t hi) {
            detail::update_piece(net, opt, plans, i, ws.grads[i].data() + lo, lo, hi, ema);
        };
        if (plans[0].measure != nullptr) {
            detail::two_pass_update(net, opt, plans[0], ws.grads, sizes, ema);
        } else if (count < grain_for(weight) || threads <= 1) {
            for (std::size_t i = 0; i < sizes.size(); ++i) run(i, 0, sizes[i]);
        } else {
            for_each_piece(sizes, weight, run);
        }
        // L1 as its proximal step, after the rule's (and the average's) pass
        for (std::size_t l = 0; l < net.layers(); ++l) {
            net.pen.shrink(net.weights[l], sizes[2 * l], lr);
        }
        opt.steps += 1;
        total += double(J) * double(g);
        rows_seen += double(g);
        // an interrupted process leaves the collective: the others fail on
        // their next all-reduce (peer gone, or the communicator's timeout)
        if (j + 1 < steps && check.poll()) {
            return {total / rows_seen, opt.steps - start, false, true};
        }
    }
    return {total / rows_seen, opt.steps - start, false};
}

}  // namespace steepest::train
