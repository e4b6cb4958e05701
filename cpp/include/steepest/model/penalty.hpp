// Elastic-net penalty on the weight matrices (never on a bias):
//   R(W)  = a1 * sum|W| + (a2 * 0.5) * sum W*W,   a1 = alpha * l1_ratio,
//                                                 a2 = alpha * (1 - l1_ratio)
// The training loop puts only the L2 part in the gradient (add_grad: a2 * W)
// and applies the L1 part after each step as its proximal step (shrink: soft
// thresholding by T(lr * a1)), so a strong L1 penalty gives exact zeros; see
// python/steepest/models/_epoch.py. a1 and a2 are computed once in double and
// cast to T, and a term whose coefficient is 0 is skipped, as in the
// reference. The sums over all weights are accumulated in double, in fixed
// lanes (the reference sums each array in T).
// Twin: steepest.reference.models._penalty; tests: tests/models/test_native_parity.py.
#pragma once

#include <cmath>

#include "steepest/core/common.hpp"
#include "steepest/model/lanes.hpp"

namespace steepest::model {

struct penalty {
    double a1 = 0, a2 = 0;

    penalty() = default;
    penalty(double alpha, double l1_ratio) : a1(alpha * l1_ratio), a2(alpha * (1.0 - l1_ratio)) {}
    bool active() const { return a1 != 0 || a2 != 0; }

    // sum|w| and sum w*w of one array (or a piece), in double, in fixed
    // lanes (model/lanes.hpp: the same bits on every ISA level).
    template <class T>
    void accumulate(const T* w, index_t n, double& abs_sum, double& square_sum) const {
        if (a1 != 0)
            abs_sum += lane_sum<double>(n, [&](index_t i) { return double(std::fabs(w[i])); });
        if (a2 != 0)
            square_sum += lane_sum<double>(n, [&](index_t i) { return double(w[i] * w[i]); });
    }

    // R in T from the sums over every weight array.
    template <class T>
    T value(double abs_sum, double square_sum) const {
        T total = T(0);
        if (a1 != 0) total = total + T(a1) * T(abs_sum);
        if (a2 != 0) total = total + (T(a2) * T(0.5)) * T(square_sum);
        return total;
    }

    // g <- g + the L2 part of dR/dw (the L1 part is shrink's).
    template <class T>
    void add_grad(const T* STEEPEST_RESTRICT w, T* STEEPEST_RESTRICT g, index_t n) const {
        if (a2 != 0) {
            const T c = T(a2);
#pragma omp simd
            for (index_t i = 0; i < n; ++i) g[i] = g[i] + c * w[i];
        }
    }

    // accumulate and add_grad in one pass over w (the same sums and bits).
    template <class T>
    void accumulate_and_add_grad(const T* STEEPEST_RESTRICT w, T* STEEPEST_RESTRICT g, index_t n,
                                 double& abs_sum, double& square_sum) const {
        if (a2 == 0) {
            accumulate(w, n, abs_sum, square_sum);
            return;
        }
        if (a1 != 0)
            abs_sum += lane_sum<double>(n, [&](index_t i) { return double(std::fabs(w[i])); });
        const T c = T(a2);
        square_sum += lane_sum<double>(n, [&](index_t i) {
            const T x = w[i];
            g[i] = g[i] + c * x;
            return double(x * x);
        });
    }

    // g <- (g + other) + the L2 part of dR/dw: a sum of two gradients and
    // add_grad in one pass (the same roundings, in the same order).
    template <class T>
    void add_sum_and_grad(const T* STEEPEST_RESTRICT w, T* STEEPEST_RESTRICT g,
                          const T* STEEPEST_RESTRICT other, index_t n) const {
        if (a2 == 0) {
#pragma omp simd
            for (index_t i = 0; i < n; ++i) g[i] = g[i] + other[i];
            return;
        }
        const T c = T(a2);
#pragma omp simd
        for (index_t i = 0; i < n; ++i) g[i] = (g[i] + other[i]) + c * w[i];
    }

    // The L1 proximal step of a step at learning rate lr, on w in place:
    // 0 where |w| <= thr, else w - copysign(thr, w) (NaN stays NaN).
    template <class T>
    void shrink(T* w, index_t n, double lr) const {
        if (a1 == 0) return;
        const T thr = T(lr * a1);
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            w[i] = std::fabs(w[i]) <= thr ? T(0) : w[i] - std::copysign(thr, w[i]);
        }
    }
};

}  // namespace steepest::model
