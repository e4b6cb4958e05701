// A dense network, the one model shape behind every estimator: linear and
// logistic regression are networks without a hidden layer. On a batch A0
// (n x d, row-major), with L layers Wl (n_{l-1} x n_l) and bl (n_l):
//   Al = g(A{l-1} @ Wl + bl)   l < L      Z = A{L-1} @ WL + bL
//   J  = loss(Z, y) + sum_l R(Wl)
//   backward, D = dJ/dZ:  dWl = A{l-1}^T @ D + dR/dWl,  dbl = sum_i D_i
//                         (dbL = 0 with a fixed output bias: fit_intercept=False),
//                         D <- (D @ Wl^T) * g'(A{l-1})
// GEMMs go to the BLAS (steepest::blas::gemm; gemv for a layer with one
// output); a single-row batch of a network without hidden layer (plain SGD
// on linear/logistic) uses direct loops instead, which cost less than one
// BLAS call, as does the rank-one D @ W^T of a one-output layer.
// CSR input (x0.on()): the first layer's X_b @ W1 and X_b^T @ D go through
// model/sparse.hpp instead, O(nonzeros x width); the other layers are dense.
// Twin: steepest.reference.models.{linear,logistic,mlp}.loss_and_grad;
// tests: tests/models/test_native_parity.py.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "steepest/core/blas.hpp"
#include "steepest/model/activations.hpp"
#include "steepest/model/lanes.hpp"
#include "steepest/model/losses.hpp"
#include "steepest/model/penalty.hpp"
#include "steepest/model/sparse.hpp"

namespace steepest::model {

template <class T>
struct network {
    std::vector<index_t> units;  // n0 = features, ..., nL = outputs
    std::vector<T*> weights, biases;
    activation hidden = activation::identity;
    loss_kind loss = loss_kind::squared;
    model::penalty pen;
    bool fixed_bias = false;  // the output layer's bias gets no gradient (fit_intercept=False)

    std::size_t layers() const { return weights.size(); }
    index_t inputs() const { return units.front(); }
    index_t outputs() const { return units.back(); }
    // the widest layer output: D and D @ W^T never have the inputs' width
    // (a rows x features buffer would cost more than a sparse batch itself)
    index_t widest() const {
        index_t w = 0;
        for (std::size_t l = 1; l < units.size(); ++l) w = units[l] > w ? units[l] : w;
        return w;
    }
};

// Buffers for batches of up to `rows` samples, allocated once per epoch (one
// per thread when threads split the batch): activations, D, gradients, and
// room to gather the batch's rows (dense: xb; CSR: sv, si, sp, which grow
// to the batch's nonzeros). grads[2l] and grads[2l + 1] are dWl and dbl.
template <class T>
struct workspace {
    std::vector<std::vector<T>> acts;  // A1 .. A{L-1}, then Z
    std::vector<T> d, dprev;
    std::vector<std::vector<T>> grads;
    std::vector<T> xb, yb, wb;
    std::vector<std::int64_t> lb;
    std::vector<T> sv;
    std::vector<std::int32_t> si;
    std::vector<std::int64_t> sp;

