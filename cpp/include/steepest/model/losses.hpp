// Output losses of every model: the batch mean of the per-sample loss and
// D = dL/dZ (the 1/n applied), for a batch of n rows of k outputs:
//   squared   L = (0.5 * sum_ij r_ij^2) / (n*k),  r = Z - Y,  D = r / (n*k)
//   binary    t_i = -z_i if y_i == 1 else z_i;  L = sum_i softplus(t_i) / n,
//             softplus(t) = max(t, 0) + log1p(exp(-|t|));  D_i = (sigmoid(z_i) - y_i) / n
//   softmax   s_ij = z_ij - max_j z_ij;  L = sum_i (log sum_j exp(s_ij) - s_i,y_i) / n
//             D_ij = (exp(s_ij) / sum_j exp(s_ij) - [j == y_i]) / n
//   multilabel  k independent binary losses on 0/1 targets Y (n x k, of T):
//             t_ij = -z_ij if y_ij == 1 else z_ij;  L = sum_ij softplus(t_ij) / n
//             (summed over the labels, as scikit-learn's binary_log_loss),
//             D_ij = (sigmoid(z_ij) - y_ij) / n
// Row weights w (optional, null: none) multiply each row's loss and its row of
// D before the division: sum_ij w_i * (r*r) and (w_i * r) / (n*k); w_i *
// softplus(t_i) and (w_i * (s_i - y_i)) / n (multilabel: per element, w_i of its row); w_i * (log sum - s_i,y_i) and
// (w_i * p_ij) / n with p the probabilities less the one-hot labels.
// Element operations are the reference's, in T; the sums over the batch are
// accumulated in double and rounded to T once (the reference's NumPy sums
// are pairwise in T: both are within a few ulps of the exact sum).
// Twin: steepest.reference.models._losses; tests: tests/models/test_native_parity.py.
#pragma once

#include <cmath>
#include <cstdint>

#include "steepest/model/activations.hpp"

namespace steepest::model {

enum class loss_kind { squared, binary, softmax, multilabel };

// Each function handles `n` rows of a batch of `total` rows (a thread's share,
// or all of them), writes D for its rows and returns the sum of its rows'
// per-sample losses (for squared error: the sum of r*r) in double;
// mean_loss() turns the sum over the whole batch into L.
template <class T>
double squared_loss(const T* STEEPEST_RESTRICT z, const T* STEEPEST_RESTRICT y, const T* w,
                    T* STEEPEST_RESTRICT d, index_t n, index_t k, index_t total) {
    const T tnk = T(total * k);
    double sum = 0;
    if (w == nullptr) {
        for (index_t i = 0; i < n * k; ++i) {
            T r = z[i] - y[i];
            sum += double(r * r);
            d[i] = r / tnk;
        }
        return sum;
    }
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = i * k; j < (i + 1) * k; ++j) {
            T r = z[j] - y[j];
            sum += double(w[i] * (r * r));
            d[j] = (w[i] * r) / tnk;
        }
    }
    return sum;
}

template <class T>
double binary_loss(const T* STEEPEST_RESTRICT z, const std::int64_t* STEEPEST_RESTRICT y,
                   const T* w, T* STEEPEST_RESTRICT d, index_t n, index_t total) {
    const T tn = T(total);
    double sum = 0;
    for (index_t i = 0; i < n; ++i) {
        // |t| = |z|: one exp serves the softplus and the sigmoid
        const T t = y[i] == 1 ? -z[i] : z[i];
        const T e = std::exp(-std::fabs(z[i]));
        const T one_plus_e = T(1) + e;
        const T loss = nan_max(t, T(0)) + std::log1p(e);
        const T s = z[i] >= T(0) ? T(1) / one_plus_e : e / one_plus_e;
        if (w == nullptr) {
            sum += double(loss);
            d[i] = (s - T(y[i])) / tn;
        } else {
            sum += double(w[i] * loss);
            d[i] = (w[i] * (s - T(y[i]))) / tn;
        }
    }
    return sum;
}

template <class T>
double softmax_loss(const T* STEEPEST_RESTRICT z, const std::int64_t* STEEPEST_RESTRICT y,
                    const T* w, T* STEEPEST_RESTRICT d, index_t n, index_t k, index_t total) {
    const T tn = T(total);
    double sum = 0;
    for (index_t i = 0; i < n; ++i) {
        const T* zi = z + i * k;
        T* di = d + i * k;
        T m = zi[0];
        for (index_t j = 1; j < k; ++j) m = nan_max(m, zi[j]);
        T all = T(0);
        for (index_t j = 0; j < k; ++j) {
            di[j] = std::exp(zi[j] - m);
            all = all + di[j];
        }
        const T loss = std::log(all) - (zi[y[i]] - m);
        sum += double(w == nullptr ? loss : w[i] * loss);
        for (index_t j = 0; j < k; ++j) di[j] = di[j] / all;
        di[y[i]] = di[y[i]] - T(1);
        if (w == nullptr) {
            for (index_t j = 0; j < k; ++j) di[j] = di[j] / tn;
        } else {
            for (index_t j = 0; j < k; ++j) di[j] = (w[i] * di[j]) / tn;
        }
    }
    return sum;
}

// Multilabel: the binary loss of every (row, label) on targets of T; the same
// element operations as binary_loss.
template <class T>
double multilabel_loss(const T* STEEPEST_RESTRICT z, const T* STEEPEST_RESTRICT y, const T* w,
                       T* STEEPEST_RESTRICT d, index_t n, index_t k, index_t total) {
    const T tn = T(total);
    double sum = 0;
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = i * k; j < (i + 1) * k; ++j) {
            const bool one = y[j] == T(1);
            const T t = one ? -z[j] : z[j];
            const T e = std::exp(-std::fabs(z[j]));
            const T one_plus_e = T(1) + e;
            const T loss = nan_max(t, T(0)) + std::log1p(e);
            const T s = z[j] >= T(0) ? T(1) / one_plus_e : e / one_plus_e;
            if (w == nullptr) {
                sum += double(loss);
                d[j] = (s - y[j]) / tn;
            } else {
                sum += double(w[i] * loss);
                d[j] = (w[i] * (s - y[j])) / tn;
            }
        }
    }
    return sum;
}

// D for n rows of a batch of `total`, and their loss sum; `labels` for
// binary/softmax, `targets` for squared and multilabel; `w` the rows' weights or null.
template <class T>
double output_loss(loss_kind kind, const T* z, const std::int64_t* labels, const T* targets,
                   const T* w, T* d, index_t n, index_t k, index_t total) {
    switch (kind) {
        case loss_kind::squared:
            return squared_loss(z, targets, w, d, n, k, total);
        case loss_kind::binary:
            return binary_loss(z, labels, w, d, n, total);
        case loss_kind::multilabel:
            return multilabel_loss(z, targets, w, d, n, k, total);
        default:
            return softmax_loss(z, labels, w, d, n, k, total);
    }
}

// L of a batch of `total` rows from the sum of all its rows' output_loss().
template <class T>
T mean_loss(loss_kind kind, double sum, index_t total, index_t k) {
    if (kind == loss_kind::squared) return T(0.5) * T(sum) / T(total * k);
    return T(sum) / T(total);
}

}  // namespace steepest::model
