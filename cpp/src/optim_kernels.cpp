// Every rule's kernels (one per option variant) and the reductions,
// instantiated for float and double. This file is compiled once per ISA level
// (CMakeLists.txt) with STEEPEST_ISA_NS naming the namespace, so each level
// gets its own symbols. Only the rules' always-inline chunk kernels may be
// used here: any other inline function instantiated in this file would be
// compiled for this ISA and could be the copy the linker keeps for everyone.
#include <utility>

#include "steepest/core/half.hpp"
#include "steepest/kernel_table.hpp"
#include "steepest/optim/ema.hpp"
#include "steepest/optim/lookahead.hpp"
#include "steepest/optim/reduce.hpp"

#ifndef STEEPEST_ISA_NS
#error "STEEPEST_ISA_NS must name the ISA namespace"
#endif

namespace steepest::STEEPEST_ISA_NS {
namespace {

template <class T, class Rule, int V>
void rule_leaf(T* p, const T* g, T* const* s, index_t n, const void* c) {
    using coeffs = typename Rule::template coeffs<T>;
    Rule::template chunk<T, V>(p, g, s, n, *static_cast<const coeffs*>(c));
}

template <class T, class Rule, int... V>
rule_leaves<T, Rule> leaves_of(std::integer_sequence<int, V...>) {
    return {&rule_leaf<T, Rule, V>...};
}

template <class T, class Rule, int V>
void measure_leaf(T* p, const T* g, T* const* s, index_t n, const void* c, double* out) {
    using coeffs = typename Rule::template coeffs<T>;
    Rule::template measure<T, V>(p, g, s, n, *static_cast<const coeffs*>(c), out);
}

template <class T, class Rule, int... V>
rule_measures<T, Rule> measures_of(std::integer_sequence<int, V...>) {
    return {&measure_leaf<T, Rule, V>...};
}

template <class T>
void traffic_leaf(T* p, const T* g, T* const* s, index_t n, const void*) {
    traffic_chunk(p, g, s[0], s[1], n);
}

template <class T>
bool all_finite(const T* g, index_t n) { return all_finite_chunk(g, n); }
template <class T>
double sum_squares(const T* g, index_t n) { return sum_squares_chunk(g, n); }
template <class T>
double max_abs(const T* g, index_t n) { return max_abs_chunk(g, n); }
template <class T>
double sum_abs_pow(const T* g, index_t n, double q) { return sum_abs_pow_chunk(g, n, q); }
template <class T>
void scale(T* g, index_t n, T c) { scale_chunk(g, n, c); }

template <class T>
void lookahead(T* slow, T* fast, index_t n, T alpha) { lookahead_chunk(slow, fast, n, alpha); }

void widen_f16(const std::uint16_t* h, float* out, index_t n) { widen_f16_chunk(h, out, n); }
void narrow_f16(const float* x, std::uint16_t* out, index_t n) { narrow_f16_chunk(x, out, n); }
void widen_bf16(const std::uint16_t* h, float* out, index_t n) { widen_bf16_chunk(h, out, n); }
void narrow_bf16(const float* x, std::uint16_t* out, index_t n) { narrow_bf16_chunk(x, out, n); }

template <class T>
void ema(T* e, const T* p, index_t n, T decay, T weight) { ema_chunk(e, p, n, decay, weight); }

template <class T>
kernel_table<T> make_table() {
    kernel_table<T> t{};
    rules::all::for_each([&t](auto tag) {
        using Rule = typename decltype(tag)::type;
        std::get<rules::index_of<Rule, rules::all>::value>(t.by_rule) =
            leaves_of<T, Rule>(std::make_integer_sequence<int, Rule::variants>{});
        if constexpr (rules::sums_of<Rule>::value > 0) {
            std::get<rules::index_of<Rule, rules::all>::value>(t.measures_by_rule) =
                measures_of<T, Rule>(std::make_integer_sequence<int, Rule::variants>{});
        }
    });
    t.all_finite = &all_finite<T>;
    t.sum_squares = &sum_squares<T>;
    t.max_abs = &max_abs<T>;
    t.sum_abs_pow = &sum_abs_pow<T>;
    t.scale = &scale<T>;
    t.lookahead = &lookahead<T>;
    t.ema = &ema<T>;
    t.traffic = &traffic_leaf<T>;
    t.widen[int(storage::f16)] = &widen_f16;
    t.widen[int(storage::bf16)] = &widen_bf16;
    t.narrow[int(storage::f16)] = &narrow_f16;
    t.narrow[int(storage::bf16)] = &narrow_bf16;
    return t;
}

}  // namespace

const kernel_table<float>& table_float() {
    static const kernel_table<float> t = make_table<float>();
    return t;
}

const kernel_table<double>& table_double() {
    static const kernel_table<double> t = make_table<double>();
    return t;
}

}  // namespace steepest::STEEPEST_ISA_NS
