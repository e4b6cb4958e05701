// The common path of every optimizer binding: validated lists become typed
// segments, the GIL is released once, gradients are scanned for non-finite
// values if asked, then the chosen leaf runs over all segments.
// 16-bit params: segment.hpp.
#pragma once
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "array_checks.hpp"
#include "segment.hpp"
#include "steepest/core/parallel.hpp"
#include "steepest/kernel_table.hpp"
#include "steepest/rules/plan.hpp"
#include "step_args.hpp"
#include "step_scalars.hpp"

namespace steepest::bind {

// The plans of one dtype's segments: one shared by all, or one per segment
// (a rule keeping per-param scalars plans each param's step from its own).
template <class T>
struct plan_list {
    const step_plan<T>* first;
    bool per_segment;
    const step_plan<T>& operator[](std::size_t i) const { return first[per_segment ? i : 0]; }
};

// A two-pass rule's step over one dtype's segments (rules/plan.hpp); one
// plan for all (a two-pass rule keeps no per-param scalars).
template <class T>
bool two_pass_run(const std::vector<segment<T>>& segs, nonfinite_mode mode,
                  const step_plan<T>& plan, const std::vector<index_t>& sizes,
                  const ema_pass<T>& ema) {
    auto measure = [&](std::size_t i, index_t lo, index_t hi, double* out) {
        run_measure(plan, segs[i], lo, hi, out);
    };
    auto leaf = [&](std::size_t i, index_t lo, index_t hi, const void* c) {
        run_leaf(plan.leaf, segs[i], lo, hi, c, ema);
    };
    if (mode == nonfinite_mode::ignore) {
        return run_two_pass(plan, sizes, measure, leaf, no_check{});
    }
    auto check = [&segs](std::size_t i, index_t lo, index_t hi) {
        return grad_finite(segs[i], lo, hi);
    };
    return run_two_pass(plan, sizes, measure, leaf, check);
}

// Whether a serial step may store each array's update for its second pass
// (the stored-update variants): every array one measure block (it stays in
// L1/L2 between the passes, and the scratch array holds it), none 16-bit.
template <class T>
bool stores_update(const std::vector<segment<T>>& segs, const step_plan<T>& plan,
                   const std::vector<index_t>& sizes) {
    if (plan.stored_leaf == nullptr) return false;
    for (const segment<T>& s : segs) {
        if (s.size > measure_block || s.half_param != nullptr) return false;
    }
    return two_pass_serial(plan, sizes);
}

template <class T>
bool two_pass_segments(const std::vector<segment<T>>& segs, nonfinite_mode mode,
                       plan_list<T> plans, const ema_pass<T>& ema) {
    if (segs.empty()) return true;
    const step_plan<T>& plan = plans[0];
    std::vector<index_t> sizes;
    add_sizes(segs, sizes);
    if (!stores_update(segs, plan, sizes)) return two_pass_run(segs, mode, plan, sizes, ema);
    // one scratch array for all: on one thread, each array's second pass
    // reads its update before the next array's first pass writes there
    thread_local std::vector<T> scratch(static_cast<std::size_t>(measure_block));
    std::vector<segment<T>> stored(segs);
    for (segment<T>& s : stored) s.state[plan.stored_slot] = scratch.data();
    step_plan<T> sp = plan;
    sp.measure = plan.stored_measure;
    sp.leaf = plan.stored_leaf;
    return two_pass_run(stored, mode, sp, sizes, ema);
}

// Both dtypes' segments; with a check, every gradient is scanned before
// anything is written. False when the step was skipped.
inline bool run_two_pass_step(const prepared& prep, nonfinite_mode mode, plan_list<float> p32,
                              plan_list<double> p64, const ema_arg& ema) {
    if (mode != nonfinite_mode::ignore && !prep.f32.empty() && !prep.f64.empty()) {
        // a mixed list: every array checked before the first dtype is written
        const std::size_t none = prep.f32.size() + prep.f64.size();
        if (first_nonfinite(prep.f32, prep.f32_index, none) != none ||
            first_nonfinite(prep.f64, prep.f64_index, none) != none) {
            return false;
        }
    }
    return two_pass_segments(prep.f32, mode, p32, ema.pass<float>()) &&
           two_pass_segments(prep.f64, mode, p64, ema.pass<double>());
}

// Elements below which a step keeps the GIL (a 1e3-element step takes ~1 us).
constexpr index_t small_step = 4096;

// Runs one step over all segments (float ones first, then double ones, as one
// index space); `weight` sets the size above which threads are used. With
// `ema` on, every block's param average follows its update in the same pass.
// With a finiteness check,
// every gradient is scanned before any array is written, in the same
// parallel region. Returns false when the step was skipped.
inline bool run_step(const std::string& fn, const prepared& prep, nonfinite_mode mode,
                     plan_list<float> p32, plan_list<double> p64, double weight,
                     const ema_arg& ema = {}) {
    const std::size_t n32 = prep.f32.size();
    const std::size_t count = n32 + prep.f64.size();
    const ema_pass<float> e32 = ema.pass<float>();
    const ema_pass<double> e64 = ema.pass<double>();
    // the average adds two accesses per element to Adam's seven
    if (ema.on) weight += 0.3;
    auto update = [&](std::size_t i, index_t lo, index_t hi) {
        if (i < n32) {
            run_leaf(p32[i].leaf, prep.f32[i], lo, hi, p32[i].coeffs(), e32);
        } else {
            run_leaf(p64[i - n32].leaf, prep.f64[i - n32], lo, hi, p64[i - n32].coeffs(), e64);
        }
    };
    auto check = [&](std::size_t i, index_t lo, index_t hi) {
        return i < n32 ? grad_finite(prep.f32[i], lo, hi) : grad_finite(prep.f64[i - n32], lo, hi);
    };
    auto size_of = [&](std::size_t i) {
        return i < n32 ? prep.f32[i].size : prep.f64[i - n32].size;
    };
    bool finite = true;
    // a step this small keeps the GIL: releasing and taking it back costs
    // more than another Python thread could do meanwhile
    index_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += size_of(i);
    std::optional<py::gil_scoped_release> nogil;
    if (total >= small_step) nogil.emplace();
    const double check_weight = weight + 0.2;
    if (n32 > 0 ? p32[0].measure != nullptr : p64[0].measure != nullptr) {
        finite = run_two_pass_step(prep, mode, p32, p64, ema);
    } else if (always_serial(total, grain_for(mode == nonfinite_mode::ignore ? weight
                                                                              : check_weight))) {
        // what for_each_piece(_checked) does on one thread, without its
        // index of the pieces (a small step's cost is mostly such overhead)
        for (std::size_t i = 0; i < count && finite && mode != nonfinite_mode::ignore; ++i) {
            finite = size_of(i) == 0 || check(i, 0, size_of(i));
        }
        for (std::size_t i = 0; i < count && finite; ++i) {
            if (size_of(i) > 0) update(i, 0, size_of(i));
        }
    } else {
        std::vector<index_t> sizes;
        sizes.reserve(count);
        add_sizes(prep.f32, sizes);
        add_sizes(prep.f64, sizes);
        if (mode == nonfinite_mode::ignore) {
            for_each_piece(sizes, weight, update);
        } else {
            finite = for_each_piece_checked(sizes, check_weight, check, update);
        }
    }
    nogil.reset();
    if (finite) return true;
    if (mode == nonfinite_mode::skip) return false;
    const std::size_t none = prep.f32.size() + prep.f64.size();
    std::size_t bad = std::min(first_nonfinite(prep.f32, prep.f32_index, none),
                               first_nonfinite(prep.f64, prep.f64_index, none));
    std::string label = prep.grad_single ? prep.grad_name
                                         : prep.grad_name + "[" + std::to_string(bad) + "]";
    value_error(fn, label + " contains NaN or inf; nothing was updated (nonfinite='raise')");
}

// The same with one plan per dtype (a rule without per-param scalars); the
// plan of a dtype with no segments is not read.
inline bool run_step(const std::string& fn, const prepared& prep, nonfinite_mode mode,
                     const step_plan<float>& p32, const step_plan<double>& p64,
                     const ema_arg& ema = {}) {
    return run_step(fn, prep, mode, plan_list<float>{&p32, false}, plan_list<double>{&p64, false},
                    prep.f32.empty() ? p64.weight : p32.weight, ema);
}

}  // namespace steepest::bind
