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

namespace steepest::bind {

// The moving average a step carries (step_with_ema), off by default.
struct ema_arg {
    bool on = false;
    double decay = 0;

    template <class T>
    ema_pass<T> pass() const {
        return on ? ema_pass<T>::make(decay) : ema_pass<T>{};
    }
};

// A list argument and the segment slot it fills: -3 the params' moving
// average, -2 param, -1 grad, k >= 0 state k.
// `use` is false for optional state the chosen options do not need (it is
// then ignored, whatever was passed); everything in use must be arrays.
struct slot_arg {
    const char* name;
    py::handle obj;
    int slot;
    bool use = true;
};

struct prepared {
    std::vector<segment<float>> f32;
    std::vector<segment<double>> f64;
    std::vector<std::size_t> f32_index, f64_index;  // position in the user's list
    std::string grad_name;
    bool grad_single = false;
};

template <class T>
segment<T> make_segment(const std::vector<list_arg>& args, const std::vector<int>& slots,
                        std::size_t i, elem kind) {
    segment<T> s{};
    const bool half = kind == elem::f16 || kind == elem::bf16;
    if (half) s.store = kind == elem::f16 ? storage::f16 : storage::bf16;
    for (std::size_t k = 0; k < args.size(); ++k) {
        void* ptr = const_cast<void*>(args[k].items[i].data());
        if (slots[k] == -3) {
            s.ema = static_cast<T*>(ptr);
        } else if (slots[k] == -2) {
            if (half) {
                s.half_param = static_cast<std::uint16_t*>(ptr);
            } else {
                s.param = static_cast<T*>(ptr);
            }
            s.size = static_cast<index_t>(args[k].items[i].size());
        } else if (slots[k] == -1) {
            if (half) {
                s.half_grad = static_cast<const std::uint16_t*>(ptr);
            } else {
                s.grad = static_cast<const T*>(ptr);
            }
        } else {
            s.state[static_cast<std::size_t>(slots[k])] = static_cast<T*>(ptr);
        }
    }
    return s;
}

inline prepared prepare(const std::string& fn, const std::vector<slot_arg>& given) {
    std::vector<list_arg> args;
    std::vector<int> slots;
    args.reserve(given.size());
    slots.reserve(given.size());
    for (const slot_arg& a : given) {
        if (!a.use) continue;
        args.push_back(list_arg{a.name, a.obj, a.slot != -1});
        slots.push_back(a.slot);
    }
    // a 16-bit param's moving average (slot -3, after the grad) is float32 state
    std::vector<elem> kinds = check_lists(fn, args, true);
    prepared out;
    out.grad_name = args[1].name;
    out.grad_single = args[1].single;
    // one list of each dtype is the common case
    const std::size_t n64 = static_cast<std::size_t>(
        std::count(kinds.begin(), kinds.end(), elem::f64));
    out.f32.reserve(kinds.size() - n64);
    out.f32_index.reserve(kinds.size() - n64);
    out.f64.reserve(n64);
    out.f64_index.reserve(n64);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] != elem::f64) {
            out.f32.push_back(make_segment<float>(args, slots, i, kinds[i]));
            out.f32_index.push_back(i);
        } else {
            out.f64.push_back(make_segment<double>(args, slots, i, kinds[i]));
            out.f64_index.push_back(i);
        }
    }
    return out;
}

template <class T>
void add_sizes(const std::vector<segment<T>>& segs, std::vector<index_t>& sizes) {
    for (const segment<T>& s : segs) sizes.push_back(s.size);
}

// List position of the first non-finite gradient of this dtype, or `none`.
template <class T>
std::size_t first_nonfinite(const std::vector<segment<T>>& segs,
                            const std::vector<std::size_t>& index, std::size_t none) {
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (!grad_finite(segs[i], 0, segs[i].size)) return index[i];
    }
    return none;
}

// A per-param scalar of a rule's state (rules::scalar_cell): a 0-d float32
// or float64 array per param, as many as params, written after the step.
struct scalar_arg {
    inline_list<py::array> items;
    inline_list<char> single;  // stored as float32

    rules::scalar_cell cell(std::size_t i) const {
        const void* d = items[i].data();
        return {single[i] ? double(*static_cast<const float*>(d)) : *static_cast<const double*>(d),
                single[i] != 0};
    }

    void store(std::size_t i, const rules::scalar_cell& c) const {
        void* d = const_cast<void*>(items[i].data());
        if (c.single) {
            *static_cast<float*>(d) = static_cast<float>(c.value);
        } else {
            *static_cast<double*>(d) = c.value;
        }
    }
};

