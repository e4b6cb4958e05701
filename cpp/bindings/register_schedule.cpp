// Bindings of the learning-rate schedules: a schedule description (the dict that
// steepest.schedules objects produce with to_native()) is validated with the same
// rules and messages as python/steepest/_schedule_validation.py, converted to
// steepest::schedule::schedule once, and evaluated natively.
// Full documentation lives in python/steepest/schedules.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "array_checks.hpp"
#include "schedule_desc.hpp"
#include "steepest/schedule/schedules.hpp"

namespace steepest::bind {
namespace {

namespace sc = steepest::schedule;

constexpr std::int64_t max_int = std::int64_t(1) << 53;  // ints must be exact in a double

bool is_bool(py::handle h) {
    static py::handle np_bool = py::object(py::module_::import("numpy").attr("bool_")).release();
    return PyBool_Check(h.ptr()) || PyObject_IsInstance(h.ptr(), np_bool.ptr()) == 1;
}
// Any integer but bool (what operator.index accepts), as in _schedule_validation.is_int.
bool is_int(py::handle h) { return PyIndex_Check(h.ptr()) && !is_bool(h); }
py::int_ as_int(py::handle h) { return py::reinterpret_steal<py::int_>(PyNumber_Index(h.ptr())); }

// One description dict being read, keyed by the schedule's class name.
struct reader {
    std::string kind;
    py::dict d;

    py::object get(const char* key) const { return d[key]; }

