// One epoch of scikit-learn's plain SGD (batch size 1) for k linear models at
// once: one-vs-rest classes see each sample in turn, so the data is read once.
//
// Each model keeps w = wscale * v, so the L2 step is O(1) and a sample costs
// O(nnz). For each training row x (in perm's order) and each active model c:
//   p      = wscale * (v . x) + b
//   eta    = 1 / (alpha (t0 + t - 1))  optimal;  eta0 / t^power_t  invscaling;
//            eta_c  constant / adaptive
//   update = -eta * clip(dloss(y, p), 1e12) * class_weight(y) * sample_weight
//   wscale *= max(0, 1 - (1 - l1_ratio) eta alpha)   (l2, elasticnet; v is
//            folded in, wscale = 1, when wscale < 1e-9)
//   v += x * (update / wscale);   b += update * intercept_decay
//   average (t >= average): ASGD with aw + a v over b_avg (Xu 2011), and
//            b_avg += (b - b_avg) / (t - average + 1)
//   l1, elasticnet: u += l1_ratio eta alpha; cumulative truncation of the
//            touched weights with the q vector (Tsuruoka et al. 2009)
//   t += 1
// The order of every operation is that of sklearn/linear_model/_sgd_fast.pyx.tp
// (and its WeightVector), including its running sq_norm / l1_norm used in the
// stopping objective. T is float or double; see one_sample. Twin:
// steepest.reference.sgd.sgd_epoch; tests/models/test_sgd_parity.py.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/core/common.hpp"
#include "steepest/core/parallel.hpp"
#include "steepest/sgd/losses.hpp"

