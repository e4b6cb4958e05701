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

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
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
    long long step = 0;            // the optimizer's steps before this epoch
    const double* etas = nullptr;  // rate_kind::schedule: the epoch's step rates
    int threads = 1;

    double lr_at(long long t) const {
        const double td = static_cast<double>(t);
        if (rate == rate_kind::optimal) return 1.0 / (alpha * (optimal_init + td - 1));
        if (rate == rate_kind::invscaling) return eta0 / std::pow(td, power_t);
        if (rate == rate_kind::schedule) return etas[t - step - 1];
        return eta;
    }
};

// The k models' weights W (k x d, row-major) and intercepts b (k).
template <class T>
struct batch_models {
    index_t k = 1, d = 0;
    T *W = nullptr, *b = nullptr;
    const T *pos_weight = nullptr, *neg_weight = nullptr;
    const std::uint8_t* active = nullptr;
    const std::int64_t* pos_label = nullptr;
    double neg_value = -1.0;

    double target(const targets<T>& y, index_t c, index_t i) const { return y.of(*this, c, i); }
};

// The data-parallel epoch's collective (none: global is null, one process).
template <class T>
struct batch_reduce {
    const std::int64_t* global = nullptr;  // rows of each global step
    index_t steps = 0;                     // global steps of the epoch
    void (*fn)(void* ctx, T* buf, index_t n) = nullptr;  // sums buf over the processes
    void* ctx = nullptr;
};

