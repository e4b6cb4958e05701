// The plan of one step of any rule in rules/all.hpp: which leaf runs (ISA-
// and option-specific), its thread weight, and its coefficients, computed by
// the rule's plan(t, lr) (once per step, in double, cast once). Used by the
// functional bindings (one step per call) and by the training loop (one step
// per batch, through `any_rule`).
// Twin: steepest.reference.functional; tests: tests/optim/test_parity.py.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <variant>
#include <vector>

#include "steepest/core/parallel.hpp"
#include "steepest/kernel_table.hpp"
#include "steepest/rules/all.hpp"

namespace steepest {
namespace detail {

template <class T, class List>
struct rule_storage;
template <class T, class... Rules>
struct rule_storage<T, rules::rule_list<Rules...>> {
    static constexpr std::size_t size = std::max({sizeof(typename Rules::template coeffs<T>)...});
    static constexpr std::size_t align = std::max({alignof(typename Rules::template coeffs<T>)...});
    using variant = std::variant<Rules...>;
};

}  // namespace detail

// One rule of the list with its hyperparameters (the training loop's rule).
using any_rule = detail::rule_storage<double, rules::all>::variant;

template <class T>
struct step_plan {
    using storage = detail::rule_storage<T, rules::all>;

    leaf_fn<T> leaf = nullptr;
    double weight = 1.0;
    alignas(storage::align) unsigned char coeff_bytes[storage::size];  // the rule's coeffs<T>
    // A two-pass rule's first pass and the step from its totals (else null, 0),
    // and each pass's weight (Rule::pass_weights).
    measure_fn<T> measure = nullptr;
    int sums = 0;
    double measure_weight = 1.0, update_weight = 1.0;
    void (*rescale)(const void* coeffs, const double* totals, void* out) = nullptr;
    // A two-pass rule's stored-update pair (Rule::stored_update, else null):
    // the measure also writes the update to state slot `stored_slot`, the
    // leaf reads it back there (for arrays that stay in cache in between).
    measure_fn<T> stored_measure = nullptr;
    leaf_fn<T> stored_leaf = nullptr;
    std::size_t stored_slot = 0;

    const void* coeffs() const { return coeff_bytes; }
};

namespace detail {
template <class T, class Rule>
void rescale_as(const void* c, const double* totals, void* out) {
    using coeffs = typename Rule::template coeffs<T>;
    const coeffs r = Rule::template rescale<T>(*static_cast<const coeffs*>(c), totals);
    std::memcpy(out, &r, sizeof r);
}

template <class Rule, class = void>
struct stores_update : std::false_type {};
template <class Rule>
struct stores_update<Rule, std::void_t<decltype(Rule::stored_update)>> : std::true_type {};
}  // namespace detail

// The per-param scalars of one param (rules::scalar_cell), for any rule.
using scalar_row = std::array<rules::scalar_cell, rules::all::max_scalars>;

// The plan of step t (t >= 1, counting applied steps) at learning rate lr;
// `s` is the param's scalars (updated), ignored by a rule that keeps none.
template <class T, class Rule>
step_plan<T> plan_step(const Rule& r, long long t, double lr, rules::scalar_cell* s = nullptr) {
    using coeffs = typename Rule::template coeffs<T>;
    static_assert(std::is_trivially_copyable_v<coeffs>, "coefficients travel as bytes");
    step_plan<T> p;
    const auto& leaves = kernels<T>().template leaves<Rule>();
    p.weight = r.weight();
    coeffs c;
    std::size_t v;
    if constexpr (rules::scalar_count<Rule>() > 0) {
        v = static_cast<std::size_t>(r.variant(t, s));
        c = r.template plan<T>(t, lr, s);
    } else {
        v = static_cast<std::size_t>(r.variant(t));
        c = r.template plan<T>(t, lr);
    }
    p.leaf = leaves[v];
    std::memcpy(p.coeff_bytes, &c, sizeof c);
    if constexpr (rules::sums_of<Rule>::value > 0) {
        p.measure = kernels<T>().template measures<Rule>()[v];
        p.sums = rules::sums_of<Rule>::value;
        p.measure_weight = Rule::pass_weights[0];
        p.update_weight = Rule::pass_weights[1];
        p.rescale = &detail::rescale_as<T, Rule>;
        if constexpr (detail::stores_update<Rule>::value) {
            static_assert(Rule::state.size() < max_state_slots, "a free slot for the update");
            p.stored_measure = kernels<T>().template measures<Rule>()[v + Rule::stored_update];
            p.stored_leaf = leaves[v + Rule::stored_update];
            p.stored_slot = Rule::state.size();
        }
    }
    return p;
}

template <class T>
step_plan<T> plan_step(const any_rule& r, long long t, double lr,
                       rules::scalar_cell* s = nullptr) {
    return std::visit([&](const auto& rule) { return plan_step<T>(rule, t, lr, s); }, r);
}

// How many per-param scalars the rule keeps.
inline std::size_t scalar_count(const any_rule& r) {
    return std::visit(
        [](const auto& rule) {
            return rules::scalar_count<std::remove_cv_t<std::remove_reference_t<decltype(rule)>>>();
        },
        r);
}

// The arrays of one piece of a step, offset to its first element; e is the
// param's moving average when the step carries one (else null).
template <class T>
struct piece_args {
    T* p;
    const T* g;
    T* s[max_state_slots];
    T* e = nullptr;
};

// A moving average of the params fused into a step, whatever the rule:
// e <- decay * e + weight * p_new (optim/ema.hpp), weight = 1 - decay.
// `on` false: the step carries none.
template <class T>
struct ema_pass {
    bool on = false;
    T decay = 0, weight = 1;

