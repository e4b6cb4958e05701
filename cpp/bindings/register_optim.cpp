// Bindings of the optimizer steps, generated from the rule list
// (steepest/rules/all.hpp): <name>_step(param, grad, <state...>, [step,] lr,
// <hyperparameters...>, nonfinite). Each takes lists of arrays (or single
// arrays), validates everything, computes the per-step scalars once in
// double, and updates every array in one call.
// Full documentation lives in python/steepest/functional.py.
#include <array>
#include <utility>

#include "rule_args.hpp"
#include "steepest/rules/all.hpp"
#include "steepest/rules/plan.hpp"
#include "step_driver.hpp"

namespace steepest::bind {
namespace {

// a: param, grad, the rule's state, [step,] lr, its hyperparameters, nonfinite.
template <class Rule>
bool rule_step(const std::string& fn, const py::handle* a) {
    constexpr std::size_t S = Rule::state.size();
    std::size_t k = 2 + S;
    long long t = 1;
    if constexpr (Rule::uses_step) t = check_step(fn, a[k++]);
    const double lr = real_arg(fn, "lr", a[k++]);
    const py::handle* hyper = a + k;
    auto get = [hyper](std::size_t i, const char*) { return hyper[i]; };
    Rule r{};
    read_hyper(fn, r, get, hyper_pass::reals);
    read_hyper(fn, r, get, hyper_pass::flags);
    check_nonnegative(fn, "lr", lr);
    read_hyper(fn, r, get, hyper_pass::ranges);
    check_combination(fn, r);
    auto mode = check_nonfinite(fn, a[k + rules::hyper_count<Rule>()]);
    std::vector<slot_arg> given;
    given.reserve(2 + S);
    given.push_back({"param", a[0], -2});
    given.push_back({"grad", a[1], -1});
    for (std::size_t s = 0; s < S; ++s) {
        const bool use = r.uses(s);
        const char* when = Rule::required_when[s];
        if (use && when != nullptr && a[2 + s].is_none()) {
            value_error(fn, std::string(Rule::state[s]) + " is required when " + when);
        }
        given.push_back({Rule::state[s], a[2 + s], static_cast<int>(s), use});
    }
    prepared prep = prepare(fn, given);
    return run_step(fn, prep, mode, plan_step<float>(r, t, lr), plan_step<double>(r, t, lr));
}

template <std::size_t>
using handle_at = py::handle;

template <class Rule, std::size_t... I>
void register_rule(py::module_& m, const std::vector<const char*>& names,
                   std::index_sequence<I...>) {
    static const std::string fn = std::string(Rule::name) + "_step";
    m.def(
        fn.c_str(),
        [](handle_at<I>... h) {
            const std::array<py::handle, sizeof...(I)> a{h...};
            return rule_step<Rule>(fn, a.data());
        },
        Rule::doc, py::arg(names[I])...);
}

template <class Rule>
void register_rule(py::module_& m) {
    static_assert(Rule::required_when.size() == Rule::state.size(),
                  "one required_when entry per state array");
    static_assert(Rule::variants >= 1, "a rule has at least one kernel");
    std::vector<const char*> names{"param", "grad"};
    for (const char* s : Rule::state) names.push_back(s);
    if (Rule::uses_step) names.push_back("step");
    names.push_back("lr");
    Rule r{};
    hyper_names hyper;
    r.hyperparameters(hyper);
    names.insert(names.end(), hyper.names.begin(), hyper.names.end());
    names.push_back("nonfinite");
    constexpr std::size_t arity =
        2 + Rule::state.size() + (Rule::uses_step ? 1 : 0) + 1 + rules::hyper_count<Rule>() + 1;
    register_rule<Rule>(m, names, std::make_index_sequence<arity>{});
}

// Roofline probe: Adam's traffic through the same driver, no arithmetic.
void traffic_pass(py::handle params, py::handle grads, py::handle m, py::handle v) {
    const std::string fn = "traffic_pass";
    prepared prep =
        prepare(fn, {{"param", params, -2}, {"grad", grads, -1}, {"m", m, 0}, {"v", v, 1}});
    step_plan<float> p32;
    step_plan<double> p64;
    p32.leaf = kernels<float>().traffic;
    p64.leaf = kernels<double>().traffic;
    p32.weight = p64.weight = 0.3;
    run_step(fn, prep, nonfinite_mode::ignore, p32, p64);
}

}  // namespace

void register_optim(py::module_& m) {
    rules::all::for_each([&m](auto tag) { register_rule<typename decltype(tag)::type>(m); });
    m.def("traffic_pass", &traffic_pass,
          "Benchmark probe: read param, grad, m, v and write param, m, v (no arithmetic).",
          py::arg("param"), py::arg("grad"), py::arg("m"), py::arg("v"));
}

}  // namespace steepest::bind
