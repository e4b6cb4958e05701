// The BLAS steepest links: scipy-openblas32, the OpenBLAS build NumPy and
// SciPy ship, whose symbols carry a `scipy_` prefix. This is the one file
// that knows those names; kernels call steepest::blas::gemm, never cblas.
//
//   gemm: C = alpha * op(A) @ op(B) + beta * C   (row-major; op = none|trans)
//   gemv: y = alpha * op(A) @ x + beta * y
//         op(A) is m x k, op(B) is k x n, C is m x n; lda, ldb, ldc are the
//         row strides (in elements) of the matrices as stored.
//
// OpenBLAS indexes with 32-bit ints here: check sizes with fits() before a
// parallel region (gemm throws std::invalid_argument for larger ones).
// Threads: OpenBLAS has its own pthread pool, process-wide, independent of
// OpenMP's (mixing the two costs ~13x when libgomp spins; see STYLE.md).
// Twin: numpy.matmul; test: tests/test_blas.py (through _core._gemm).
#pragma once

#include <cblas.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#endif

#include "steepest/core/common.hpp"

namespace steepest::blas {

enum class op { none, trans };

// Whether n is a valid BLAS dimension or stride.
inline bool fits(index_t n) { return n >= 0 && n <= std::numeric_limits<blasint>::max(); }

namespace detail {

inline blasint to_blas_int(index_t n, const char* what) {
    if (!fits(n)) {
        throw std::invalid_argument(std::string("gemm: ") + what + " = " + std::to_string(n) +
                                    " does not fit the 32-bit BLAS index");
    }
    return static_cast<blasint>(n);
}

inline CBLAS_TRANSPOSE to_cblas(op t) { return t == op::trans ? CblasTrans : CblasNoTrans; }

}  // namespace detail

template <class T>
void gemm(op ta, op tb, index_t m, index_t n, index_t k, T alpha, const T* a, index_t lda,
          const T* b, index_t ldb, T beta, T* c, index_t ldc) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "steepest::blas::gemm is instantiated for float and double only");
    const blasint bm = detail::to_blas_int(m, "m"), bn = detail::to_blas_int(n, "n");
    const blasint bk = detail::to_blas_int(k, "k");
    if (m == 0 || n == 0) return;
    if (k == 0) {
        // An empty sum: C = beta * C (C = 0 when beta == 0, even over NaN), as
        // the BLAS defines it, without handing BLAS a zero leading dimension.
        for (index_t i = 0; i < m; ++i) {
            T* row = c + i * ldc;
            for (index_t j = 0; j < n; ++j) row[j] = beta == T(0) ? T(0) : beta * row[j];
        }
        return;
    }
    const blasint blda = detail::to_blas_int(lda, "lda"), bldb = detail::to_blas_int(ldb, "ldb");
    const blasint bldc = detail::to_blas_int(ldc, "ldc");
    if constexpr (std::is_same_v<T, float>) {
        scipy_cblas_sgemm(CblasRowMajor, detail::to_cblas(ta), detail::to_cblas(tb), bm, bn, bk,
                          alpha, a, blda, b, bldb, beta, c, bldc);
    } else {
        scipy_cblas_dgemm(CblasRowMajor, detail::to_cblas(ta), detail::to_cblas(tb), bm, bn, bk,
                          alpha, a, blda, b, bldb, beta, c, bldc);
    }
}

// y = alpha * op(A) @ x + beta * y, A stored m x n row-major (op(A) is m x n
// or, transposed, n x m). A GEMM with one output column packs its whole
// matrix operand first, which costs more than the product itself.
template <class T>
void gemv(op ta, index_t m, index_t n, T alpha, const T* a, index_t lda, const T* x, T beta, T* y) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "steepest::blas::gemv is instantiated for float and double only");
    const blasint bm = detail::to_blas_int(m, "m"), bn = detail::to_blas_int(n, "n");
    const index_t rows_out = ta == op::trans ? n : m;
    if (rows_out == 0) return;
    if (m == 0 || n == 0) {
        for (index_t i = 0; i < rows_out; ++i) y[i] = beta == T(0) ? T(0) : beta * y[i];
        return;
    }
    const blasint blda = detail::to_blas_int(lda, "lda");
    if constexpr (std::is_same_v<T, float>) {
        scipy_cblas_sgemv(CblasRowMajor, detail::to_cblas(ta), bm, bn, alpha, a, blda, x, 1, beta, y, 1);
    } else {
        scipy_cblas_dgemv(CblasRowMajor, detail::to_cblas(ta), bm, bn, alpha, a, blda, x, 1, beta, y, 1);
    }
}

// Threads of OpenBLAS's own pool (process-wide; n >= 1).
inline void set_blas_threads(int n) {
    if (n < 1) throw std::invalid_argument("set_blas_threads: n must be >= 1, got " + std::to_string(n));
    scipy_openblas_set_num_threads(n);
}
inline int blas_threads() { return scipy_openblas_get_num_threads(); }

// OpenBLAS's build configuration and the CPU kernel set it chose at load.
inline std::string blas_config() { return scipy_openblas_get_config(); }
inline std::string blas_corename() { return scipy_openblas_get_corename(); }

// Path of the BLAS library actually loaded ("" where the OS cannot say).
inline std::string blas_library_path() {
#if defined(__unix__) || defined(__APPLE__)
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&scipy_cblas_dgemm), &info) != 0 && info.dli_fname) {
        return info.dli_fname;
    }
#endif
    return "";
}

}  // namespace steepest::blas
