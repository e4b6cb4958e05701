// One array of a step's list with its grad and state, and the leaf run over
// a piece of it. A float16 or bfloat16 param (with its grad of the same dtype
// and float32 state) is a float segment whose param and grad are 16-bit: its
// pieces are widened into float32 tiles, the rule's float leaf runs on them
// with the float32 state, and the param tile is rounded back (core/half.hpp).
// Rule independent; twin: the reference's astype round trip
// (steepest/reference/functional/_common.py).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "steepest/core/common.hpp"
#include "steepest/core/half.hpp"
#include "steepest/kernel_table.hpp"
#include "steepest/rules/plan.hpp"

namespace steepest::bind {

// One array of a list argument with its companions; unused state pointers
// are null. A 16-bit param (T float only) has half_param and half_grad set
// in place of param and grad.
template <class T>
struct segment {
    T* param;
    const T* grad;
    T* state[max_state_slots];
    index_t size;
    T* ema = nullptr;  // the params' moving average, fused into the step, or none
    std::uint16_t* half_param = nullptr;
    const std::uint16_t* half_grad = nullptr;
    storage store = storage::f16;
};

template <class T>
void offset_state(const segment<T>& s, index_t lo, T** state) {
    for (std::size_t k = 0; k < max_state_slots; ++k) {
        state[k] = s.state[k] ? s.state[k] + lo : s.state[k];
    }
}

// Elements of a 16-bit param and grad widened per leaf call: small enough for
// the stack and L1, large enough that the call costs nothing.
constexpr index_t half_tile = 1024;

// op(tile, b, n) on float32 copies of elements [b, b + n) of the 16-bit
// array `in`, tile by tile over [lo, hi), each tile then rounded into `out`
// (null: nothing written back): the reference's astype round trip.
template <class Op>
void on_half_tiles(const std::uint16_t* in, std::uint16_t* out, storage st, index_t lo,
                   index_t hi, Op&& op) {
    const kernel_table<float>& k = kernels<float>();
    const auto i = static_cast<std::size_t>(st);
    alignas(64) float tile[half_tile];
    for (index_t b = lo; b < hi; b += half_tile) {
        const index_t n = std::min(half_tile, hi - b);
        k.widen[i](in + b, tile, n);
        op(tile, b, n);
        if (out != nullptr) k.narrow[i](tile, out + b, n);
    }
}

// What on_widened runs after a tile by default: nothing.
struct after_nothing {
    void operator()(index_t, index_t) const {}
};

// f(p, g, state, n) on float32 copies of elements [lo, hi) of a 16-bit
// segment (at most `tile` at a time), the param copy rounded back after;
// then after(a, n) on the tile's elements [a, a + n).
template <class F, class After = after_nothing>
void on_widened(const segment<float>& s, index_t lo, index_t hi, float* pt, float* gt,
                index_t tile, F&& f, After&& after = {}) {
    const kernel_table<float>& k = kernels<float>();
    const auto st = static_cast<std::size_t>(s.store);
    for (index_t a = lo; a < hi; a += tile) {
        const index_t n = std::min(tile, hi - a);
        k.widen[st](s.half_param + a, pt, n);
        k.widen[st](s.half_grad + a, gt, n);
        float* state[max_state_slots];
        offset_state(s, a, state);
        f(pt, gt, state, n);
        k.narrow[st](pt, s.half_param + a, n);
        after(a, n);
    }
}

// The leaf over elements [lo, hi), then, with `ema` on, the param average of
// the segment (rules/plan.hpp leaf_then_ema). A 16-bit param's float32
// average follows each tile once it is rounded: the average of the params
// the user holds, as a separate ema_update pass reads them.
template <class T>
void run_leaf(leaf_fn<T> leaf, const segment<T>& s, index_t lo, index_t hi, const void* c,
              const ema_pass<T>& ema = {}) {
    if constexpr (std::is_same_v<T, float>) {
        if (s.half_param != nullptr) {
            alignas(64) float pt[half_tile];
            alignas(64) float gt[half_tile];
            const bool average = s.ema != nullptr && ema.on;
            const auto ema_kernel = kernels<float>().ema;
            on_widened(s, lo, hi, pt, gt, half_tile, [&](float* p, float* g, float** st, index_t n) {
                leaf(p, g, st, n, c);
            }, [&](index_t a, index_t n) {
                if (!average) return;
                on_half_tiles(s.half_param, nullptr, s.store, a, a + n,
                              [&](const float* p, index_t b, index_t m) {
                                  ema_kernel(s.ema + b, p, m, ema.decay, ema.weight);
                              });
            });
            return;
        }
    }
    T* state[max_state_slots];
    offset_state(s, lo, state);
    T* e = s.ema ? s.ema + lo : s.ema;
    leaf_then_ema(leaf, s.param + lo, s.grad + lo, state, hi - lo, c, e, ema);
}

// Elements [lo, hi) of the segment's gradient are all finite.
template <class T>
bool grad_finite(const segment<T>& s, index_t lo, index_t hi) {
    if (s.half_grad != nullptr) return half_all_finite(s.half_grad + lo, hi - lo, s.store);
    return kernels<T>().all_finite(s.grad + lo, hi - lo);
}

// A two-pass rule's first pass over elements [lo, hi) (one block) of a segment.
template <class T>
void run_measure(const step_plan<T>& plan, const segment<T>& s, index_t lo, index_t hi,
                 double* out) {
    if constexpr (std::is_same_v<T, float>) {
        if (s.half_param != nullptr) {
            // the whole block in one call, as the sums' association needs
            thread_local std::vector<float> tiles(2 * measure_block);
            float* pt = tiles.data();
            on_widened(s, lo, hi, pt, pt + measure_block, measure_block,
                       [&](float* p, float* g, float** st, index_t n) {
                           plan.measure(p, g, st, n, plan.coeffs(), out);
                       });
            return;
        }
    }
    T* state[max_state_slots];
    offset_state(s, lo, state);
    plan.measure(s.param + lo, s.grad + lo, state, hi - lo, plan.coeffs(), out);
}

}  // namespace steepest::bind