    double number(const char* key) const { return real_arg(kind, key, get(key)); }
    double nonnegative(const char* key) const {
        double x = number(key);
        if (!(std::isfinite(x) && x >= 0)) {
            value_error(kind, std::string(key) + " must be a finite number >= 0, got " + repr_float(x));
        }
        return x;
    }
    double positive(const char* key) const {
        double x = number(key);
        if (!(std::isfinite(x) && x > 0)) {
            value_error(kind, std::string(key) + " must be a finite number > 0, got " + repr_float(x));
        }
        return x;
    }
    // lo <= x <= hi with either end open.
    double between(const char* key, double lo, double hi, bool lo_open, bool hi_open) const {
        double x = number(key);
        bool ok = std::isfinite(x) && (lo_open ? x > lo : x >= lo) && (hi_open ? x < hi : x <= hi);
        if (!ok) {
            std::string interval = std::string(lo_open ? "(" : "[") + (lo == 0 ? "0" : "1") + ", " +
                                   (hi == 0 ? "0" : "1") + (hi_open ? ")" : "]");
            value_error(kind, std::string(key) + " must be in " + interval + ", got " + repr_float(x));
        }
        return x;
    }
    std::int64_t integer(const char* key, std::int64_t lo) const {
        py::object x = get(key);
        std::string expect = std::string(key) + " must be an int >= " + std::to_string(lo) + ", got ";
        if (!is_int(x)) type_error(kind, expect + py_repr(x));
        py::int_ big = as_int(x);
        if (big < py::int_(lo)) value_error(kind, expect + py_repr(x));
        if (big >= py::int_(max_int)) {
            value_error(kind, std::string(key) + " must be < 2**53, got " + py_repr(x));
        }
        return big.cast<std::int64_t>();
    }
    bool boolean(const char* key) const {
        py::object x = get(key);
        if (!is_bool(x)) type_error(kind, std::string(key) + " must be a bool, got " + type_name(x));
        return x.cast<bool>();
    }
    std::string choice(const char* key, const std::vector<std::string>& options) const {
        py::object x = get(key);
        std::string allowed;
        for (std::size_t i = 0; i < options.size(); ++i) {
            if (i) allowed += i + 1 == options.size() ? " or " : ", ";
            allowed += "'" + options[i] + "'";
        }
        if (py::isinstance<py::str>(x)) {
            std::string s = x.cast<std::string>();
            for (const auto& o : options) {
                if (s == o) return s;
            }
        }
        value_error(kind, std::string(key) + " must be " + allowed + ", got " + py_repr(x));
    }
    std::vector<sc::step_t> milestones(const char* key, std::int64_t lo) const {
        py::object x = get(key);
        std::string expect = std::string(key) + " must be a list of strictly increasing ints >= " +
                             std::to_string(lo) + ", got ";
        if (!py::isinstance<py::list>(x) && !py::isinstance<py::tuple>(x)) {
            type_error(kind, expect + py_repr(x));
        }
        py::list items(x);
        std::vector<sc::step_t> out;
        for (py::handle item : items) {
            if (!is_int(item)) type_error(kind, expect + py_repr(items));
            py::int_ big = as_int(item);
            bool ok = big >= py::int_(lo) && big < py::int_(max_int);
            if (ok) {
                auto m = big.cast<std::int64_t>();
                ok = out.empty() || m > out.back();
                out.push_back(m);
            }
            if (!ok) value_error(kind, expect + py_repr(items));
        }
        return out;
    }
};

// The keys of each kind's description, in validation order.
const std::vector<std::pair<std::string, std::vector<std::string>>>& kinds() {
    static const std::vector<std::pair<std::string, std::vector<std::string>>> table = {
        {"Constant", {"lr"}},
        {"ConstantLR", {"lr", "factor", "total_iters"}},
        {"LinearLR", {"lr", "start_factor", "end_factor", "total_iters"}},
        {"StepLR", {"lr", "step_size", "gamma"}},
        {"MultiStepLR", {"lr", "milestones", "gamma"}},
        {"ExponentialLR", {"lr", "gamma"}},
        {"InverseTimeLR", {"lr", "decay_rate", "decay_steps", "staircase"}},
        {"PolynomialLR", {"lr", "total_iters", "power"}},
        {"CosineAnnealingLR", {"lr", "T_max", "eta_min"}},
        {"CosineAnnealingWarmRestarts", {"lr", "T_0", "T_mult", "eta_min"}},
        {"CyclicLR", {"base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma"}},
        {"OneCycleLR",
         {"max_lr", "total_steps", "pct_start", "anneal_strategy", "div_factor",
          "final_div_factor", "three_phase"}},
        {"SequentialLR", {"schedulers", "milestones"}},
    };
    return table;
}

reader open_description(py::handle desc) {
    const std::string fn = "schedule description";
    if (!py::isinstance<py::dict>(desc)) {
        type_error(fn, "must be a dict with a 'kind', got " + type_name(desc));
    }
    auto d = py::reinterpret_borrow<py::dict>(desc);
    if (!d.contains("kind")) value_error(fn, "has no 'kind'");
    py::object k = d["kind"];
    for (const auto& [name, keys] : kinds()) {
        if (!py::isinstance<py::str>(k) || k.cast<std::string>() != name) continue;
        py::list missing, unknown;
        for (const auto& key : keys) {
            if (!d.contains(key)) missing.append(py::str(key));
        }
        for (auto item : d) {
            std::string key = py::isinstance<py::str>(item.first) ? item.first.cast<std::string>() : "";
            bool known = key == "kind";
            for (const auto& k2 : keys) known = known || key == k2;
            if (!known) unknown.append(item.first);
        }
        if (missing.size()) value_error(name, "description lacks " + py_repr(missing));
        if (unknown.size()) value_error(name, "description has unknown keys " + py_repr(unknown));
        return reader{name, d};
    }
    value_error(fn, "unknown kind " + py_repr(k));
}

// Appends the node for `desc` (and its children) to s.nodes; returns its index.
std::size_t parse(py::handle desc, sc::schedule& s) {
    reader r = open_description(desc);
    const std::string& k = r.kind;
    std::size_t index = s.nodes.size();
    s.nodes.emplace_back(sc::constant{0.0});
    if (k == "Constant") {
        s.nodes[index] = sc::constant{r.nonnegative("lr")};
    } else if (k == "ConstantLR") {
        double lr = r.nonnegative("lr");
        double factor = r.between("factor", 0, 1, false, false);
        s.nodes[index] = sc::constant_factor{lr, factor, r.integer("total_iters", 0)};
    } else if (k == "LinearLR") {
        double lr = r.nonnegative("lr");
        double start = r.between("start_factor", 0, 1, true, false);
        double end = r.between("end_factor", 0, 1, false, false);
        s.nodes[index] = sc::linear{lr, start, end, r.integer("total_iters", 1)};
    } else if (k == "StepLR") {
        double lr = r.nonnegative("lr");
        auto step_size = r.integer("step_size", 1);
        s.nodes[index] = sc::step_decay{lr, step_size, r.positive("gamma")};
    } else if (k == "MultiStepLR") {
        double lr = r.nonnegative("lr");
        auto milestones = r.milestones("milestones", 0);
        s.nodes[index] = sc::multi_step{lr, std::move(milestones), r.positive("gamma")};
    } else if (k == "ExponentialLR") {
        double lr = r.nonnegative("lr");
        s.nodes[index] = sc::exponential{lr, r.positive("gamma")};
    } else if (k == "InverseTimeLR") {
        double lr = r.nonnegative("lr");
        double rate = r.nonnegative("decay_rate");
        auto steps = r.integer("decay_steps", 1);
        s.nodes[index] = sc::inverse_time{lr, rate, steps, r.boolean("staircase")};
    } else if (k == "PolynomialLR") {
        double lr = r.nonnegative("lr");
        auto total = r.integer("total_iters", 1);
        s.nodes[index] = sc::polynomial{lr, total, r.nonnegative("power")};
    } else if (k == "CosineAnnealingLR") {
        double lr = r.nonnegative("lr");
        auto t_max = r.integer("T_max", 1);
        s.nodes[index] = sc::cosine{lr, t_max, r.nonnegative("eta_min")};
    } else if (k == "CosineAnnealingWarmRestarts") {
        double lr = r.nonnegative("lr");
        auto t0 = r.integer("T_0", 1);
        auto mult = r.integer("T_mult", 1);
        s.nodes[index] = sc::cosine_restarts{lr, t0, mult, r.nonnegative("eta_min")};
    } else if (k == "CyclicLR") {
        double base = r.nonnegative("base_lr");
        double max = r.nonnegative("max_lr");
        if (max < base) {
            value_error(k, "max_lr must be >= base_lr, got max_lr=" + repr_float(max) +
                               " < base_lr=" + repr_float(base));
        }
        auto up = r.integer("step_size_up", 1);
        auto down = r.integer("step_size_down", 1);
        std::string mode = r.choice("mode", {"triangular", "triangular2", "exp_range"});
        auto m = mode == "triangular"    ? sc::cyclic_mode::triangular
                 : mode == "triangular2" ? sc::cyclic_mode::triangular2
                                         : sc::cyclic_mode::exp_range;
        s.nodes[index] = sc::cyclic{base, max, up, down, m, r.positive("gamma")};
    } else if (k == "OneCycleLR") {
        double max_lr = r.nonnegative("max_lr");
        auto total = r.integer("total_steps", 1);
        double pct = r.between("pct_start", 0, 1, true, false);
        if (!(pct * static_cast<double>(total) - 1.0 > 0)) {
            value_error(k, "pct_start * total_steps must be > 1 (a warm-up phase of positive "
                           "length), got " + repr_float(pct) + " * " + std::to_string(total));
        }
        bool cos = r.choice("anneal_strategy", {"cos", "linear"}) == "cos";
        double div = r.positive("div_factor");
        double final_div = r.positive("final_div_factor");
        bool three = r.boolean("three_phase");
        s.nodes[index] = sc::one_cycle::make(max_lr, total, pct, cos, div, final_div, three);
    } else {  // SequentialLR
        py::object children = r.get("schedulers");
        if (!py::isinstance<py::list>(children) && !py::isinstance<py::tuple>(children)) {
            type_error(k, "schedulers must be a list of schedules, got " + type_name(children));
        }
        py::list items(children);
        if (items.size() == 0) value_error(k, "schedulers must not be empty");
        auto milestones = r.milestones("milestones", 1);
        if (milestones.size() != items.size() - 1) {
            value_error(k, "milestones must have len(schedulers) - 1 = " +
                               std::to_string(items.size() - 1) + " entries, got " +
                               std::to_string(milestones.size()));
        }
        sc::sequential seq{{}, std::move(milestones)};
        for (py::handle child : items) seq.children.push_back(parse(child, s));
        s.nodes[index] = std::move(seq);
    }
    return index;
}


sc::step_t check_count(const std::string& fn, const char* name, py::handle x) {
    std::string expect = std::string(name) + " must be an int >= 0, got ";
    if (!is_int(x)) type_error(fn, expect + py_repr(x));
    py::int_ big = as_int(x);
    if (big < py::int_(0)) value_error(fn, expect + py_repr(x));
    if (big >= py::int_(max_int)) value_error(fn, std::string(name) + " must be < 2**53, got " + py_repr(x));
    return big.cast<sc::step_t>();
}

// A compiled schedule: the description is parsed once, then evaluated per call.
struct native_schedule {
    sc::schedule s;
    std::string kind;

