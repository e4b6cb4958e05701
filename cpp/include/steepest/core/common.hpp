// Shared basics for every kernel family: index type, inlining and restrict
// macros, an errno-free sqrt and abs, and the uniform "leaf" signature that
// lets one parallel driver run every update rule over a list of arrays.
#pragma once

#include <cstddef>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define STEEPEST_CPU_RELAX() __builtin_ia32_pause()
#else
#define STEEPEST_CPU_RELAX() ((void)0)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define STEEPEST_INLINE inline __attribute__((always_inline))
#define STEEPEST_RESTRICT __restrict__
#if defined(__x86_64__) || defined(__i386__)
// Not __builtin_prefetch: GCC 12 (-O1 and above) deleted the training loop's
// loops of them over a row's cache lines (and of _mm_prefetch), so that no
// row was prefetched; a volatile asm is kept.
#define STEEPEST_PREFETCH(p) \
    __asm__ volatile("prefetcht0 %0" : : "m"(*reinterpret_cast<const char*>(p)))
#else
#define STEEPEST_PREFETCH(p) __builtin_prefetch(p)
#endif
#else
#define STEEPEST_INLINE inline
#define STEEPEST_RESTRICT
#define STEEPEST_PREFETCH(p) ((void)(p))
#endif

namespace steepest {

using index_t = std::ptrdiff_t;

// The builtins avoid std::sqrt's external-linkage inline copy, which the
// linker could merge across the per-ISA translation units.
STEEPEST_INLINE float sqrt_(float x) { return __builtin_sqrtf(x); }
STEEPEST_INLINE double sqrt_(double x) { return __builtin_sqrt(x); }
STEEPEST_INLINE float abs_(float x) { return __builtin_fabsf(x); }
STEEPEST_INLINE double abs_(double x) { return __builtin_fabs(x); }

// NaN-propagating maximum with the semantics of numpy.maximum.
template <class T>
STEEPEST_INLINE T nan_max(T a, T b) {
    return (a > b || a != a) ? a : b;
}

// An ISA- and variant-specific update over `n` elements: s[k] is the rule's
// state array k (null where the options leave it unused; the rule fixes the
// count) and `coeffs` points to the rule's coefficients for the element type.
template <class T>
using leaf_fn = void (*)(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g, T* const* s,
                         index_t n, const void* coeffs);

// The first pass of a two-pass rule (rules/rule.hpp): a leaf that also writes
// the rule's sums over its `n` elements into out[0..sums).
template <class T>
using measure_fn = void (*)(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g, T* const* s,
                            index_t n, const void* coeffs, double* out);

}  // namespace steepest
