// One epoch of the SGD estimators' mini-batch path (steepest's extras: any
// update rule, batch_size rows per step) for k one-vs-rest linear models.
//
// Per batch B of rows (perm's order), with P = X_B W^T + b before the step:
//   G[r, c] = clip(dloss(y, P), 1e12) * (class_weight(y) * sample_weight)
//             (0 for a model that stopped)
//   gW      = (sum over r of G[r, c] x_r) / |B|  [+ alpha (1 - l1_ratio) W]
//   gb      = (sum over r of G[r, c]) / |B|      (0 without fit_intercept)
//   step(gW, gb, t, lr_t)    the rule's fused step (the binding's callback)
//   l1:      W = sign(W) max(|W| - lr_t alpha l1_ratio, 0)
//   a stopped model's row and, without fit_intercept, every intercept are
//   put back as they were before the step.
// Every sum is sequential from +0.0 in row / column order and the build has
// no FMA contraction: the twin steepest.reference.sgd_batch rounds alike.
// A CSR row's products touch its stored columns only; the step and the
// penalty touch every weight (O(k d) per batch): the results are those of
// the densified X.
// Data-parallel (a batch_reduce with global rows): global step j takes rows
// perm[j*B, (j+1)*B) of this shard (none once it ran out; B = min(batch_size,
// n)), the unnormalised sums [sum G x, sum G] of every process are summed by
// reduce (one flat buffer of k*d + k) and divided by global[j], the rows of
// step j over every process: the step of one process on the k*B rows.
// Tests: tests/models/test_sgd_batch.py, tests/distributed/.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/sgd/plain.hpp"

namespace steepest::sgd {

struct batch_settings {
    loss_fn loss;
    penalty_kind penalty = penalty_kind::l2;
    rate_kind rate = rate_kind::constant;
    double alpha = 1e-4, l1_ratio = 0, power_t = 0.5, eta0 = 0.01, optimal_init = 0, eta = 0.01;
    bool fit_intercept = true, track = true;
    index_t batch_size = 1;
    long long step = 0;  // the optimizer's steps before this epoch

    double lr_at(long long t) const {
        const double td = static_cast<double>(t);
        if (rate == rate_kind::optimal) return 1.0 / (alpha * (optimal_init + td - 1));
        if (rate == rate_kind::invscaling) return eta0 / std::pow(td, power_t);
        return eta;
    }
};

// The k models' weights W (k x d, row-major) and intercepts b (k).
struct batch_models {
    index_t k = 1, d = 0;
    double *W = nullptr, *b = nullptr;
    const double *pos_weight = nullptr, *neg_weight = nullptr;
    const std::uint8_t* active = nullptr;
    const std::int64_t* pos_label = nullptr;
    double neg_value = -1.0;

