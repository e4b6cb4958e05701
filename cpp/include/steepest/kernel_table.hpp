// The interface between the per-ISA kernel objects (cpp/src/optim_kernels.cpp,
// compiled once per instruction-set level) and the bindings: a table of
// function pointers per element type, one table per ISA. Each rule of
// rules/all.hpp gets one leaf per option variant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>

#include "steepest/core/common.hpp"
#include "steepest/core/isa.hpp"
#include "steepest/rules/all.hpp"

namespace steepest {

// The most state arrays any rule has: what a piece of a step carries.
constexpr std::size_t max_state_slots = rules::all::max_slots;

template <class T, class Rule>
using rule_leaves = std::array<leaf_fn<T>, Rule::variants>;
// A two-pass rule's first passes, by variant (empty for a one-pass rule).
template <class T, class Rule>
using rule_measures = std::array<measure_fn<T>, rules::sums_of<Rule>::value ? Rule::variants : 0>;

namespace detail {
template <class T, class List>
struct leaves_of_list;
template <class T, class... Rules>
struct leaves_of_list<T, rules::rule_list<Rules...>> {
    using type = std::tuple<rule_leaves<T, Rules>...>;
    using measures = std::tuple<rule_measures<T, Rules>...>;
};
}  // namespace detail

template <class T>
struct kernel_table {
    typename detail::leaves_of_list<T, rules::all>::type by_rule;  // indexed by variant()
    typename detail::leaves_of_list<T, rules::all>::measures measures_by_rule;
    bool (*all_finite)(const T*, index_t);
    double (*sum_squares)(const T*, index_t);
    double (*max_abs)(const T*, index_t);
    double (*sum_abs_pow)(const T*, index_t, double);
    void (*scale)(T*, index_t, T);
    void (*lookahead)(T*, T*, index_t, T);  // slow, fast, n, alpha
    void (*ema)(T*, const T*, index_t, T, T);  // ema, param, n, decay, 1 - decay
    leaf_fn<T> traffic;  // roofline probe for the benchmarks
    // float16 / bfloat16 storage to float32 and back, by steepest::storage
    // (core/half.hpp); the same in both tables, used with float32 state.
    void (*widen[2])(const std::uint16_t*, float*, index_t);
    void (*narrow[2])(const float*, std::uint16_t*, index_t);

    template <class Rule>
    const rule_leaves<T, Rule>& leaves() const {
        return std::get<rules::index_of<Rule, rules::all>::value>(by_rule);
    }
    template <class Rule>
    const rule_measures<T, Rule>& measures() const {
        return std::get<rules::index_of<Rule, rules::all>::value>(measures_by_rule);
    }
};

#define STEEPEST_DECLARE_TABLES(NS)                  \
    namespace NS {                                   \
    const kernel_table<float>& table_float();        \
    const kernel_table<double>& table_double();      \
    }

STEEPEST_DECLARE_TABLES(isa_baseline)
STEEPEST_DECLARE_TABLES(isa_v3)
STEEPEST_DECLARE_TABLES(isa_v4)

// The table of the selected ISA (dispatch.cpp).
template <class T>
const kernel_table<T>& kernels();
template <>
const kernel_table<float>& kernels<float>();
template <>
const kernel_table<double>& kernels<double>();

}  // namespace steepest
