// What an update rule is, for the code generated from the list in all.hpp.
// A rule is a struct in steepest::rules holding its hyperparameters (in
// double, as the user gave them) and describing everything else about itself:
//
//   name                 functional stem: the binding is <name>_step and the
//                        training loop's rule dict says {"kind": name}
//   doc                  one-line binding docstring
//   uses_step            whether the functional step takes `step`
//   state                names of the state arrays, in binding order (any count)
//   required_when[k]     the condition under which optional state k is needed,
//                        for the error when it is missing (nullptr: always)
//   variants             number of option-specialised kernels
//   hyperparameters(v)   v.real(name, field, range) / v.flag(name, field) for
//                        each hyperparameter, in binding order (lr excluded)
//   invalid()            a message for a bad combination of values, or nullptr
//   uses(k)              whether state k is read and written under these options
//   coeffs<T>            the per-step scalars the kernel reads
//   plan<T>(t, lr)       those scalars for step t >= 1 at learning rate lr,
//                        computed once in double and cast to T once
//   variant(t)           which kernel step t runs, in [0, variants)
//   weight()             serial cost per element relative to Adam (bench/run.py),
//                        which sets the size above which threads are used
//   chunk<T, V>(p, g, s, n, c)   kernel V over n elements; s[k] is state k
//                        (null where unused). Always inline, one simd loop, no
//                        branch on a hyperparameter inside it.
// A rule whose state also holds one number per param (torch: a 0-d tensor,
// such as NAdam's mu_product) declares, besides:
//   scalars              their names, in binding order after the arrays
//   variant(t, s)        and plan<T>(t, lr, s) in place of the two above,
//                        s[k] being param's scalar k (a scalar_cell); plan
//                        reads and updates them, variant is asked first.
//
// A two-pass rule, whose update needs a sum over each whole array (LAMB's
// per-tensor norms), declares three more; the driver (rules/plan.hpp) runs
// measure over fixed blocks, adds each array's block sums in block order
// (so the totals do not depend on the thread count), then chunk:
//   sums                 how many per-array sums the first pass yields (> 0)
//   measure<T, V>(p, g, s, n, c, out)   first pass over n elements: writes
//                        what it can (state) and its sums over them to out[k]
//   rescale<T>(c, totals)   the coeffs<T> of one array's second pass, from
//                        the step's c and that array's totals (in double)
//   chunk<T, V>          the second pass, with that array's coefficients
//   pass_weights         the two passes' own weights (as weight(), per
//                        element of the pass), which decide where each
//                        pass uses threads; weight() stays the whole step's
#pragma once

#include <algorithm>
#include <cstddef>
#include <tuple>
#include <type_traits>

#include "steepest/core/common.hpp"

namespace steepest::rules {

// The admissible values of a real hyperparameter (the checks' vocabulary).
enum class range {
    nonnegative,    // finite, >= 0
    positive,       // finite, > 0
    unit_closed,    // [0, 1]
    unit_open,      // [0, 1)
    unit_interior,  // (0, 1)
    above_one,      // finite, > 1
};

// One per-param scalar of a rule's state, held in double while a step is
// planned. torch keeps such a number in a 0-d tensor of its scalar dtype
// (float32 unless the default dtype is float64); `single` marks one stored in
// float32, so that every change rounds as torch's tensor would and the
// coefficients derive from the value stored.
struct scalar_cell {
    double value = 0;
    bool single = false;

    // torch's `x *= c` on the tensor: in float32, c is rounded first.
    double mul(double c) {
        value = single ? double(float(value) * float(c)) : value * c;
        return value;
    }
    // torch's `x.copy_(c)`
    double set(double c) {
        value = single ? double(float(c)) : c;
        return value;
    }
};

namespace detail {
template <class Rule, class = void>
struct scalar_count_of {
    static constexpr std::size_t value = 0;
};
template <class Rule>
struct scalar_count_of<Rule, std::void_t<decltype(Rule::scalars)>> {
    static constexpr std::size_t value = Rule::scalars.size();
};
}  // namespace detail

// How many per-param scalars Rule keeps (0 unless it declares `scalars`).
template <class Rule>
constexpr std::size_t scalar_count() {
    return detail::scalar_count_of<Rule>::value;
}

// Stands for a rule in the list's visits (no rule object is made).
template <class Rule>
struct tag {
    using type = Rule;
};

// A type list with the few operations the generated code needs.
template <class... Rules>
struct rule_list {
    static constexpr std::size_t size = sizeof...(Rules);

    // fn(tag<Rule>{}) for each rule in order.
    template <class Fn>
    static void for_each(Fn&& fn) {
        (fn(tag<Rules>{}), ...);
    }

    // fn(tag<Rule>{}) for the rule named `name`; false if none is.
    template <class Fn>
    static bool visit_named(const char* name, Fn&& fn) {
        bool found = false;
        auto try_one = [&](auto t) {
            if (found || !same_name(decltype(t)::type::name, name)) return;
            found = true;
            fn(t);
        };
        (try_one(tag<Rules>{}), ...);
        return found;
    }

    // The largest state count over the rules.
    static constexpr std::size_t max_slots = std::max({std::size_t{1}, Rules::state.size()...});
    // The largest per-param scalar count over the rules (at least 1).
    static constexpr std::size_t max_scalars =
        std::max({std::size_t{1}, detail::scalar_count_of<Rules>::value...});

 private:
    static bool same_name(const char* a, const char* b) {
        while (*a != '\0' && *a == *b) ++a, ++b;
        return *a == *b;
    }
};

// Position of Rule in a rule_list.
template <class Rule, class List>
struct index_of;

template <class Rule, class... Rules>
struct index_of<Rule, rule_list<Rules...>> {
    static constexpr std::size_t value = [] {
        constexpr bool same[] = {std::is_same_v<Rule, Rules>...};
        std::size_t i = 0;
        while (i < sizeof...(Rules) && !same[i]) ++i;
        return i;
    }();
    static_assert(value < sizeof...(Rules), "the rule is not in the list");
};

namespace detail {

struct hyper_counter {
    std::size_t n = 0;
    constexpr void real(const char*, double&, range) { ++n; }
    constexpr void flag(const char*, bool&) { ++n; }
};

}  // namespace detail

// Rule::sums for a two-pass rule, else 0.
template <class Rule, class = void>
struct sums_of : std::integral_constant<int, 0> {};
template <class Rule>
struct sums_of<Rule, std::void_t<decltype(Rule::sums)>>
    : std::integral_constant<int, Rule::sums> {};

// How many hyperparameters Rule declares (its binding's arity depends on it).
template <class Rule>
constexpr std::size_t hyper_count() {
    Rule r{};
    detail::hyper_counter c;
    r.hyperparameters(c);
    return c.n;
}

}  // namespace steepest::rules
