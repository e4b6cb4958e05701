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
// stopping objective. Twin: steepest.reference.sgd.sgd_epoch;
// tests/models/test_sgd_parity.py.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/core/common.hpp"
#include "steepest/sgd/losses.hpp"

namespace steepest::sgd {

enum class penalty_kind { none = 0, l1 = 1, l2 = 2, elasticnet = 3 };
enum class rate_kind { constant = 1, optimal = 2, invscaling = 3, adaptive = 4 };

constexpr double wscale_threshold = 1e-9;
constexpr double max_dloss = 1e12;

// A dense row: features 0..d-1 in order.
struct dense_rows {
    const double* X;
    index_t d;
    struct row {
        const double* val;
        index_t nnz;
        index_t idx(index_t j) const { return j; }
    };
    row at(index_t i) const { return {X + i * d, d}; }
};

// A CSR row: the stored entries (sorted, no duplicates; explicit zeros kept).
struct csr_rows {
    const double* data;
    const std::int32_t* indices;
    const std::int64_t* indptr;
    struct row {
        const double* val;
        const std::int32_t* ind;
        index_t nnz;
        index_t idx(index_t j) const { return ind[j]; }
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
};

// Arrays of k models (matrices row-major k x d); q / aw null when unused.
struct models {
    index_t k = 1, d = 0;
    double *v = nullptr, *b = nullptr, *wscale = nullptr, *sq_norm = nullptr, *l1_norm = nullptr;
    double *q = nullptr, *u = nullptr;
    double *aw = nullptr, *avg_a = nullptr, *avg_b = nullptr, *avg_b0 = nullptr;
    const double *eta = nullptr, *pos_weight = nullptr, *neg_weight = nullptr;
    const std::uint8_t* active = nullptr;
    const std::int64_t* pos_label = nullptr;  // classifiers: model c's positive label
    double neg_value = -1.0;                  // the negative class's target (0 for log_loss)
};

// targets: labels (classifiers) or real values (regressors)
struct targets {
    const std::int64_t* label = nullptr;
    const double* value = nullptr;
    double of(const models& m, index_t c, index_t i) const {
        if (value) return value[i];
        return label[i] == m.pos_label[c] ? 1.0 : m.neg_value;
    }
};

// Fold wscale (and the average's a, b) into the stored vectors.
inline void reset_wscale(models& m, index_t c) {
    double* v = m.v + c * m.d;
    if (m.aw) {
        double* aw = m.aw + c * m.d;
        const double a = m.avg_a[c], inv_b = 1.0 / m.avg_b[c];
        for (index_t j = 0; j < m.d; ++j) aw[j] += a * v[j];
        for (index_t j = 0; j < m.d; ++j) aw[j] *= inv_b;
        m.avg_a[c] = 0.0;
        m.avg_b[c] = 1.0;
    }
    const double s = m.wscale[c];
    for (index_t j = 0; j < m.d; ++j) v[j] *= s;
    m.wscale[c] = 1.0;
}

template <class Row>
void one_sample(const settings& s, models& m, index_t c, const Row& x, double y, double sw,
                double t, double& sumloss, double& objective) {
    double* STEEPEST_RESTRICT v = m.v + c * m.d;
    double inner = 0.0;
    for (index_t j = 0; j < x.nnz; ++j) inner += v[x.idx(j)] * x.val[j];
    const double p = inner * m.wscale[c] + m.b[c];
    double eta = m.eta[c];
    if (s.rate == rate_kind::optimal) {
        eta = 1.0 / (s.alpha * (s.optimal_init + t - 1));
    } else if (s.rate == rate_kind::invscaling) {
        eta = s.eta0 / std::pow(t, s.power_t);
    }
    if (s.track) {
        const double cur = s.loss.value(y, p);
        sumloss += cur;
        objective += cur;
        if (s.penalty != penalty_kind::none) {
            const double nrm = std::sqrt(m.sq_norm[c]);
            objective += s.alpha * ((1 - s.l1_ratio) * 0.5 * (nrm * nrm) +
                                    s.l1_ratio * m.l1_norm[c]);
        }
    }
    const double cw = y > 0.0 ? m.pos_weight[c] : m.neg_weight[c];
    double dloss = s.loss.gradient(y, p);
    if (dloss < -max_dloss) {
        dloss = -max_dloss;
    } else if (dloss > max_dloss) {
        dloss = max_dloss;
    }
    double update = -eta * dloss;
    update *= cw * sw;
    if (s.penalty == penalty_kind::l2 || s.penalty == penalty_kind::elasticnet) {
        const double f = 1.0 - ((1.0 - s.l1_ratio) * eta * s.alpha);
        const double by = f > 0 ? f : 0.0;  // sklearn's max(0, f)
        m.wscale[c] *= by;
        m.sq_norm[c] *= (by * by);
        m.l1_norm[c] *= std::fabs(by);
        if (m.wscale[c] < wscale_threshold) reset_wscale(m, c);
    }
    const double ws = m.wscale[c];
    if (update != 0.0) {
        const double step = update / ws;
        double l2 = 0.0, l1 = 0.0;
        for (index_t j = 0; j < x.nnz; ++j) {
            double& w = v[x.idx(j)];
            w += x.val[j] * step;
            l2 += w * w;
            l1 += std::fabs(w);
        }
        m.sq_norm[c] = l2 * (ws * ws);
        m.l1_norm[c] = l1 * ws;
    }
    if (s.fit_intercept && update != 0) m.b[c] += update * s.intercept_decay;
    if (s.average > 0 && static_cast<double>(s.average) <= t) {
        const double seen = t - static_cast<double>(s.average) + 1;
        const double mu = 1.0 / seen;
        double* aw = m.aw + c * m.d;
        const double a = m.avg_a[c], step = -update / ws;
        for (index_t j = 0; j < x.nnz; ++j) aw[x.idx(j)] += a * x.val[j] * step;
        if (seen > 1) m.avg_b[c] /= (1.0 - mu);
        m.avg_a[c] += mu * m.avg_b[c] * ws;
        m.avg_b0[c] += (m.b[c] - m.avg_b0[c]) / seen;
    }
    if (s.penalty == penalty_kind::l1 || s.penalty == penalty_kind::elasticnet) {
        m.u[c] += (s.l1_ratio * eta * s.alpha);
        const double u = m.u[c];
        double* q = m.q + c * m.d;
        for (index_t j = 0; j < x.nnz; ++j) {
            const index_t i = x.idx(j);
            const double z = v[i];
            if (ws * z > 0.0) {
                const double w = v[i] - ((u + q[i]) / ws);
                v[i] = w > 0.0 ? w : 0.0;
            } else if (ws * z < 0.0) {
                const double w = v[i] + ((u - q[i]) / ws);
                v[i] = w < 0.0 ? w : 0.0;
            }
            q[i] += ws * (v[i] - z);
        }
    }
}

// One pass over the rows perm[0..n) for every active model; per model the
// summed loss and objective (meaningful when s.track). Returns the rows done.
template <class Rows, class Stop>
index_t run_epoch(const settings& s, models& m, const Rows& rows, const targets& y,
                  const double* sample_weight, const std::int64_t* perm, index_t n,
                  std::vector<double>& sumloss, std::vector<double>& objective, Stop&& stop) {
    sumloss.assign(static_cast<std::size_t>(m.k), 0.0);
    objective.assign(static_cast<std::size_t>(m.k), 0.0);
    double t = s.t;
    for (index_t r = 0; r < n; ++r) {
        if ((r & 0xffff) == 0xffff && stop()) return r;
        const index_t i = static_cast<index_t>(perm[r]);
        const auto x = rows.at(i);
        for (index_t c = 0; c < m.k; ++c) {
            if (!m.active[c]) continue;
            one_sample(s, m, c, x, y.of(m, c, i), sample_weight[i], t,
                       sumloss[static_cast<std::size_t>(c)],
                       objective[static_cast<std::size_t>(c)]);
        }
        t += 1;
    }
    return n;
}

}  // namespace steepest::sgd
