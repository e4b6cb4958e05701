// Reading a rule's hyperparameters, the same way for the functional bindings
// (positional handles) and the training loop (a dict by name): every real is
// converted first, then every flag, then the ranges are checked in the
// rule's order, then the rule's own combination check. All before any write.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

#include "array_checks.hpp"
#include "steepest/rules/rule.hpp"

namespace steepest::bind {

enum class hyper_pass { reals, flags, ranges };

// get(i, name): the handle of the i-th hyperparameter of the rule, called `name`.
template <class Get>
struct hyper_reader {
    const std::string& fn;
    Get& get;
    hyper_pass pass;
    std::size_t i = 0;

    void real(const char* name, double& x, rules::range r) {
        if (pass == hyper_pass::reals) x = real_arg(fn, name, get(i, name));
        if (pass == hyper_pass::ranges) check_range(fn, name, x, r);
        ++i;
    }
    void flag(const char* name, bool& b) {
        if (pass == hyper_pass::flags) b = bool_arg(fn, name, get(i, name));
        ++i;
    }
};

template <class Rule, class Get>
void read_hyper(const std::string& fn, Rule& r, Get&& get, hyper_pass pass) {
    hyper_reader<std::remove_reference_t<Get>> reader{fn, get, pass};
    r.hyperparameters(reader);
}

template <class Rule>
void check_combination(const std::string& fn, const Rule& r) {
    if (const char* msg = r.invalid()) value_error(fn, msg);
}

// The names of the rule's hyperparameters in its order (string literals).
struct hyper_names {
    std::vector<const char*> names;
    void real(const char* name, double&, rules::range) { names.push_back(name); }
    void flag(const char* name, bool&) { names.push_back(name); }
};

}  // namespace steepest::bind
