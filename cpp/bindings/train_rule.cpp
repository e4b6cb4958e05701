// The rule dict of the training loop's binding (train_args.hpp): its kind,
// hyperparameters and state arrays, checked against the params.
#include <string>
#include <vector>

#include "rule_args.hpp"
#include "steepest/rules/all.hpp"
#include "train_args.hpp"

namespace steepest::bind::train_args {
namespace {

const std::string fn = "train_epoch";

py::array as_array(const std::string& label, py::handle h) { return bind::as_array(fn, label, h); }

void check_layout(const std::string& label, const py::array& a, const py::dtype& dt, bool written) {
    bind::check_layout(fn, label, a, dt, written);
}

// "rule kind must be one of sgd, adagrad, ..., got x" lists the rules.
std::string rule_names() {
    std::string out;
    rules::all::for_each([&out](auto tag) {
        out += (out.empty() ? "" : ", ") + std::string(decltype(tag)::type::name);
    });
    return out;
}

// rule['state'][name]: a list of arrays shaped like the params, for each state
// array the rule's options use (others are ignored, present or not).
// A rule keeping per-param scalars finds them there too: a list of 0-d arrays.
template <class Rule>
void read_state(const Rule& r, const py::dict& d, const std::vector<py::array>& params,
                const py::dtype& dt, std::vector<std::vector<py::array>>& state,
                std::vector<scalar_arg>& scalars) {
    if (!d.contains("state")) value_error(fn, "rule lacks 'state'");
    py::object given = d["state"];
    if (!py::isinstance<py::dict>(given)) {
        type_error(fn, "rule['state'] must be a dict of state name -> list of arrays, got " +
                           type_name(given));
    }
    auto by_name = py::reinterpret_borrow<py::dict>(given);
    state.assign(Rule::state.size(), {});
    for (std::size_t k = 0; k < Rule::state.size(); ++k) {
        if (!r.uses(k)) continue;
        const char* name = Rule::state[k];
        const std::string label = std::string("rule['state']['") + name + "']";
        if (!by_name.contains(name) || by_name[name].is_none()) {
            value_error(fn, label + " is required by " + Rule::name + " with these options");
        }
        py::object arrays = by_name[name];
        if (!py::isinstance<py::list>(arrays) || py::len(arrays) != params.size()) {
            value_error(fn,
                        label + " must be a list of " + std::to_string(params.size()) + " arrays");
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            std::string item = label + "[" + std::to_string(i) + "]";
            py::array a = as_array(item, py::reinterpret_borrow<py::list>(arrays)[i]);
            check_layout(item, a, dt, true);
            bool same = a.ndim() == params[i].ndim();
            for (py::ssize_t j = 0; same && j < a.ndim(); ++j)
                same = a.shape(j) == params[i].shape(j);
            if (!same) {
                value_error(fn, item + " has shape " + shape_str(a) + " but params[" +
                                    std::to_string(i) + "] has shape " + shape_str(params[i]));
            }
            state[k].push_back(a);
        }
    }
    scalars.clear();
    if constexpr (rules::scalar_count<Rule>() > 0) {
        for (const char* name : Rule::scalars) {
            const std::string label = std::string("rule['state']['") + name + "']";
            if (!by_name.contains(name) || !py::isinstance<py::list>(by_name[name])) {
                value_error(fn, label + " must be a list of " + std::to_string(params.size()) +
                                    " 0-d arrays");
            }
            scalars.push_back(check_scalars(fn, label.c_str(), by_name[name], params.size()));
        }
    }
}

}  // namespace

any_rule read_rule(const py::dict& d, const std::vector<py::array>& params, const py::dtype& dt,
                   std::vector<std::vector<py::array>>& state, std::vector<scalar_arg>& scalars) {
    auto get = [&](std::size_t, const char* key) -> py::object {
        if (!d.contains(key)) value_error(fn, std::string("rule lacks '") + key + "'");
        return d[key];
    };
    const std::string kind = py::str(get(0, "kind"));
    any_rule out;
    const bool known = rules::all::visit_named(kind.c_str(), [&](auto tag) {
        typename decltype(tag)::type r{};
        read_hyper(fn, r, get, hyper_pass::reals);
        read_hyper(fn, r, get, hyper_pass::flags);
        read_hyper(fn, r, get, hyper_pass::ranges);
        check_combination(fn, r);
        read_state(r, d, params, dt, state, scalars);
        out = r;
    });
    if (!known) value_error(fn, "rule kind must be one of " + rule_names() + ", got " + kind);
    return out;
}

}  // namespace steepest::bind::train_args
