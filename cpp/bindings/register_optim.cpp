// Bindings of the optimizer steps, generated from the rule list
// (steepest/rules/all.hpp): <name>_step(param, grad, <state...>, [step,] lr,
// <hyperparameters...>, nonfinite). Each takes lists of arrays (or single
// arrays), validates everything, computes the per-step scalars once in
// double, and updates every array in one call.
// Full documentation lives in python/steepest/functional.py.
#include <array>
#ifdef __GLIBCXX__
#include <cxxabi.h>
#endif
#include <cstdint>
#include <string>
#include <utility>

#include "rule_args.hpp"
#include "steepest/rules/all.hpp"
#include "steepest/rules/plan.hpp"
#include "step_driver.hpp"

namespace steepest::bind {
namespace {

// Step plans per param from each param's scalars (updated in `cells`), for
// the segments of one dtype.
template <class T, class Rule>
std::vector<step_plan<T>> plans_per_param(const Rule& r, long long t, double lr,
                                          const std::vector<std::size_t>& index,
                                          std::vector<scalar_row>& cells) {
    std::vector<step_plan<T>> out;
    out.reserve(index.size());
    for (std::size_t i : index) out.push_back(plan_step<T>(r, t, lr, cells[i].data()));
    return out;
}

// The step of a rule keeping per-param scalars: one plan per param; the
// scalars are written back only when the step was applied.
template <class Rule>
bool scalar_rule_step(const std::string& fn, const Rule& r, const prepared& prep,
                      nonfinite_mode mode, long long t, double lr,
                      const std::vector<scalar_arg>& scalars, const ema_arg& ema) {
    const std::size_t n = prep.f32.size() + prep.f64.size();
    std::vector<scalar_row> cells(n);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < scalars.size(); ++k) cells[i][k] = scalars[k].cell(i);
    }
    const auto p32 = plans_per_param<float>(r, t, lr, prep.f32_index, cells);
    const auto p64 = plans_per_param<double>(r, t, lr, prep.f64_index, cells);
    const double weight = r.weight();
    if (!run_step(fn, prep, mode, plan_list<float>{p32.data(), true},
                  plan_list<double>{p64.data(), true}, weight, ema)) {
        return false;
    }
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < scalars.size(); ++k) scalars[k].store(i, cells[i][k]);
    }
    return true;
}

// a: param, grad, the rule's state arrays and scalars, [step,] lr, its
// hyperparameters, nonfinite. `ema` (on: `ema_list`, one array per param)
// is the params' moving average to update in the same pass.
template <class Rule>
bool rule_step(const std::string& fn, const py::handle* a, const ema_arg& ema = {},
               py::handle ema_list = py::handle()) {
    constexpr std::size_t S = Rule::state.size();
    constexpr std::size_t K = rules::scalar_count<Rule>();
    std::size_t k = 2 + S + K;
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
    if (ema.on) given.push_back({"ema", ema_list, -3});
    prepared prep = prepare(fn, given);
    if constexpr (K > 0) {
        std::vector<scalar_arg> scalars;
        scalars.reserve(K);
        const std::size_t count = prep.f32.size() + prep.f64.size();
        for (std::size_t s = 0; s < K; ++s) {
            scalars.push_back(check_scalars(fn, Rule::scalars[s], a[2 + S + s], count));
        }
        if (!scalars_clear(prep, scalars)) {
            std::vector<slot_arg> scalar_args;
            for (std::size_t s = 0; s < K; ++s) {
                scalar_args.push_back({Rule::scalars[s], a[2 + S + s], static_cast<int>(s)});
            }
            check_scalar_overlap(fn, given, scalar_args);
        }
        return scalar_rule_step(fn, r, prep, mode, t, lr, scalars, ema);
    } else {
        // only the plans of the dtypes present (a plan costs pow() calls)
        step_plan<float> p32{};
        step_plan<double> p64{};
        if (!prep.f32.empty()) p32 = plan_step<float>(r, t, lr);
        if (!prep.f64.empty()) p64 = plan_step<double>(r, t, lr);
        return run_step(fn, prep, mode, p32, p64, ema);
    }
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

// The arity of a rule's step binding.
template <class Rule>
constexpr std::size_t step_arity() {
    return 2 + Rule::state.size() + rules::scalar_count<Rule>() + (Rule::uses_step ? 1 : 0) + 1 +
           rules::hyper_count<Rule>() + 1;
}

// step_with_ema(step, ema, ema_decay, *args): the step binding named `step`
// on args, with the params' moving average `ema` updated in the same pass
// (steepest.EMA). ema_decay in [0, 1): 0 copies the new params.
bool step_with_ema(const py::args& all) {
    const std::string fn = "step_with_ema";
    if (all.size() < 3) {
        type_error(fn, "expected step, ema, ema_decay and the step's arguments, got " +
                           std::to_string(all.size()) + " arguments");
    }
    if (!py::isinstance<py::str>(all[0])) {
        type_error(fn, "step must be a str, got " + type_name(all[0]));
    }
    const std::string step = all[0].cast<std::string>();
    const double decay = real_arg(fn, "ema_decay", all[2]);
    if (!(decay >= 0 && decay < 1)) {
        value_error(fn, "ema_decay must be in [0, 1), got " + repr_float(decay));
    }
    const ema_arg ema{true, decay};
    std::vector<py::handle> a;
    for (std::size_t i = 3; i < all.size(); ++i) a.push_back(all[i]);
    bool found = false, applied = false;
    rules::all::for_each([&](auto tag) {
        using Rule = typename decltype(tag)::type;
        static const std::string name = std::string(Rule::name) + "_step";
        if (found || step != name) return;
        found = true;
        if (a.size() != step_arity<Rule>()) {
            type_error(fn, name + " takes " + std::to_string(step_arity<Rule>()) +
                               " arguments, got " + std::to_string(a.size()));
        }
        applied = rule_step<Rule>(name, a.data(), ema, all[1]);
    });
    if (!found) value_error(fn, "step must name a rule's step, got " + py_repr(all[0]));
    return applied;
}

// The same step as a CPython METH_FASTCALL function taking every argument
// by position: what the optimizer classes and steepest.functional call. A
// 1e3-element step is mostly per-call cost, and pybind11's dispatcher (its
// argument vector, overload loop and keyword handling) was ~10 % of it.
// Errors leave as the binding's do: its own messages, translated by
// pybind11's registered translators.
template <class Rule>
PyObject* fast_step(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    static const std::string fn = std::string(Rule::name) + "_step";
    constexpr std::size_t arity = step_arity<Rule>();
    try {
        if (nargs != static_cast<Py_ssize_t>(arity)) {
            type_error(fn, "expected " + std::to_string(arity) + " positional arguments, got " +
                               std::to_string(nargs));
        }
        std::array<py::handle, arity> a;
        for (std::size_t i = 0; i < arity; ++i) a[i] = args[i];
        return py::bool_(rule_step<Rule>(fn, a.data())).release().ptr();
    } catch (py::error_already_set& e) {
        e.restore();
        return nullptr;
#ifdef __GLIBCXX__
    } catch (abi::__forced_unwind&) {
        throw;
#endif
    } catch (...) {
        py::detail::try_translate_exceptions();
        return nullptr;
    }
}

// Named _fast_<rule>_step on the module, where pickle finds it (an
// optimizer pickles the step it calls).
template <class Rule>
py::object fast_step_function(const py::module_& m) {
    static const std::string name = "_fast_" + std::string(Rule::name) + "_step";
    static PyMethodDef def{
        name.c_str(),
        reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&fast_step<Rule>)),
        METH_FASTCALL, Rule::doc};
    PyObject* f = PyCFunction_NewEx(&def, nullptr, m.attr("__name__").ptr());
    if (f == nullptr) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(f);
}