    double target(const targets& y, index_t c, index_t i) const {
        if (y.value) return y.value[i];
        return y.label[i] == pos_label[c] ? 1.0 : neg_value;
    }
};

// The data-parallel epoch's collective (none: global is null, one process).
struct batch_reduce {
    const std::int64_t* global = nullptr;  // rows of each global step
    index_t steps = 0;                     // global steps of the epoch
    void (*fn)(void* ctx, double* buf, index_t n) = nullptr;  // sums buf over the processes
    void* ctx = nullptr;
};

// Runs the batches of rows perm[0..n); step(gW, gb, t, lr) applies the
// rule. objective[c] sums each row's loss and, per row, the penalty of the
// weights before its batch's step (when s.track and a penalty is set). Returns the steps taken
// (fewer than the batches when stop() said so between two of them).
template <class Rows, class Step, class Stop>
long long run_batch_epoch(const batch_settings& s, batch_models& m, const Rows& rows,
                          const targets& y, const double* sample_weight,
                          const std::int64_t* perm, index_t n, std::vector<double>& objective,
                          Step&& step, Stop&& stop, const batch_reduce& dp = {}) {
    const index_t k = m.k, d = m.d;
    const auto kd = static_cast<std::size_t>(k * d);
    objective.assign(static_cast<std::size_t>(k), 0.0);
    // [gW (k*d), gb (k)]: one buffer, the data-parallel all-reduce's
    std::vector<double> grad(kd + static_cast<std::size_t>(k)), P, G;
    double* const gW = grad.data();
    double* const gb = grad.data() + kd;
    std::vector<double> keep_W(kd), keep_b(static_cast<std::size_t>(k));
    const double l2 = s.alpha * (1.0 - s.l1_ratio);
    const bool has_l2 = s.penalty == penalty_kind::l2 || s.penalty == penalty_kind::elasticnet;
    const bool has_l1 = s.penalty == penalty_kind::l1 || s.penalty == penalty_kind::elasticnet;
    long long steps = 0;
    const bool parallel = dp.global != nullptr;
    const index_t B = parallel && s.batch_size > n ? n : s.batch_size;
    const index_t n_steps = parallel ? dp.steps : (n + B - 1) / B;
    for (index_t q = 0; q < n_steps; ++q) {
        if (steps > 0 && (steps & 63) == 0 && stop()) return steps;
        const index_t start = std::min(n, q * B);
        const index_t size = std::min(B, n - start);
        const std::int64_t* batch = perm + start;
        P.assign(static_cast<std::size_t>(size * k), 0.0);
        G.assign(static_cast<std::size_t>(size * k), 0.0);
        for (index_t r = 0; r < size; ++r) {
            const auto x = rows.at(static_cast<index_t>(batch[r]));
            for (index_t c = 0; c < k; ++c) {
                const double* w = m.W + c * d;
                double inner = 0.0;
                for (index_t j = 0; j < x.nnz; ++j) inner += w[x.idx(j)] * x.val[j];
                P[static_cast<std::size_t>(r * k + c)] = inner + m.b[c];
            }
        }
        if (s.track) {
            for (index_t c = 0; c < k; ++c) {
                if (!m.active[c]) continue;
                double sum = 0.0;
                for (index_t r = 0; r < size; ++r) {
                    const auto i = static_cast<index_t>(batch[r]);
                    sum += s.loss.value(m.target(y, c, i), P[static_cast<std::size_t>(r * k + c)]);
                }
                objective[static_cast<std::size_t>(c)] += sum;
                if (s.penalty == penalty_kind::none) continue;
                const double* w = m.W + c * d;
                double sq = 0.0, ab = 0.0;
                for (index_t j = 0; j < d; ++j) {
                    sq += w[j] * w[j];
                    ab += std::fabs(w[j]);
                }
                const double pen = s.alpha * ((1 - s.l1_ratio) * 0.5 * sq + s.l1_ratio * ab);
                objective[static_cast<std::size_t>(c)] += static_cast<double>(size) * pen;
            }
        }
        for (index_t r = 0; r < size; ++r) {
            const auto i = static_cast<index_t>(batch[r]);
            for (index_t c = 0; c < k; ++c) {
                if (!m.active[c]) continue;
                const double yc = m.target(y, c, i);
                double g = s.loss.gradient(yc, P[static_cast<std::size_t>(r * k + c)]);
                if (g < -max_dloss) {
                    g = -max_dloss;
                } else if (g > max_dloss) {
                    g = max_dloss;
                }
                const double cw = yc > 0.0 ? m.pos_weight[c] : m.neg_weight[c];
                G[static_cast<std::size_t>(r * k + c)] = g * (cw * sample_weight[i]);
            }
        }
        std::fill(grad.begin(), grad.end(), 0.0);
        for (index_t r = 0; r < size; ++r) {
            const auto x = rows.at(static_cast<index_t>(batch[r]));
            for (index_t c = 0; c < k; ++c) {
                const double g = G[static_cast<std::size_t>(r * k + c)];
                if (g == 0.0) continue;  // adds +-0 to sums that are never -0: no change
                double* out = gW + c * d;
                for (index_t i = 0; i < x.nnz; ++i) out[x.idx(i)] += g * x.val[i];
            }
        }
        for (index_t c = 0; c < k; ++c) {
            double sum = 0.0;
            if (s.fit_intercept) {
                for (index_t r = 0; r < size; ++r) sum += G[static_cast<std::size_t>(r * k + c)];
            }
            gb[c] = sum;
        }
        if (parallel) dp.fn(dp.ctx, grad.data(), static_cast<index_t>(grad.size()));
        const double inv = static_cast<double>(parallel ? dp.global[q] : size);
        for (index_t c = 0; c < k; ++c) {
            double* out = gW + c * d;
            const double* w = m.W + c * d;
            if (has_l2) {
                for (index_t i = 0; i < d; ++i) out[i] = out[i] / inv + l2 * w[i];
            } else {
                for (index_t i = 0; i < d; ++i) out[i] = out[i] / inv;
            }
            gb[c] = s.fit_intercept ? gb[c] / inv : 0.0;
        }
        for (index_t c = 0; c < k; ++c) {
            if (!m.active[c]) std::copy(m.W + c * d, m.W + (c + 1) * d, keep_W.data() + c * d);
            keep_b[static_cast<std::size_t>(c)] = m.b[c];
        }
        const long long t = s.step + steps + 1;
        const double lr = s.lr_at(t);
        step(gW, gb, t, lr);
        ++steps;
        if (has_l1) {
            const double shrink = (lr * s.alpha) * s.l1_ratio;
            for (std::size_t j = 0; j < kd; ++j) {
                const double a = std::fabs(m.W[j]) - shrink;
                m.W[j] = a > 0.0 ? std::copysign(a, m.W[j]) : 0.0;
            }
        }
        for (index_t c = 0; c < k; ++c) {
            if (!m.active[c]) {
                std::copy(keep_W.data() + c * d, keep_W.data() + (c + 1) * d, m.W + c * d);
            }
            if (!m.active[c] || !s.fit_intercept) m.b[c] = keep_b[static_cast<std::size_t>(c)];
        }
    }
    return steps;
}

}  // namespace steepest::sgd
