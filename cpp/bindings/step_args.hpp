// A step's list arguments made typed segments (prepare) and what a step
// carries beside them: the moving average, the sizes, the finiteness scan
// (step_driver.hpp runs the step).
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

}  // namespace steepest::bind
