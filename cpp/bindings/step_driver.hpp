// The common path of every optimizer binding: validated lists become typed
// segments, the GIL is released once, gradients are scanned for non-finite
// values if asked, then the chosen leaf runs over all segments.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "steepest/kernel_table.hpp"
#include "steepest/parallel.hpp"

namespace steepest::bind {

// A list argument and the segment slot it fills: -2 param, -1 grad, 0..2 state.
struct slot_arg {
    const char* name;
    py::handle obj;
    int slot;
};

struct prepared {
    std::vector<segment<float>> f32;
    std::vector<segment<double>> f64;
    std::vector<std::string> f32_grad_label, f64_grad_label;
};

template <class T>
segment<T> make_segment(const std::vector<list_arg>& args, const std::vector<int>& slots,
                        std::size_t i) {
    segment<T> s{nullptr, nullptr, {nullptr, nullptr, nullptr}, 0};
    for (std::size_t k = 0; k < args.size(); ++k) {
        void* ptr = const_cast<void*>(args[k].items[i].data());
        if (slots[k] == -2) {
            s.param = static_cast<T*>(ptr);
            s.size = static_cast<index_t>(args[k].items[i].size());
        } else if (slots[k] == -1) {
            s.grad = static_cast<const T*>(ptr);
        } else {
            s.state[slots[k]] = static_cast<T*>(ptr);
        }
    }
    return s;
}

// Arguments whose object is None are dropped (optional state not in use).
inline prepared prepare(const std::string& fn, const std::vector<slot_arg>& given) {
    std::vector<list_arg> args;
    std::vector<int> slots;
    for (const slot_arg& a : given) {
        if (a.obj.is_none()) continue;
        args.push_back(list_arg{a.name, a.obj, a.slot != -1});
        slots.push_back(a.slot);
    }
    std::vector<elem> kinds = check_lists(fn, args);
    prepared out;
    const list_arg& grads = args[1];
    for (std::size_t i = 0; i < kinds.size(); ++i) {
        if (kinds[i] == elem::f32) {
            out.f32.push_back(make_segment<float>(args, slots, i));
            out.f32_grad_label.push_back(grads.label(i));
        } else {
            out.f64.push_back(make_segment<double>(args, slots, i));
            out.f64_grad_label.push_back(grads.label(i));
        }
    }
    return out;
}

template <class T>
bool segments_finite(const std::vector<segment<T>>& segs) {
    if (segs.empty()) return true;
    std::atomic<bool> ok{true};
    auto check = kernels<T>().all_finite;
    for_each_piece(segment_sizes(segs), [&](std::size_t i, index_t lo, index_t hi) {
        if (!check(segs[i].grad + lo, hi - lo)) ok.store(false, std::memory_order_relaxed);
    });
    return ok.load();
}

template <class T>
const std::string* first_nonfinite(const std::vector<segment<T>>& segs,
                                   const std::vector<std::string>& labels) {
    for (std::size_t i = 0; i < segs.size(); ++i) {
        if (!kernels<T>().all_finite(segs[i].grad, segs[i].size)) return &labels[i];
    }
    return nullptr;
}

// Coefficients per element type, built by the caller from double scalars.
template <class C32, class C64>
bool run_step(const std::string& fn, const prepared& prep, nonfinite_mode mode, leaf_fn<float> l32,
              const C32& c32, leaf_fn<double> l64, const C64& c64) {
    bool finite = true;
    {
        py::gil_scoped_release nogil;
        if (mode != nonfinite_mode::ignore) {
            finite = segments_finite(prep.f32) && segments_finite(prep.f64);
        }
        if (finite) {
            if (!prep.f32.empty()) run_segments(prep.f32, l32, &c32);
            if (!prep.f64.empty()) run_segments(prep.f64, l64, &c64);
        }
    }
    if (finite) return true;
    if (mode == nonfinite_mode::skip) return false;
    const std::string* label = first_nonfinite(prep.f32, prep.f32_grad_label);
    if (label == nullptr) label = first_nonfinite(prep.f64, prep.f64_grad_label);
    value_error(fn, (label ? *label : std::string("grad")) +
                        " contains NaN or inf; nothing was updated (nonfinite='raise')");
}

}  // namespace steepest::bind