// Runs the batches of rows perm[0..n); step(gW, gb, t, lr) applies the
// rule. objective[c] sums each row's loss and, per row, the penalty of the
// weights before its batch's step (when s.track and a penalty is set). Returns the steps taken
// (fewer than the batches when stop() said so between two of them).
// Threads split the predictions by rows and the gradient by columns (each
// column's sum still runs over the rows in order): no bit depends on them.
template <class T, class Rows, class Step, class Stop>
long long run_batch_epoch(const batch_settings& s, batch_models<T>& m, const Rows& rows,
                          const targets<T>& y, const T* sample_weight, const std::int64_t* perm,
                          index_t n, std::vector<double>& objective, Step&& step, Stop&& stop,
                          const batch_reduce<T>& dp = {}) {
    const index_t k = m.k, d = m.d;
    const auto kd = static_cast<std::size_t>(k * d);
    objective.assign(static_cast<std::size_t>(k), 0.0);
    // [gW (k*d), gb (k)]: one buffer, the data-parallel all-reduce's
    std::vector<T> grad(kd + static_cast<std::size_t>(k)), P, G;
    T* const gW = grad.data();
    T* const gb = grad.data() + kd;
    std::vector<T> keep_W(kd), keep_b(static_cast<std::size_t>(k));
    const T l2 = static_cast<T>(s.alpha * (1.0 - s.l1_ratio));
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
        P.assign(static_cast<std::size_t>(size * k), T(0));
        G.assign(static_cast<std::size_t>(size * k), T(0));
        index_t nnz = 0;
        for (index_t r = 0; r < size; ++r) nnz += rows.at(static_cast<index_t>(batch[r])).nnz;
        // one thread below ~256K multiply-adds (the parallel grain): waking
        // the threads twice a batch costs about as much
        const int nt =
            nnz * k + static_cast<index_t>(kd) >= parallel_grain().load() ? s.threads : 1;
        team_of(std::min<int>(nt, static_cast<int>(size)), [&](int id, int count) {
            for (index_t r = id; r < size; r += count) {
                const auto x = rows.at(static_cast<index_t>(batch[r]));
                for (index_t c = 0; c < k; ++c) {
                    const T* w = m.W + c * d;
                    T inner = T(0);
                    for (index_t j = 0; j < x.nnz; ++j) inner += w[x.idx(j)] * x.val[j];
                    P[static_cast<std::size_t>(r * k + c)] = inner + m.b[c];
                }
            }
        });
        if (s.track) {
            for (index_t c = 0; c < k; ++c) {
                if (!m.active[c]) continue;
                double sum = 0.0;
                for (index_t r = 0; r < size; ++r) {
                    const auto i = static_cast<index_t>(batch[r]);
                    sum +=
                        s.loss.value(m.target(y, c, i),
                                     static_cast<double>(P[static_cast<std::size_t>(r * k + c)]));
                }
                objective[static_cast<std::size_t>(c)] += sum;
                if (s.penalty == penalty_kind::none) continue;
                const T* w = m.W + c * d;
                T sq = T(0), ab = T(0);
                for (index_t j = 0; j < d; ++j) {
                    sq += w[j] * w[j];
                    ab += std::fabs(w[j]);
                }
                const double pen = s.alpha * ((1 - s.l1_ratio) * 0.5 * static_cast<double>(sq) +
                                              s.l1_ratio * static_cast<double>(ab));
                objective[static_cast<std::size_t>(c)] += static_cast<double>(size) * pen;
            }
        }
        for (index_t r = 0; r < size; ++r) {
            const auto i = static_cast<index_t>(batch[r]);
            for (index_t c = 0; c < k; ++c) {
                if (!m.active[c]) continue;
                const double yc = m.target(y, c, i);
                const T g = static_cast<T>(clipped_dloss(
                    s.loss, yc, static_cast<double>(P[static_cast<std::size_t>(r * k + c)])));
                const T cw = yc > 0.0 ? m.pos_weight[c] : m.neg_weight[c];
                G[static_cast<std::size_t>(r * k + c)] = g * (cw * sample_weight[i]);
            }
        }
        // the unnormalised sums first (the all-reduce adds every process's),
        // then one division by the step's rows: the bits of dividing in place.
        // Without a communicator each thread divides its own columns in the
        // same region (one wake-up per batch, not two).
        const T inv = static_cast<T>(parallel ? dp.global[q] : size);
        auto finish = [&](index_t jb, index_t je) {
            for (index_t c = 0; c < k; ++c) {
                T* out = gW + c * d;
                const T* w = m.W + c * d;
                if (has_l2) {
                    for (index_t j = jb; j < je; ++j) out[j] = out[j] / inv + l2 * w[j];
                } else {
                    for (index_t j = jb; j < je; ++j) out[j] = out[j] / inv;
                }
            }
        };
        auto columns = [d](int id, int count) {  // [jb, je) of every model, in blocks of 64
            const index_t chunk = ((d + count - 1) / count + 63) / 64 * 64;
            const index_t jb = std::min(d, id * chunk);
            return std::pair<index_t, index_t>{jb, std::min(d, jb + chunk)};
        };
        team_of(std::min<int>(nt, static_cast<int>((d + 63) / 64)), [&](int id, int count) {
            const auto [jb, je] = columns(id, count);
            for (index_t c = 0; c < k; ++c) std::fill(gW + c * d + jb, gW + c * d + je, T(0));
            for (index_t r = 0; r < size; ++r) {
                const auto x = rows.at(static_cast<index_t>(batch[r]));
                const index_t lo = x.from(jb), hi = x.from(je);
                for (index_t c = 0; c < k; ++c) {
                    const T g = G[static_cast<std::size_t>(r * k + c)];
                    if (g == T(0)) continue;  // adds +-0 to sums that are never -0: no change
                    T* out = gW + c * d;
                    for (index_t j = lo; j < hi; ++j) out[x.idx(j)] += g * x.val[j];
                }
            }
            if (!parallel) finish(jb, je);
        });
        for (index_t c = 0; c < k; ++c) {
            T sum = T(0);
            if (s.fit_intercept) {
                for (index_t r = 0; r < size; ++r) sum += G[static_cast<std::size_t>(r * k + c)];
            }
            gb[c] = sum;
        }
        if (parallel) {
            dp.fn(dp.ctx, grad.data(), static_cast<index_t>(grad.size()));
            team_of(std::min<int>(nt, static_cast<int>((d + 63) / 64)), [&](int id, int count) {
                const auto [jb, je] = columns(id, count);
                finish(jb, je);
            });
        }
        for (index_t c = 0; c < k; ++c) {
            gb[c] = s.fit_intercept ? gb[c] / inv : T(0);
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
            const T shrink = static_cast<T>((lr * s.alpha) * s.l1_ratio);
            for (std::size_t j = 0; j < kd; ++j) {
                const T a = std::fabs(m.W[j]) - shrink;
                m.W[j] = a > T(0) ? std::copysign(a, m.W[j]) : T(0);
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
