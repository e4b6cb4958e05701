// The per-param scalars of a rule's state (NAdam's mu product, ASGD's eta
// and mu, Schedule-Free's lr_max and weight_sum): their checks and the overlap test
// against the arrays of the same step.
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

namespace steepest::bind {

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

}  // namespace steepest::bind
