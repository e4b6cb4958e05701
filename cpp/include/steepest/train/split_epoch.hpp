// The split epoch (train/loop.hpp's header): one parallel region for the
// whole epoch, each batch's rows divided among the threads, the gradient
// summed and the update made by parameter shares between spinning barriers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/core/parallel.hpp"
#include "steepest/core/placement.hpp"
#include "steepest/core/pool.hpp"
#include "steepest/model/dense.hpp"
#include "steepest/train/rows.hpp"
#include "steepest/train/state.hpp"
#include "steepest/train/update.hpp"

namespace steepest::train {

namespace detail {

// The split epoch (see the header); `tws` holds one workspace per thread.
template <class T>
epoch_result split_epoch(model::network<T>& net, std::vector<model::workspace<T>>& tws,
                         optimizer<T>& opt, const data<T>& in, index_t B,
                         const std::vector<index_t>& sizes, index_t count, stop_check& check) {
    const int nt = static_cast<int>(tws.size());
    const index_t n = in.n, d = net.inputs(), k = net.outputs();
    const std::vector<index_t> start = starts_of(sizes);
    std::vector<double> loss_sum(static_cast<std::size_t>(nt), 0.0);
    std::vector<double> abs_sum(loss_sum), square_sum(loss_sum);
    spin_barrier barrier;
    const long long first = opt.steps;
    long long last = first;
    double total = 0, bad = 0;
    bool diverged = false, stopped = false;  // written by thread 0 before a barrier
    const int caller = current_cpu();
    team_of(nt, [&](int t, int threads) {
        const region_cpus placed(t, caller);  // one thread per CPU for the epoch
        if (t == 0) barrier.reset(threads);
        team_barrier();
        const auto me = static_cast<std::size_t>(t);
        // parameter share, in multiples of 16 elements (whole vectors)
        const index_t e0 = std::min(count, (count * t / threads) / 16 * 16);
        const index_t e1 =
            t + 1 == threads ? count : std::min(count, (count * (t + 1) / threads) / 16 * 16);
        long long step = first;
        std::vector<step_plan<T>> plans;
        std::vector<scalar_row> cells;
        for (index_t s = 0; s < n; s += B) {
            const index_t b = std::min(B, n - s);
            const std::int64_t* rows = in.perm + s;
            const index_t r0 = b * t / threads, r1 = b * (t + 1) / threads;
            loss_sum[me] = abs_sum[me] = square_sum[me] = 0;
            if (r1 > r0) {
                batch_rows<T> mine = gather(in, tws[me], rows + r0, r1 - r0, d, k);
                loss_sum[me] = model::forward_backward(net, tws[me], mine.a0, mine.labels,
                                                       mine.targets, mine.weights, r1 - r0, b,
                                                       mine.csr);
            } else {
                for (auto& g : tws[me].grads) std::fill(g.begin(), g.end(), T(0));
            }
            if (net.pen.active()) {
                visit_pieces(start, e0, e1, [&](std::size_t i, index_t lo, index_t hi) {
                    if (i % 2 == 0)
                        net.pen.accumulate(net.weights[i / 2] + lo, hi - lo, abs_sum[me],
                                           square_sum[me]);
                });
            }
            barrier.wait();
            // every thread reduces the same partial sums in the same order, so
            // all take the same decision below
            double ls = 0, as = 0, ss = 0;
            for (int u = 0; u < threads; ++u) {
                const auto uu = static_cast<std::size_t>(u);
                ls += loss_sum[uu];
                as += abs_sum[uu];
                ss += square_sum[uu];
            }
            T J = model::mean_loss<T>(net.loss, ls, b, k);
            if (net.pen.active()) J = J + net.pen.template value<T>(as, ss);
            if (!std::isfinite(J)) {
                if (t == 0) {
                    bad = double(J);
                    diverged = true;
                }
                break;
            }
            // every thread plans every param from the same scalars; thread 0
            // stores the new ones once all have read them (second barrier)
            cells = opt.scalars;
            const double lr = opt.lr_after(step);
            plan_params(opt, step + 1, lr, cells, plans);
            const ema_pass<T> ema = opt.ema_at(step + 1);
            const ema_pass<T> fused = fused_ema(net, ema);
            visit_pieces(start, e0, e1, [&](std::size_t i, index_t lo, index_t hi) {
                T* g = tws[0].grads[i].data() + lo;
                // the penalty's gradient joins the last thread's sum (one pass fewer)
                const T* w = i % 2 == 0 ? net.weights[i / 2] + lo : nullptr;
                for (int u = 1; u < threads; ++u) {
                    const T* other = tws[static_cast<std::size_t>(u)].grads[i].data() + lo;
                    if (w != nullptr && u + 1 == threads) {
                        net.pen.add_sum_and_grad(w, g, other, hi - lo);
                        w = nullptr;
                        continue;
                    }
#pragma omp simd
                    for (index_t j = 0; j < hi - lo; ++j) g[j] = g[j] + other[j];
                }
                if (w != nullptr) net.pen.add_grad(w, g, hi - lo);
                if (plans[0].measure == nullptr) {
                    update_piece(net, opt, plans, i, g, lo, hi, fused);
                    if (i % 2 == 0) net.pen.shrink(net.weights[i / 2] + lo, hi - lo, lr);
                    average_piece(net, opt, i, lo, hi, ema);
                }
            });
            if (plans[0].measure != nullptr) {
                // a two-pass rule needs every share's gradient: thread 0 steps
                // alone (its totals, like everything else, are thread-count free)
                barrier.wait();
                if (t == 0) {
                    const int saved = calling_thread_limit();
                    calling_thread_limit() = 1;
                    two_pass_update(net, opt, plans[0], tws[0].grads, sizes, fused);
                    calling_thread_limit() = saved;
                    for (std::size_t l = 0; l < net.layers(); ++l)
                        net.pen.shrink(net.weights[l], sizes[2 * l], lr);
                    for (std::size_t i = 0; i < sizes.size(); ++i)
                        average_piece(net, opt, i, 0, sizes[i], ema);
                }
            }
            ++step;
            if (t == 0) {
                total += double(J) * double(b);
                stopped = s + b < n && check.poll();  // the calling thread (OpenMP's master)
            }
            barrier.wait();  // the next batch reads the updated params
            if (t == 0) opt.scalars = cells;  // read by the others after the next first barrier
            if (stopped) break;
        }
        if (t == 0) last = step;
    });
    opt.steps = last;
    if (diverged) return {bad, last - first, true};
    return {total / double(n), last - first, false, stopped};
}

}  // namespace detail

}  // namespace steepest::train
