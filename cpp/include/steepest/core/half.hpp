// The 16-bit storage types of params and grads (float16, bfloat16) and their
// conversions to and from float32, bit for bit those of NumPy's float16 casts
// and ml_dtypes' bfloat16 casts (the reference's `astype`): narrowing rounds
// to nearest, ties to even; overflow gives inf. NaN stays NaN: float16 keeps
// the top payload bits without quieting (NumPy's software cast; a payload
// that would vanish becomes 1), bfloat16 gives the quiet NaN of the sign
// (ml_dtypes). Widening is exact (float16 NaN payloads kept, not quieted).
// Where the ISA has F16C the float16 conversions use it and redo the few NaN
// lanes, whose payload F16C would quiet, in scalar code.
// Compiled once per ISA (optim_kernels.cpp): everything is always inline.
// Tests: tests/optim/test_storage.py (all 65536 patterns, every ISA).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__F16C__)
#include <immintrin.h>
#endif

#include "steepest/core/common.hpp"

namespace steepest {

// The storage type of a param and its grad (state is float32 for both).
enum class storage { f16 = 0, bf16 = 1 };

STEEPEST_INLINE std::uint32_t bits_of(float x) {
    std::uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}
STEEPEST_INLINE float float_of(std::uint32_t u) {
    float x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

STEEPEST_INLINE float f16_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    const std::uint32_t e = (h >> 10) & 0x1fu;
    const std::uint32_t m = h & 0x3ffu;
    if (e == 0x1f) return float_of(sign | 0x7f800000u | (m << 13));
    if (e != 0) return float_of(sign | ((e + 112u) << 23) | (m << 13));
    // zero or subnormal: m * 2^-24, exact in float
    return float_of(sign | bits_of(float(m) * 0x1p-24f));
}

STEEPEST_INLINE std::uint16_t float_to_f16(float x) {
    const std::uint32_t u = bits_of(x);
    const auto sign = std::uint16_t((u >> 16) & 0x8000u);
    const std::uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) {
        const std::uint32_t payload = (a >> 13) & 0x3ffu;
        return std::uint16_t(sign | 0x7c00u | (payload != 0 ? payload : 1u));
    }
    if (a >= 0x47800000u) return std::uint16_t(sign | 0x7c00u);  // >= 65536 (and inf)
    if (a >= 0x38800000u) {
        // normal in float16 (2^-14 and up): rebias, round the 13 dropped bits;
        // a carry out of the mantissa bumps the exponent, up to inf
        const std::uint32_t r = a - (112u << 23);
        return std::uint16_t(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
    }
    // subnormal or zero in float16: round (1.m * 2^(e-127)) / 2^-24
    const std::uint32_t e = a >> 23;
    if (e < 102) return sign;  // below 2^-25: rounds to zero
    const std::uint32_t m = (a & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126u - e;  // 14 .. 24
    std::uint32_t q = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    q += (rem > half || (rem == half && (q & 1u))) ? 1u : 0u;
    return std::uint16_t(sign | q);
}

STEEPEST_INLINE float bf16_to_float(std::uint16_t h) { return float_of(std::uint32_t(h) << 16); }

STEEPEST_INLINE std::uint16_t float_to_bf16(float x) {
    const std::uint32_t u = bits_of(x);
    const std::uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const std::uint32_t nan = ((u >> 16) & 0x8000u) | 0x7fc0u;
    return std::uint16_t((u & 0x7fffffffu) > 0x7f800000u ? nan : rounded);
}

STEEPEST_INLINE void widen_f16_chunk(const std::uint16_t* STEEPEST_RESTRICT h,
                                     float* STEEPEST_RESTRICT out, index_t n) {
    index_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
        const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i));
        const __m256 y = _mm256_cvtph_ps(x);
        _mm256_storeu_ps(out + i, y);
        if (_mm256_movemask_ps(_mm256_cmp_ps(y, y, _CMP_UNORD_Q)) != 0) {
            for (index_t j = i; j < i + 8; ++j) out[j] = f16_to_float(h[j]);
        }
    }
#endif
    for (; i < n; ++i) out[i] = f16_to_float(h[i]);
}

STEEPEST_INLINE void narrow_f16_chunk(const float* STEEPEST_RESTRICT x,
                                      std::uint16_t* STEEPEST_RESTRICT out, index_t n) {
    index_t i = 0;
#if defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
        const __m256 y = _mm256_loadu_ps(x + i);
        const __m128i r = _mm256_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), r);
        if (_mm256_movemask_ps(_mm256_cmp_ps(y, y, _CMP_UNORD_Q)) != 0) {
            for (index_t j = i; j < i + 8; ++j) out[j] = float_to_f16(x[j]);
        }
    }
#endif
    for (; i < n; ++i) out[i] = float_to_f16(x[i]);
}

STEEPEST_INLINE void widen_bf16_chunk(const std::uint16_t* STEEPEST_RESTRICT h,
                                      float* STEEPEST_RESTRICT out, index_t n) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) out[i] = bf16_to_float(h[i]);
}

STEEPEST_INLINE void narrow_bf16_chunk(const float* STEEPEST_RESTRICT x,
                                       std::uint16_t* STEEPEST_RESTRICT out, index_t n) {
#pragma omp simd
    for (index_t i = 0; i < n; ++i) out[i] = float_to_bf16(x[i]);
}

// A 16-bit array's values are all finite (exponent not all ones).
STEEPEST_INLINE bool half_all_finite(const std::uint16_t* h, index_t n, storage st) {
    const std::uint16_t e = st == storage::f16 ? 0x7c00 : 0x7f80;
    std::uint16_t bad = 0;
#pragma omp simd reduction(| : bad)
    for (index_t i = 0; i < n; ++i) bad |= std::uint16_t((h[i] & e) == e);
    return bad == 0;
}

}  // namespace steepest