namespace steepest::sgd {

enum class penalty_kind { none = 0, l1 = 1, l2 = 2, elasticnet = 3 };
enum class rate_kind { constant = 1, optimal = 2, invscaling = 3, adaptive = 4, schedule = 5 };

constexpr double wscale_threshold = 1e-9;
constexpr double max_dloss = 1e12;

// A dense row: features 0..d-1 in order.
template <class T>
struct dense_rows {
    const T* X;
    index_t d;
    struct row {
        const T* val;
        index_t nnz;
        index_t idx(index_t j) const { return j; }
        // the first entry at a column >= j
        index_t from(index_t j) const { return j < nnz ? j : nnz; }
        // a shuffled epoch reads rows in random order
        void prefetch_entries() const {
            for (index_t j = 0; j < nnz; j += 64 / static_cast<index_t>(sizeof(T))) {
                STEEPEST_PREFETCH(val + j);
            }
        }
        void prefetch_weights(const T*) const {}  // all of them, read in order
    };
    row at(index_t i) const { return {X + i * d, d}; }
};

// A CSR row: the stored entries (sorted, no duplicates; explicit zeros kept).
template <class T>
struct csr_rows {
    const T* data;
    const std::int32_t* indices;
    const std::int64_t* indptr;
    struct row {
        const T* val;
        const std::int32_t* ind;
        index_t nnz;
        index_t idx(index_t j) const { return ind[j]; }
        index_t from(index_t j) const {
            return static_cast<index_t>(std::lower_bound(ind, ind + nnz, j) - ind);
        }
        // the row's stored values and column numbers (a shuffled epoch
        // reads rows in random order)
        void prefetch_entries() const {
            for (index_t j = 0; j < nnz; j += 64 / static_cast<index_t>(sizeof(T))) {
                STEEPEST_PREFETCH(val + j);
            }
            for (index_t j = 0; j < nnz; j += 16) STEEPEST_PREFETCH(ind + j);
        }
        // the weights the row touches, scattered over w
        void prefetch_weights(const T* w) const {
            for (index_t j = 0; j < nnz; ++j) STEEPEST_PREFETCH(w + ind[j]);
        }
    };
    row at(index_t i) const {
        const std::int64_t lo = indptr[i];
        return {data + lo, indices + lo, static_cast<index_t>(indptr[i + 1] - lo)};
    }
};

struct settings {
    loss_fn loss;
    penalty_kind penalty = penalty_kind::l2;
    rate_kind rate = rate_kind::optimal;
    double alpha = 1e-4, l1_ratio = 0, power_t = 0.5, eta0 = 0.01, optimal_init = 0;
    double intercept_decay = 1.0, t = 1.0;
    long long average = 0;
    bool fit_intercept = true, track = true;
    // rate_kind::schedule: the learning rate of the epoch's r-th row
    const double* etas = nullptr;
};

// The learning rate of a row (t counts rows over the fit, r within the
// epoch), computed in double: T's rounding applies to the rate once.
inline double rate_at(const settings& s, double eta_c, double t, index_t r) {
    if (s.rate == rate_kind::optimal) return 1.0 / (s.alpha * (s.optimal_init + t - 1));
    if (s.rate == rate_kind::invscaling) return s.eta0 / std::pow(t, s.power_t);
    if (s.rate == rate_kind::schedule) return s.etas[r];
    return eta_c;
}

// dloss clipped to +-1e12, evaluated in double from T's prediction.
inline double clipped_dloss(const loss_fn& loss, double y, double p) {
    double dloss = loss.gradient(y, p);
    if (dloss < -max_dloss) {
        dloss = -max_dloss;
    } else if (dloss > max_dloss) {
        dloss = max_dloss;
    }
    return dloss;
}

// Arrays of k models (matrices row-major k x d); q / aw null when unused.
template <class T>
struct models {
    index_t k = 1, d = 0;
    T *v = nullptr, *b = nullptr, *wscale = nullptr, *sq_norm = nullptr, *l1_norm = nullptr;
    T *q = nullptr, *u = nullptr;
    T *aw = nullptr, *avg_a = nullptr, *avg_b = nullptr, *avg_b0 = nullptr;
    const double* eta = nullptr;
    const T *pos_weight = nullptr, *neg_weight = nullptr;
    const std::uint8_t* active = nullptr;
    const std::int64_t* pos_label = nullptr;  // classifiers: model c's positive label
    double neg_value = -1.0;                  // the negative class's target (0 for log_loss)
};

// targets: labels (classifiers) or real values (regressors)
template <class T>
struct targets {
    const std::int64_t* label = nullptr;
    const T* value = nullptr;
    template <class M>
    double of(const M& m, index_t c, index_t i) const {
        if (value) return static_cast<double>(value[i]);
        return label[i] == m.pos_label[c] ? 1.0 : m.neg_value;
    }
};

// Fold wscale (and the average's a, b) into the stored vectors.
template <class T>
void reset_wscale(models<T>& m, index_t c) {
    T* v = m.v + c * m.d;
    if (m.aw) {
        T* aw = m.aw + c * m.d;
        const T a = m.avg_a[c], inv_b = T(1) / m.avg_b[c];
        for (index_t j = 0; j < m.d; ++j) aw[j] += a * v[j];
        for (index_t j = 0; j < m.d; ++j) aw[j] *= inv_b;
        m.avg_a[c] = T(0);
        m.avg_b[c] = T(1);
    }
    const T s = m.wscale[c];
    for (index_t j = 0; j < m.d; ++j) v[j] *= s;
    m.wscale[c] = T(1);
}

// One row for model c. In float32 every weight, product and sum is float;
// the loss, its derivative, the learning rate and the tracked objective are
// double (rounded to float where they enter the update).
template <class T, class Row>
void one_sample(const settings& s, models<T>& m, index_t c, const Row& x, double y, T sw, double t,
                index_t r, double& sumloss, double& objective) {
    T* STEEPEST_RESTRICT v = m.v + c * m.d;
    T inner = T(0);
    for (index_t j = 0; j < x.nnz; ++j) inner += v[x.idx(j)] * x.val[j];
    const T p = inner * m.wscale[c] + m.b[c];
    const T eta = static_cast<T>(rate_at(s, m.eta[c], t, r));
    const T alpha = static_cast<T>(s.alpha), l1_ratio = static_cast<T>(s.l1_ratio);
    if (s.track) {
        const double cur = s.loss.value(y, static_cast<double>(p));
        sumloss += cur;
        objective += cur;
        if (s.penalty != penalty_kind::none) {
            const double nrm = std::sqrt(static_cast<double>(m.sq_norm[c]));
            objective += s.alpha * ((1 - s.l1_ratio) * 0.5 * (nrm * nrm) +
                                    s.l1_ratio * static_cast<double>(m.l1_norm[c]));
        }
    }
    const T cw = y > 0.0 ? m.pos_weight[c] : m.neg_weight[c];
    const T dloss = static_cast<T>(clipped_dloss(s.loss, y, static_cast<double>(p)));
    T update = -eta * dloss;
    update *= cw * sw;
    if (s.penalty == penalty_kind::l2 || s.penalty == penalty_kind::elasticnet) {
        const T f = T(1) - ((T(1) - l1_ratio) * eta * alpha);
        const T by = f > 0 ? f : T(0);  // sklearn's max(0, f)
        m.wscale[c] *= by;
        m.sq_norm[c] *= (by * by);
        m.l1_norm[c] *= std::fabs(by);
        if (m.wscale[c] < wscale_threshold) reset_wscale(m, c);
    }
    const T ws = m.wscale[c];
    if (update != T(0)) {
        const T step = update / ws;
        T l2 = T(0), l1 = T(0);
        for (index_t j = 0; j < x.nnz; ++j) {
            T& w = v[x.idx(j)];
            w += x.val[j] * step;
            l2 += w * w;
            l1 += std::fabs(w);
        }
        m.sq_norm[c] = l2 * (ws * ws);
        m.l1_norm[c] = l1 * ws;
    }
    if (s.fit_intercept && update != T(0)) m.b[c] += update * static_cast<T>(s.intercept_decay);
    if (s.average > 0 && static_cast<double>(s.average) <= t) {
        const double seen = t - static_cast<double>(s.average) + 1;
        const T mu = static_cast<T>(1.0 / seen);
        T* aw = m.aw + c * m.d;
        const T a = m.avg_a[c], step = -update / ws;
        for (index_t j = 0; j < x.nnz; ++j) aw[x.idx(j)] += a * x.val[j] * step;
        if (seen > 1) m.avg_b[c] /= (T(1) - mu);
        m.avg_a[c] += mu * m.avg_b[c] * ws;
        m.avg_b0[c] += (m.b[c] - m.avg_b0[c]) / static_cast<T>(seen);
    }
    if (s.penalty == penalty_kind::l1 || s.penalty == penalty_kind::elasticnet) {
        m.u[c] += (l1_ratio * eta * alpha);
        const T u = m.u[c];
        T* q = m.q + c * m.d;
        for (index_t j = 0; j < x.nnz; ++j) {
            const index_t i = x.idx(j);
            const T z = v[i];
            if (ws * z > T(0)) {
                const T w = v[i] - ((u + q[i]) / ws);
                v[i] = w > T(0) ? w : T(0);
            } else if (ws * z < T(0)) {
                const T w = v[i] + ((u - q[i]) / ws);
                v[i] = w < T(0) ? w : T(0);
            }
            q[i] += ws * (v[i] - z);
        }
    }
}

// One pass over the rows perm[0..n) for every active model; per model the
// summed loss and objective (meaningful when s.track). Returns the rows done.
// The models are split over up to `threads` threads (each runs the whole
// pass for its models, whose updates do not depend on one another), so the
// thread count changes no bit. stop() is called by the first thread only.
template <class T, class Rows, class Stop>
index_t run_epoch(const settings& s, models<T>& m, const Rows& rows, const targets<T>& y,
                  const T* sample_weight, const std::int64_t* perm, index_t n,
                  std::vector<double>& sumloss, std::vector<double>& objective, int threads,
                  Stop&& stop) {
    sumloss.assign(static_cast<std::size_t>(m.k), 0.0);
    objective.assign(static_cast<std::size_t>(m.k), 0.0);
    std::vector<index_t> mine;  // the active models, dealt round-robin
    for (index_t c = 0; c < m.k; ++c) {
        if (m.active[c]) mine.push_back(c);
    }
    const int nt = static_cast<int>(
        std::max<index_t>(1, std::min<index_t>(threads, static_cast<index_t>(mine.size()))));
    std::atomic<bool> stopped{false};
    team_of(nt, [&](int id, int count) {
        double t = s.t;
        for (index_t r = 0; r < n; ++r) {
            if ((r & 0xffff) == 0xffff) {
                if (id == 0 && stop()) stopped.store(true);
                if (stopped.load(std::memory_order_relaxed)) return;
            }
            // memory, not arithmetic, bounds a sparse epoch: fetch the entries
            // two rows ahead and the weights of the next row (whose entries
            // were fetched a row ago) while this row computes; no result changes
            if (r + 2 < n) rows.at(static_cast<index_t>(perm[r + 2])).prefetch_entries();
            if (r + 1 < n) {
                const auto next = rows.at(static_cast<index_t>(perm[r + 1]));
                for (std::size_t q = static_cast<std::size_t>(id); q < mine.size();
                     q += static_cast<std::size_t>(count)) {
                    next.prefetch_weights(m.v + mine[q] * m.d);
                }
            }
            const index_t i = static_cast<index_t>(perm[r]);
            const auto x = rows.at(i);
            for (std::size_t q = static_cast<std::size_t>(id); q < mine.size();
                 q += static_cast<std::size_t>(count)) {
                const index_t c = mine[q];
                one_sample(s, m, c, x, y.of(m, c, i), sample_weight[i], t, r,
                           sumloss[static_cast<std::size_t>(c)],
                           objective[static_cast<std::size_t>(c)]);
            }
            t += 1;
        }
    });
    return stopped.load() ? 0 : n;
}

}  // namespace steepest::sgd