    // dense_input false: X is CSR, and no rows x features buffer is needed
    workspace(const network<T>& net, index_t rows, bool dense_input = true) {
        const std::size_t L = net.layers();
        auto size = [](index_t a, index_t b) { return static_cast<std::size_t>(a * b); };
        for (std::size_t l = 0; l < L; ++l) {
            acts.emplace_back(size(rows, net.units[l + 1]));
            grads.emplace_back(size(net.units[l], net.units[l + 1]));
            grads.emplace_back(size(net.units[l + 1], 1));
        }
        d.resize(size(rows, net.widest()));
        dprev.resize(d.size());
        if (dense_input) xb.resize(size(rows, net.inputs()));
        yb.resize(size(rows, net.outputs()));
        wb.resize(size(rows, 1));
        lb.resize(size(rows, 1));
    }
};

namespace detail {

// Z (1 x k) = x @ W without the BLAS: k = 1 is a dot product.
template <class T>
void row_times_matrix(const T* STEEPEST_RESTRICT x, const T* STEEPEST_RESTRICT w,
                      T* STEEPEST_RESTRICT z, index_t d, index_t k) {
    if (k == 1) {  // in fixed lanes: the same bits on every ISA level
        z[0] = lane_sum<T>(d, [&](index_t f) { return x[f] * w[f]; });
        return;
    }
    for (index_t j = 0; j < k; ++j) z[j] = T(0);
    for (index_t f = 0; f < d; ++f) {
        const T xf = x[f];
        const T* row = w + f * k;
#pragma omp simd
        for (index_t j = 0; j < k; ++j) z[j] = z[j] + xf * row[j];
    }
}

// G (d x k) = x^T @ D for one row: an outer product.
template <class T>
void outer(const T* STEEPEST_RESTRICT x, const T* STEEPEST_RESTRICT dz, T* STEEPEST_RESTRICT g,
           index_t d, index_t k) {
    if (k == 1) {  // one contiguous column: vectorise over d, not over k
        const T dz0 = dz[0];
#pragma omp simd
        for (index_t f = 0; f < d; ++f) g[f] = x[f] * dz0;
        return;
    }
    for (index_t f = 0; f < d; ++f) {
        const T xf = x[f];
        T* row = g + f * k;
#pragma omp simd
        for (index_t j = 0; j < k; ++j) row[j] = xf * dz[j];
    }
}

template <class T>
void column_sums(const T* STEEPEST_RESTRICT d, T* STEEPEST_RESTRICT out, index_t rows,
                 index_t cols) {
    for (index_t j = 0; j < cols; ++j) out[j] = d[j];
    for (index_t i = 1; i < rows; ++i) {
        const T* row = d + i * cols;
#pragma omp simd
        for (index_t j = 0; j < cols; ++j) out[j] = out[j] + row[j];
    }
}

}  // namespace detail

// Forward and backward pass over n rows of a batch of `total` rows (all of
// it, or one thread's share): ws.grads receives these rows' part of the data
// gradient (no penalty); returns their loss sum (see output_loss). `w`: the
// rows' sample weights, or null. x0 on: the rows are CSR (a0 unused).
template <class T>
double forward_backward(const network<T>& net, workspace<T>& ws, const T* a0,
                        const std::int64_t* labels, const T* targets, const T* w, index_t n,
                        index_t total, const csr_batch<T>& x0 = {}) {
    using blas::op;
    const std::size_t L = net.layers();
    const bool direct = n == 1 && L == 1 && !x0.on();
    const T* a = a0;
    for (std::size_t l = 0; l < L; ++l) {
        const index_t in = net.units[l], out = net.units[l + 1];
        T* z = ws.acts[l].data();
        if (l == 0 && x0.on()) {
            csr_times(x0, n, net.weights[0], z, out);
        } else if (direct) {
            detail::row_times_matrix(a, net.weights[l], z, in, out);
        } else if (out == 1) {
            blas::gemv(op::none, n, in, T(1), a, in, net.weights[l], T(0), z);
        } else {
            blas::gemm(op::none, op::none, n, out, in, T(1), a, in, net.weights[l], out, T(0), z,
                       out);
        }
        add_bias_activate(z, net.biases[l], n, out, l + 1 == L ? activation::identity : net.hidden);
        a = z;
    }
    const double sum =
        output_loss(net.loss, a, labels, targets, w, ws.d.data(), n, net.outputs(), total);
    for (std::size_t l = L; l-- > 0;) {
        const index_t in = net.units[l], out = net.units[l + 1];
        const T* prev = l == 0 ? a0 : ws.acts[l - 1].data();
        T* gw = ws.grads[2 * l].data();
        if (l == 0 && x0.on()) {
            csr_transpose_times(x0, n, ws.d.data(), gw, in, out);
        } else if (direct) {
            detail::outer(prev, ws.d.data(), gw, in, out);
        } else if (out == 1) {
            blas::gemv(op::trans, n, in, T(1), prev, in, ws.d.data(), T(0), gw);
        } else {
            blas::gemm(op::trans, op::none, in, out, n, T(1), prev, in, ws.d.data(), out, T(0), gw,
                       out);
        }
        if (l + 1 == L && net.fixed_bias) {
            std::fill(ws.grads[2 * l + 1].begin(), ws.grads[2 * l + 1].end(), T(0));
        } else {
            detail::column_sums(ws.d.data(), ws.grads[2 * l + 1].data(), n, out);
        }
        if (l > 0 && out == 1) {
            for (index_t i = 0; i < n; ++i)
                detail::outer(ws.d.data() + i, net.weights[l], ws.dprev.data() + i * in, 1, in);
            times_derivative(ws.dprev.data(), prev, n * in, net.hidden);
            std::swap(ws.d, ws.dprev);
        } else if (l > 0) {
            blas::gemm(op::none, op::trans, n, in, out, T(1), ws.d.data(), out, net.weights[l], out,
                       T(0), ws.dprev.data(), in);
            times_derivative(ws.dprev.data(), prev, n * in, net.hidden);
            std::swap(ws.d, ws.dprev);
        }
    }
    return sum;
}

// J of the batch (rows a0[0 .. n)) and its full gradient into ws.grads, on
// the calling thread (the BLAS may use its own threads).
template <class T>
T loss_and_grad(const network<T>& net, workspace<T>& ws, const T* a0, const std::int64_t* labels,
                const T* targets, const T* w, index_t n, const csr_batch<T>& x0 = {}) {
    const double sum = forward_backward(net, ws, a0, labels, targets, w, n, n, x0);
    T J = mean_loss<T>(net.loss, sum, n, net.outputs());
    if (net.pen.active()) {
        double abs_sum = 0, square_sum = 0;
        for (std::size_t l = 0; l < net.layers(); ++l) {
            const index_t size = net.units[l] * net.units[l + 1];
            net.pen.accumulate_and_add_grad(net.weights[l], ws.grads[2 * l].data(), size, abs_sum,
                                            square_sum);
        }
        J = J + net.pen.template value<T>(abs_sum, square_sum);
    }
    return J;
}

}  // namespace steepest::model
