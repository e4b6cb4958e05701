// A batch's rows for the forward pass (train/loop.hpp): read in place when
// consecutive in X, else gathered (with prefetches) into the workspace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "steepest/model/dense.hpp"
#include "steepest/train/state.hpp"

namespace steepest::train {

namespace detail {

// The rows [r0, r1) of the batch `rows`, in place or gathered into ws.
template <class T>
struct batch_rows {
    const T* a0;
    const std::int64_t* labels;
    const T* targets;
    const T* weights;  // null without sample weights
    model::csr_batch<T> csr{};  // the rows as CSR when X is (a0 then null)
};

// Asks for rows before they are needed: with shuffled rows each one is a
// cache miss, which would otherwise dominate small batches.
template <class T>
void prefetch_rows(const T* X, const std::int64_t* rows, index_t b, index_t d) {
    const index_t line = 64 / static_cast<index_t>(sizeof(T));
    for (index_t i = 0; i < b; ++i) {
        const T* row = X + rows[i] * d;
        for (index_t j = 0; j < d; j += line) STEEPEST_PREFETCH(row + j);
    }
}

// The same for the rows' labels or targets (an 800 KB label array of 100k
// samples does not stay in L2 either).
template <class T>
void prefetch_targets(const data<T>& in, const std::int64_t* rows, index_t b, index_t k) {
    for (index_t i = 0; i < b; ++i) {
        if (in.labels) {
            STEEPEST_PREFETCH(in.labels + rows[i]);
        } else {
            STEEPEST_PREFETCH(in.targets + rows[i] * k);
        }
    }
}

inline bool consecutive(const std::int64_t* rows, index_t b) {
    for (index_t i = 1; i < b; ++i) {
        if (rows[i] != rows[0] + i) return false;
    }
    return true;
}

template <class T>
batch_rows<T> gather(const data<T>& in, model::workspace<T>& ws, const std::int64_t* rows,
                     index_t b, index_t d, index_t k) {
    batch_rows<T> out{in.X ? in.X + rows[0] * d : nullptr,
                      in.labels ? in.labels + rows[0] : nullptr,
                      in.targets ? in.targets + rows[0] * k : nullptr,
                      in.weights ? in.weights + rows[0] : nullptr};
    if (in.csr.on()) {  // consecutive rows: a window of the matrix, read in place
        out.csr = {in.csr.val + in.csr.ptr[rows[0]], in.csr.ind + in.csr.ptr[rows[0]],
                   in.csr.ptr + rows[0]};
    }
    if (b <= 1 || consecutive(rows, b)) return out;
    if (in.weights) {
        for (index_t i = 0; i < b; ++i) ws.wb[static_cast<std::size_t>(i)] = in.weights[rows[i]];
        out.weights = ws.wb.data();
    }
    if (in.csr.on()) {
        out.csr = model::gather_csr(in.csr, rows, b, ws.sv, ws.si, ws.sp);
    } else {
        const auto row_bytes = sizeof(T) * static_cast<std::size_t>(d);
        constexpr index_t ahead = 4;  // rows in flight: shuffled rows are cache misses
        prefetch_rows(in.X, rows, std::min(ahead, b), d);
        for (index_t i = 0; i < b; ++i) {
            if (i + ahead < b) prefetch_rows(in.X, rows + i + ahead, 1, d);
            std::memcpy(ws.xb.data() + i * d, in.X + rows[i] * d, row_bytes);
        }
        out.a0 = ws.xb.data();
    }
    if (in.labels) {
        for (index_t i = 0; i < b; ++i) ws.lb[static_cast<std::size_t>(i)] = in.labels[rows[i]];
        out.labels = ws.lb.data();
    } else {
        const auto target_bytes = sizeof(T) * static_cast<std::size_t>(k);
        for (index_t i = 0; i < b; ++i)
            std::memcpy(ws.yb.data() + i * k, in.targets + rows[i] * k, target_bytes);
        out.targets = ws.yb.data();
    }
    return out;
}

}  // namespace detail

}  // namespace steepest::train
