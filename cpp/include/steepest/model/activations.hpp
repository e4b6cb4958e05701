// Hidden-layer activations g, applied with the bias in one pass, and the
// backward factor g'(z) written from the stored output a = g(z):
//   identity  a = z                  g' = 1
//   relu      a = max(z, 0)          g' = 1 if a > 0 else 0   (relu'(0) = 0)
//   tanh      a = tanh(z)            g' = 1 - a*a
//   sigmoid   a = 1 / (1 + e) if z >= 0 else e / (1 + e),  e = exp(-|z|)
//                                    g' = a * (1 - a)
// Same operations in the same order as the reference, in the element type T.
// Twin: steepest.reference.models._activations; tests: tests/models/test_native_parity.py.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "steepest/core/common.hpp"

namespace steepest::model {

enum class activation { identity, relu, tanh, sigmoid };

template <class T>
STEEPEST_INLINE T sigmoid(T z) {
    T e = std::exp(-std::fabs(z));
    T one_plus_e = T(1) + e;
    return z >= T(0) ? T(1) / one_plus_e : e / one_plus_e;
}

// Z (rows x cols, row-major) <- Z + b (per column), then g for hidden layers.
template <class T>
void add_bias_activate(T* STEEPEST_RESTRICT z, const T* STEEPEST_RESTRICT b, index_t rows,
                       index_t cols, activation g) {
    for (index_t i = 0; i < rows; ++i) {
        T* row = z + i * cols;
        switch (g) {
            case activation::identity:
#pragma omp simd
                for (index_t j = 0; j < cols; ++j) row[j] = row[j] + b[j];
                break;
            case activation::relu:
#pragma omp simd
                for (index_t j = 0; j < cols; ++j) row[j] = nan_max(row[j] + b[j], T(0));
                break;
            case activation::tanh:
                for (index_t j = 0; j < cols; ++j) row[j] = std::tanh(row[j] + b[j]);
                break;
            case activation::sigmoid:
                for (index_t j = 0; j < cols; ++j) row[j] = sigmoid(row[j] + b[j]);
                break;
        }
    }
}

// D <- D * (A > 0 ? 1 : 0), the factor chosen on A's bits: 0 < bits <= those
// of +inf is A > 0 (NaN and -0 are not). Written with a float comparison,
// GCC (trapping math) kept a compare and branch per element, unvectorised:
// a fifth of an MLP epoch. The multiply stays, so NaN and inf in D still
// propagate as in the reference. The bit test is unsigned v = bits - 1 < top,
// spelled with subtractions, shifts and masks only: the baseline ISA (SSE2)
// has those for 64-bit lanes but no 64-bit compare, which left float64
// scalar with a branch (12 % of a float64 epoch).
template <class T>
void relu_derivative(T* STEEPEST_RESTRICT d, const T* STEEPEST_RESTRICT a, index_t n) {
    using bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    constexpr int sign = 8 * sizeof(T) - 1;
    const T inf = std::numeric_limits<T>::infinity(), one = T(1);
    bits top, one_bits;
    std::memcpy(&top, &inf, sizeof(T));
    std::memcpy(&one_bits, &one, sizeof(T));
#pragma omp simd
    for (index_t i = 0; i < n; ++i) {
        bits b;
        std::memcpy(&b, a + i, sizeof(T));
        const bits v = b - 1;  // +0 wraps to the top of the range: not kept
        // v < top: v below 2^sign (its top bit clear) and v - top wrapping below zero
        const bits below = ~(v >> sign) & ((v - top) >> sign) & bits(1);
        const bits keep_bits = (bits(0) - below) & one_bits;
        T keep;
        std::memcpy(&keep, &keep_bits, sizeof(T));
        d[i] = d[i] * keep;
    }
}

// D <- D * g'(z), from the stored activations A (n elements each).
template <class T>
void times_derivative(T* STEEPEST_RESTRICT d, const T* STEEPEST_RESTRICT a, index_t n,
                      activation g) {
    switch (g) {
        case activation::identity:
            break;
        case activation::relu:
            relu_derivative(d, a, n);
            break;
        case activation::tanh:
#pragma omp simd
            for (index_t i = 0; i < n; ++i) d[i] = d[i] * (T(1) - a[i] * a[i]);
            break;
        case activation::sigmoid:
#pragma omp simd
            for (index_t i = 0; i < n; ++i) d[i] = d[i] * (a[i] * (T(1) - a[i]));
            break;
    }
}

}  // namespace steepest::model