inline scalar_arg check_scalars(const std::string& fn, const char* name, py::handle obj,
                                std::size_t count) {
    list_arg a{name, obj, true};
    unpack(fn, a);
    if (a.items.size() != count) {
        value_error(fn, std::string(name) + " has " + std::to_string(a.items.size()) +
                            " arrays but param has " + std::to_string(count));
    }
    inline_list<char> single;
    single.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const py::array& x = a.items[i];
        elem kind;
        if (!builtin_kind(x, kind)) kind = float_kind(fn, a.label(i), x);
        single.push_back(static_cast<char>(kind == elem::f32));
        if (x.ndim() != 0) {
            value_error(fn, a.label(i) + " has shape " + shape_str(x) + "; expected a 0-d array");
        }
        const int flags = x.flags();
        if (!(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
            value_error(fn, a.label(i) + " is not aligned");
        }
        if (!(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_)) {
            value_error(fn, a.label(i) + " is read-only");
        }
    }
    return {std::move(a.items), std::move(single)};
}

// ValueError if a per-param scalar shares memory with an array in use or
// another scalar: the step writes the scalars after the arrays. Ranges are
// swept in address order (ties in argument order); mirrors
// steepest._checks.check_scalar_overlap message for message.
inline void check_scalar_overlap(const std::string& fn, const std::vector<slot_arg>& given,
                                 const std::vector<slot_arg>& scalars) {
    struct range {
        std::uintptr_t lo, hi;
        std::size_t order, index;
        bool scalar;
    };
    std::vector<list_arg> lists;
    std::vector<range> ranges;
    auto add = [&](const slot_arg& s, bool scalar) {
        if (!s.use) return;
        lists.emplace_back(s.name, s.obj, false);
        list_arg& a = lists.back();
        unpack(fn, a);
        for (std::size_t i = 0; i < a.items.size(); ++i) {
            const py::array& x = a.items[i];
            if (x.nbytes() == 0) continue;
            const auto lo = reinterpret_cast<std::uintptr_t>(x.data());
            ranges.push_back({lo, lo + static_cast<std::uintptr_t>(x.nbytes()),
                              lists.size() - 1, i, scalar});
        }
    };
    for (const slot_arg& s : given) add(s, false);
    for (const slot_arg& s : scalars) add(s, true);
    std::sort(ranges.begin(), ranges.end(), [](const range& a, const range& b) {
        return a.lo != b.lo ? a.lo < b.lo : a.order != b.order ? a.order < b.order
                                                               : a.index < b.index;
    });
    const range none{0, 0, 0, 0, false};
    const range* top = &none;
    const range* top_scalar = &none;
    for (const range& r : ranges) {
        const range* holder = r.scalar ? top : top_scalar;
        if (r.lo < holder->hi) {
            value_error(fn, lists[r.order].label(r.index) + " overlaps " +
                                lists[holder->order].label(holder->index) + " in memory");
        }
        if (r.hi > top->hi) top = &r;
        if (r.scalar && r.hi > top_scalar->hi) top_scalar = &r;
    }
}

// Whether no scalar shares memory with an array in use or another scalar,
// decided from the prepared segments (no second look at the lists): false
// also when there are too many to compare pairwise, and the caller then
// runs check_scalar_overlap, which finds the pair to name.
inline bool scalars_clear(const prepared& prep, const std::vector<scalar_arg>& scalars) {
    struct span {
        std::uintptr_t lo, hi;
    };
    constexpr std::size_t most = 64;
    std::array<span, most> arrays, cells;
    std::size_t na = 0, nc = 0;
    auto add = [](std::array<span, most>& to, std::size_t& n, const void* p, std::size_t bytes) {
        if (p == nullptr || bytes == 0) return true;
        if (n == most) return false;
        const auto lo = reinterpret_cast<std::uintptr_t>(p);
        to[n++] = {lo, lo + bytes};
        return true;
    };
    auto add_segments = [&](const auto& segs) {
        for (const auto& sg : segs) {
            using T = std::remove_cv_t<std::remove_pointer_t<decltype(sg.param)>>;
            const auto n = static_cast<std::size_t>(sg.size);
            const std::size_t wide = n * sizeof(T), half = n * 2;
            bool ok = add(arrays, na, sg.param, wide) && add(arrays, na, sg.grad, wide) &&
                      add(arrays, na, sg.half_param, half) &&
                      add(arrays, na, sg.half_grad, half) && add(arrays, na, sg.ema, wide);
            for (std::size_t k = 0; ok && k < max_state_slots; ++k) {
                ok = add(arrays, na, sg.state[k], wide);
            }
            if (!ok) return false;
        }
        return true;
    };
    if (!add_segments(prep.f32) || !add_segments(prep.f64)) return false;
    for (const scalar_arg& sc : scalars) {
        for (std::size_t i = 0; i < sc.items.size(); ++i) {
            const py::array& x = sc.items[i];
            if (!add(cells, nc, x.data(), static_cast<std::size_t>(x.nbytes()))) return false;
        }
    }
    auto meet = [](const span& a, const span& b) { return a.lo < b.hi && b.lo < a.hi; };
    for (std::size_t c = 0; c < nc; ++c) {
        for (std::size_t a = 0; a < na; ++a) {
            if (meet(cells[c], arrays[a])) return false;
        }
        for (std::size_t d = c + 1; d < nc; ++d) {
            if (meet(cells[c], cells[d])) return false;
        }
    }
    return true;
}

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
