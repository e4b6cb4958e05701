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

// D <- D * g'(z), from the stored activations A (n elements each).
template <class T>
void times_derivative(T* STEEPEST_RESTRICT d, const T* STEEPEST_RESTRICT a, index_t n,
                      activation g) {
    switch (g) {
        case activation::identity:
            break;
        case activation::relu:
#pragma omp simd
            for (index_t i = 0; i < n; ++i) d[i] = d[i] * (a[i] > T(0) ? T(1) : T(0));
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