template <class Rule>
void register_rule(py::module_& m) {
    static_assert(Rule::required_when.size() == Rule::state.size(),
                  "one required_when entry per state array");
    static_assert(Rule::variants >= 1, "a rule has at least one kernel");
    std::vector<const char*> names{"param", "grad"};
    for (const char* s : Rule::state) names.push_back(s);
    if constexpr (rules::scalar_count<Rule>() > 0) {
        for (const char* s : Rule::scalars) names.push_back(s);
    }
    if (Rule::uses_step) names.push_back("step");
    names.push_back("lr");
    Rule r{};
    hyper_names hyper;
    r.hyperparameters(hyper);
    names.insert(names.end(), hyper.names.begin(), hyper.names.end());
    names.push_back("nonfinite");
    register_rule<Rule>(m, names, std::make_index_sequence<step_arity<Rule>()>{});
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

storage storage_arg(const std::string& fn, const std::string& kind) {
    if (kind == "float16") return storage::f16;
    if (kind == "bfloat16") return storage::bf16;
    value_error(fn, "kind must be 'float16' or 'bfloat16', got '" + kind + "'");
}

// Test probes of the selected ISA's converters (core/half.hpp), on raw bits.
py::array_t<float> storage_widen(
    const py::array_t<std::uint16_t, py::array::c_style | py::array::forcecast>& h,
    const std::string& kind) {
    const storage st = storage_arg("storage_widen", kind);
    py::array_t<float> out(h.size());
    kernels<float>().widen[static_cast<std::size_t>(st)](h.data(), out.mutable_data(),
                                                         static_cast<index_t>(h.size()));
    return out;
}

py::array_t<std::uint16_t> storage_narrow(
    const py::array_t<float, py::array::c_style | py::array::forcecast>& x,
    const std::string& kind) {
    const storage st = storage_arg("storage_narrow", kind);
    py::array_t<std::uint16_t> out(x.size());
    kernels<float>().narrow[static_cast<std::size_t>(st)](x.data(), out.mutable_data(),
                                                          static_cast<index_t>(x.size()));
    return out;
}

}  // namespace

void register_optim(py::module_& m) {
    rules::all::for_each([&m](auto tag) { register_rule<typename decltype(tag)::type>(m); });
    py::dict fast;
    rules::all::for_each([&m, &fast](auto tag) {
        using Rule = typename decltype(tag)::type;
        py::object f = fast_step_function<Rule>(m);
        m.attr(f.attr("__name__")) = f;
        fast[py::str(std::string(Rule::name) + "_step")] = f;
    });
    m.attr("_fast_steps") = fast;
    m.def("step_with_ema", &step_with_ema,
          "step_with_ema(step, ema, ema_decay, *args): the rule step named `step` on its "
          "arguments `args`, updating ema <- ema_decay * ema + (1 - ema_decay) * param in the "
          "same pass.");
    m.def("traffic_pass", &traffic_pass,
          "Benchmark probe: read param, grad, m, v and write param, m, v (no arithmetic).",
          py::arg("param"), py::arg("grad"), py::arg("m"), py::arg("v"));
    m.def("storage_widen", &storage_widen,
          "Test probe: float16/bfloat16 bits (uint16) to float32, as the steps widen.",
          py::arg("bits"), py::arg("kind"));
    m.def("storage_narrow", &storage_narrow,
          "Test probe: float32 to float16/bfloat16 bits (uint16), as the steps round.",
          py::arg("x"), py::arg("kind"));
}

}  // namespace steepest::bind