    explicit native_schedule(py::handle desc) : s(compile_schedule(desc)), kind(open_description(desc).kind) {}

    double at(py::handle t) const { return sc::lr_at(s, check_count(kind, "t", t)); }

    py::array_t<double> values(py::handle n_obj, py::handle start_obj) const {
        sc::step_t n = check_count(kind + ".values", "n", n_obj);
        sc::step_t start = check_count(kind + ".values", "start", start_obj);
        if (start + n > max_int) {
            value_error(kind + ".values", "start + n must be <= 2**53, got " +
                                              std::to_string(start) + " + " + std::to_string(n));
        }
        py::array_t<double> out(static_cast<py::ssize_t>(n));
        double* p = out.mutable_data();
        {
            py::gil_scoped_release release;
            sc::fill_values(s, start, static_cast<std::ptrdiff_t>(n), p);
        }
        return out;
    }
};

}  // namespace

sc::schedule compile_schedule(py::handle desc) {
    sc::schedule s;
    parse(desc, s);
    return s;
}

void register_schedule(py::module_& m) {
    using py::arg;
    py::class_<native_schedule>(m, "Schedule",
                                "A validated schedule description compiled for native evaluation.")
        .def(py::init<py::handle>(), arg("description"))
        .def("__call__", &native_schedule::at, "The learning rate at step index t.", arg("t"))
        .def("values", &native_schedule::values, "Learning rates at steps start .. start + n - 1.",
             arg("n"), arg("start") = 0)
        .def_readonly("kind", &native_schedule::kind);
    m.def(
        "schedule_values",
        [](py::handle desc, py::handle n) {
            return native_schedule(desc).values(n, py::int_(0));
        },
        "The first n learning rates of a schedule description, as float64.", arg("description"),
        arg("n"));
}

}  // namespace steepest::bind