    static ema_pass make(double decay) {
        return {true, static_cast<T>(decay), static_cast<T>(1.0 - decay)};
    }
};

// Elements per block of leaf_then_ema: a rule's arrays of one block (up to
// 5 of 4 KiB in float32) stay in L1/L2 until the average reads the param.
constexpr index_t ema_block = 1024;

// The leaf on n elements, then, if e is given, the average of each block of
// the param right after the leaf wrote it. Elementwise: the blocks do not
// change a bit of the step.
template <class T>
void leaf_then_ema(leaf_fn<T> leaf, T* p, const T* g, T* const* s, index_t n, const void* c,
                   T* e, const ema_pass<T>& ema) {
    if (e == nullptr || !ema.on) {
        leaf(p, g, s, n, c);
        return;
    }
    auto average = kernels<T>().ema;
    T* sub[max_state_slots];
    for (index_t lo = 0; lo < n; lo += ema_block) {
        const index_t m = std::min(ema_block, n - lo);
        for (std::size_t k = 0; k < max_state_slots; ++k) sub[k] = s[k] ? s[k] + lo : s[k];
        leaf(p + lo, g + lo, sub, m, c);
        average(e + lo, p + lo, m, ema.decay, ema.weight);
    }
}

// The blocks a two-pass rule's first pass runs on: their sums are added in
// block order, so an array's totals do not depend on the thread count.
// Twin: steepest.reference.functional._lamb._sum_squares.
constexpr index_t measure_block = 16384;
// The most sums a two-pass rule's first pass yields (LAMB's two) that a
// serial step keeps on the stack; a rule with more takes the general path.
constexpr std::size_t max_sums = 4;

// run_two_pass's check when nothing is to be checked (nonfinite="ignore").
struct no_check {
    bool operator()(std::size_t, index_t, index_t) const { return true; }
};

// One step of a two-pass plan over arrays of `sizes`. measure(i, lo, hi, out)
// runs plan.measure over elements [lo, hi) of array i (one block, in one
// call: the sums' association depends on it); leaf(i, lo, hi, coeffs) runs
// plan.leaf with array i's coefficients. check(i, lo, hi) -> bool runs on
// every block before anything is written; false from any skips the step
// (returns false). Pass 1 (state, sums) over fixed blocks in one parallel
// region; each array's coefficients from its totals; pass 2 (param) over
// pieces in another.
// Whether run_two_pass runs on the calling thread, array by array (each
// array's first pass, then its second, before the next array's).
template <class T>
bool two_pass_serial(const step_plan<T>& plan, const std::vector<index_t>& sizes) {
    const double w = plan.measure_weight * static_cast<double>(measure_block);
    const index_t grain = std::max<index_t>(1, grain_for(w));
    index_t total = 0, count = 0;
    for (index_t n : sizes) {
        total += n;
        count += (n + measure_block - 1) / measure_block;
    }
    // one block is one thread's in team() too; the blocks' grain rounds to
    // 0 in warm_grain_divisor's terms, so always_serial alone says no to it
    return static_cast<std::size_t>(plan.sums) <= max_sums &&
           (count <= 1 || always_serial(count, grain)) &&
           always_serial(total, grain_for(plan.update_weight));
}

template <class T, class Measure, class Leaf, class Check>
bool run_two_pass(const step_plan<T>& plan, const std::vector<index_t>& sizes, Measure&& measure,
                  Leaf&& leaf, Check&& check) {
    const auto S = static_cast<std::size_t>(plan.sums);
    const double w = plan.measure_weight * static_cast<double>(measure_block);
    const index_t grain = std::max<index_t>(1, grain_for(w));
    index_t count = 0;
    for (index_t n : sizes) count += (n + measure_block - 1) / measure_block;
    if (two_pass_serial(plan, sizes)) {
        // what the two regions do on one thread, array by array (they are
        // independent), without their tables of blocks and pieces
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            for (index_t lo = 0; lo < sizes[i]; lo += measure_block) {
                if (!check(i, lo, std::min(sizes[i], lo + measure_block))) return false;
            }
        }
        step_plan<T> per = plan;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            double totals[max_sums] = {}, out[max_sums] = {};
            for (index_t lo = 0; lo < sizes[i]; lo += measure_block) {
                measure(i, lo, std::min(sizes[i], lo + measure_block), out);
                for (std::size_t k = 0; k < S; ++k) totals[k] += out[k];
            }
            plan.rescale(plan.coeffs(), totals, per.coeff_bytes);
            if (sizes[i] > 0) leaf(i, index_t{0}, sizes[i], per.coeffs());
        }
        return true;
    }
    struct block {
        std::size_t seg;
        index_t lo, hi;
    };
    std::vector<block> blocks;
    blocks.reserve(static_cast<std::size_t>(count));
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        for (index_t lo = 0; lo < sizes[i]; lo += measure_block) {
            blocks.push_back({i, lo, std::min(sizes[i], lo + measure_block)});
        }
    }
    std::vector<double> part(blocks.size() * S, 0.0);
    std::atomic<bool> ok{true};
    team(static_cast<index_t>(blocks.size()), grain, 1, [&](index_t b, index_t e) {
        if constexpr (!std::is_same_v<std::decay_t<Check>, no_check>) {
            bool mine = true;
            for (index_t j = b; j < e && mine; ++j) {
                const block& bl = blocks[static_cast<std::size_t>(j)];
                mine = check(bl.seg, bl.lo, bl.hi);
            }
            if (!mine) ok.store(false, std::memory_order_relaxed);
            team_barrier();
            if (!ok.load(std::memory_order_relaxed)) return;
        }
        for (index_t j = b; j < e; ++j) {
            const auto u = static_cast<std::size_t>(j);
            const block& bl = blocks[u];
            measure(bl.seg, bl.lo, bl.hi, part.data() + u * S);
        }
    });
    if (!ok) return false;
    std::vector<step_plan<T>> per(sizes.size(), plan);
    std::vector<double> totals(S);
    std::size_t j = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        std::fill(totals.begin(), totals.end(), 0.0);
        for (; j < blocks.size() && blocks[j].seg == i; ++j) {
            for (std::size_t k = 0; k < S; ++k) totals[k] += part[j * S + k];
        }
        plan.rescale(plan.coeffs(), totals.data(), per[i].coeff_bytes);
    }
    for_each_piece(sizes, plan.update_weight, [&](std::size_t i, index_t lo, index_t hi) {
        leaf(i, lo, hi, per[i].coeffs());
    });
    return true;
}

// The same where at(i, lo) gives array i's piece_args at element lo (the
// arrays hold T: nothing to convert).
// With `ema` on, each piece's param average follows its update (piece_args::e).
template <class T, class At, class Check>
bool run_two_pass_at(const step_plan<T>& plan, const std::vector<index_t>& sizes, At&& at,
                     Check&& check, const ema_pass<T>& ema = {}) {
    auto measure = [&](std::size_t i, index_t lo, index_t hi, double* out) {
        piece_args<T> a = at(i, lo);
        plan.measure(a.p, a.g, a.s, hi - lo, plan.coeffs(), out);
    };
    auto leaf = [&](std::size_t i, index_t lo, index_t hi, const void* c) {
        piece_args<T> a = at(i, lo);
        leaf_then_ema(plan.leaf, a.p, a.g, a.s, hi - lo, c, a.e, ema);
    };
    return run_two_pass(plan, sizes, measure, leaf, check);
}

}  // namespace steepest
