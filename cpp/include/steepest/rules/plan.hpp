// The plan of one step of any rule in rules/all.hpp: which leaf runs (ISA-
// and option-specific), its thread weight, and its coefficients, computed by
// the rule's plan(t, lr) (once per step, in double, cast once). Used by the
// functional bindings (one step per call) and by the training loop (one step
// per batch, through `any_rule`).
// Twin: steepest.reference.functional; tests: tests/optim/test_parity.py.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <variant>

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

    const void* coeffs() const { return coeff_bytes; }
};

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
    if constexpr (rules::scalar_count<Rule>() > 0) {
        p.leaf = leaves[static_cast<std::size_t>(r.variant(t, s))];
        c = r.template plan<T>(t, lr, s);
    } else {
        p.leaf = leaves[static_cast<std::size_t>(r.variant(t))];
        c = r.template plan<T>(t, lr);
    }
    std::memcpy(p.coeff_bytes, &c, sizeof c);
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

}  // namespace steepest
