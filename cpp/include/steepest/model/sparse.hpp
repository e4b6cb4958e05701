// The first layer of a network on CSR input (scipy.sparse X): the two
// products that touch X, at O(nonzeros x width) instead of O(d x width) per
// batch of rows, without densifying the rows:
//   forward   Z (n x out) = X_b @ W        z_i = sum_e val_e * W[ind_e, :]
//   backward  G (d x out) = X_b^T @ D      G = 0, then G[ind_e, :] += val_e * D_i
// The zeroing of G is O(d x out), as is the optimizer's dense step that
// follows (every weight moves under momentum and adaptive rules, so results
// equal those of the densified X up to the order of the sums).
// Explicit zeros, empty rows and unsorted or repeated column indices need no
// special case: a repeated column adds up, as in the dense row it stands for.
// Twin: X @ W and X.T @ D on a scipy CSR matrix in steepest.nn (_dense.py,
// mlp.py); tests: tests/models/test_sparse_input.py.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "steepest/core/common.hpp"

namespace steepest::model {

// A batch of CSR rows: row i's entries are val/ind[ptr[i] - ptr[0] ..
// ptr[i + 1] - ptr[0]) (ptr may point into the whole matrix's indptr). ptr
// null: the input is dense.
template <class T>
struct csr_batch {
    const T* val = nullptr;
    const std::int32_t* ind = nullptr;
    const std::int64_t* ptr = nullptr;

    bool on() const { return ptr != nullptr; }
};

// Z (n x out, row-major) = X_b @ W (W: d x out, row-major).
template <class T>
void csr_times(const csr_batch<T>& x, index_t n, const T* STEEPEST_RESTRICT w,
               T* STEEPEST_RESTRICT z, index_t out) {
    const std::int64_t base = x.ptr[0];
    for (index_t i = 0; i < n; ++i) {
        T* STEEPEST_RESTRICT zi = z + i * out;
        std::fill(zi, zi + out, T(0));
        for (std::int64_t e = x.ptr[i] - base; e < x.ptr[i + 1] - base; ++e) {
            const T v = x.val[e];
            const T* STEEPEST_RESTRICT row = w + static_cast<index_t>(x.ind[e]) * out;
#pragma omp simd
            for (index_t j = 0; j < out; ++j) zi[j] = zi[j] + v * row[j];
        }
    }
}

// G (d x out) = X_b^T @ D (D: n x out, row-major).
template <class T>
void csr_transpose_times(const csr_batch<T>& x, index_t n, const T* STEEPEST_RESTRICT dz,
                         T* STEEPEST_RESTRICT g, index_t d, index_t out) {
    std::fill(g, g + d * out, T(0));
    const std::int64_t base = x.ptr[0];
    for (index_t i = 0; i < n; ++i) {
        const T* STEEPEST_RESTRICT di = dz + i * out;
        for (std::int64_t e = x.ptr[i] - base; e < x.ptr[i + 1] - base; ++e) {
            const T v = x.val[e];
            T* STEEPEST_RESTRICT row = g + static_cast<index_t>(x.ind[e]) * out;
#pragma omp simd
            for (index_t j = 0; j < out; ++j) row[j] = row[j] + v * di[j];
        }
    }
}

// The rows `rows` of x (b of them, in that order) copied into val / ind / ptr
// (grown as needed: O(their nonzeros)); returns them as a batch.
template <class T>
csr_batch<T> gather_csr(const csr_batch<T>& x, const std::int64_t* rows, index_t b,
                        std::vector<T>& val, std::vector<std::int32_t>& ind,
                        std::vector<std::int64_t>& ptr) {
    std::int64_t nnz = 0;
    for (index_t i = 0; i < b; ++i) nnz += x.ptr[rows[i] + 1] - x.ptr[rows[i]];
    if (val.size() < static_cast<std::size_t>(nnz)) {
        val.resize(static_cast<std::size_t>(nnz));
        ind.resize(static_cast<std::size_t>(nnz));
    }
    ptr.resize(static_cast<std::size_t>(b) + 1);
    std::int64_t at = 0;
    ptr[0] = 0;
    for (index_t i = 0; i < b; ++i) {
        const std::int64_t lo = x.ptr[rows[i]], m = x.ptr[rows[i] + 1] - lo;
        std::copy(x.val + lo, x.val + lo + m, val.data() + at);
        std::copy(x.ind + lo, x.ind + lo + m, ind.data() + at);
        at += m;
        ptr[static_cast<std::size_t>(i) + 1] = at;
    }
    return {val.data(), ind.data(), ptr.data()};
}

}  // namespace steepest::model
