// Learning-rate schedules as plain value types, evaluated per step without Python.
//
// lr_at(s, t) is the learning rate of optimizer step t + 1, t = 0, 1, 2, ... (torch's
// `last_epoch` after t calls of scheduler.step()). Every kind is closed form in t:
//   constant         lr
//   constant_factor  t < total_iters ? lr * factor : lr                          (ConstantLR)
//   linear           lr * (start + (end - start) * min(t, T) / T)                 (LinearLR)
//   step_decay       lr * gamma^floor(t / step_size)                              (StepLR)
//   multi_step       lr * gamma^k,  k = #{milestones <= t}                        (MultiStepLR)
//   exponential      lr * gamma^t                                                 (ExponentialLR)
//   inverse_time     lr / (1 + decay_rate * s),  s = t / decay_steps (floored when staircase)
//   polynomial       lr * (1 - min(t, T) / T)^power                               (PolynomialLR)
//   cosine           eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2     (CosineAnnealingLR)
//   cosine_restarts  the same with t -> T_cur, T_max -> T_i, where period i has length
//                    T_i = T_0 * T_mult^i and T_cur counts steps since the last restart
//   cyclic           base + (max - base) * h(t) * s,  h the triangle wave (up for step_size_up
//                    steps, down for step_size_down), s = 1 | 1/2^(cycle-1) | gamma^t  (CyclicLR)
//   one_cycle        2 or 3 phases; in a phase from step a to step b, with p = (t - a) / (b - a):
//                    cos: end + (start - end) / 2 * (cos(pi * p) + 1); linear: (end - start) * p
//                    + start; t >= total_steps holds the value of t = total_steps - 1 (OneCycleLR)
//   sequential       child_i(t - m_{i-1}),  i = #{milestones <= t}, m_{-1} = 0     (SequentialLR)
// The operations and their order copy torch's closed forms (pow/cos from libm, no FMA when
// compiled with -ffp-contract=off), so the native values equal the reference bit for bit.
// Parameters are validated by the bindings / Python classes; here they are preconditions.
// SGDR: Loshchilov & Hutter 2017; CLR: Smith 2017; 1cycle: Smith & Topin 2019.
// Twin: steepest.reference.schedules (tests/test_schedules.py).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>
#include <vector>

namespace steepest::schedule {

using step_t = std::int64_t;

inline constexpr double pi = 3.141592653589793;  // == Python's math.pi

namespace detail {
// Number of milestones <= t (Python's bisect_right).
inline std::size_t count_le(const std::vector<step_t>& milestones, step_t t) {
    return static_cast<std::size_t>(std::upper_bound(milestones.begin(), milestones.end(), t) -
                                    milestones.begin());
}
}  // namespace detail

struct constant {
    double lr;
    double at(step_t) const { return lr; }
};

struct constant_factor {
    double lr, factor;
    step_t total_iters;
    double at(step_t t) const { return t < total_iters ? lr * factor : lr; }
};

struct linear {
    double lr, start_factor, end_factor;
    step_t total_iters;
    double at(step_t t) const {
        double m = static_cast<double>(std::min(t, total_iters));
        return lr * (start_factor +
                     (end_factor - start_factor) * m / static_cast<double>(total_iters));
    }
};

struct step_decay {
    double lr;
    step_t step_size;
    double gamma;
    double at(step_t t) const { return lr * std::pow(gamma, static_cast<double>(t / step_size)); }
};

struct multi_step {
    double lr;
    std::vector<step_t> milestones;  // strictly increasing
    double gamma;
    double at(step_t t) const {
        return lr * std::pow(gamma, static_cast<double>(detail::count_le(milestones, t)));
    }
};

struct exponential {
    double lr, gamma;
    double at(step_t t) const { return lr * std::pow(gamma, static_cast<double>(t)); }
};

struct inverse_time {
    double lr, decay_rate;
    step_t decay_steps;
    bool staircase;
    double at(step_t t) const {
        double s = staircase ? static_cast<double>(t / decay_steps)
                             : static_cast<double>(t) / static_cast<double>(decay_steps);
        return lr / (1.0 + decay_rate * s);
    }
};

struct polynomial {
    double lr;
    step_t total_iters;
    double power;
    double at(step_t t) const {
        double m = static_cast<double>(std::min(t, total_iters));
        return lr * std::pow(1.0 - m / static_cast<double>(total_iters), power);
    }
};

// eta_min + (lr - eta_min) * (1 + cos(pi * cur / period)) / 2, in torch's order.
inline double cosine_anneal(double lr, double eta_min, double cur, double period) {
    return eta_min + (lr - eta_min) * (1.0 + std::cos(pi * cur / period)) / 2.0;
}

struct cosine {
    double lr;
    step_t T_max;
    double eta_min;
    double at(step_t t) const {
        return cosine_anneal(lr, eta_min, static_cast<double>(t), static_cast<double>(T_max));
    }
};

struct cosine_restarts {
    double lr;
    step_t T_0, T_mult;
    double eta_min;
    double at(step_t t) const {
        // Walk the periods T_0, T_0*T_mult, ... (exact integers, as torch's recursion); the
        // last period is never formed as an integer, so nothing overflows.
        step_t cur = t, period = T_0;
        double period_d;
        for (;;) {
            if (cur < period) {
                period_d = static_cast<double>(period);
                break;
            }
            cur -= period;
            if (T_mult == 1) {
                cur %= period;
                period_d = static_cast<double>(period);
                break;
            }
            if (period > cur / T_mult) {  // next period is the last: period * T_mult > cur
                period_d = static_cast<double>(period) * static_cast<double>(T_mult);
                break;
            }
            period *= T_mult;
        }
        return cosine_anneal(lr, eta_min, static_cast<double>(cur), period_d);
    }
};

enum class cyclic_mode { triangular, triangular2, exp_range };

struct cyclic {
    double base_lr, max_lr;
    step_t step_size_up, step_size_down;
    cyclic_mode mode;
    double gamma;
    double at(step_t t) const {
        double total = static_cast<double>(step_size_up) + static_cast<double>(step_size_down);
        double ratio = static_cast<double>(step_size_up) / total;
        double td = static_cast<double>(t);
        double cycle = std::floor(1.0 + td / total);
        double x = 1.0 + td / total - cycle;
        double scale = x <= ratio ? x / ratio : (x - 1.0) / (ratio - 1.0);
        double height = (max_lr - base_lr) * scale;
        switch (mode) {
            case cyclic_mode::triangular:
                return base_lr + height * 1.0;
            case cyclic_mode::triangular2:
                return base_lr + height * (1.0 / std::pow(2.0, cycle - 1.0));
            case cyclic_mode::exp_range:
                return base_lr + height * std::pow(gamma, td);
        }
        return base_lr;  // unreachable
    }
};

struct one_cycle_phase {
    double end_step, start_lr, end_lr;
};

struct one_cycle {
    step_t total_steps;
    bool cos;  // anneal_strategy: true = "cos", false = "linear"
    int n_phases;
    one_cycle_phase phases[3];

    // torch's phases: warm-up initial -> max, then max -> min (two phases) or
    // max -> initial -> min (three_phase), with initial = max / div, min = initial / final_div.
    static one_cycle make(double max_lr, step_t total_steps, double pct_start, bool cos,
                          double div_factor, double final_div_factor, bool three_phase) {
        double initial = max_lr / div_factor;
        double min_lr = initial / final_div_factor;
        double T = static_cast<double>(total_steps);
        double last = static_cast<double>(total_steps - 1);
        one_cycle c{total_steps, cos, three_phase ? 3 : 2, {}};
        c.phases[0] = {pct_start * T - 1.0, initial, max_lr};
        if (three_phase) {
            c.phases[1] = {2.0 * pct_start * T - 2.0, max_lr, initial};
            c.phases[2] = {last, initial, min_lr};
        } else {
            c.phases[1] = {last, max_lr, min_lr};
        }
        return c;
    }

    double at(step_t t) const {
        double step = static_cast<double>(std::min(t, total_steps - 1));
        double start_step = 0.0;
        for (int i = 0; i < n_phases; ++i) {
            const one_cycle_phase& ph = phases[i];
            if (step <= ph.end_step || i == n_phases - 1) {
                double pct = (step - start_step) / (ph.end_step - start_step);
                if (cos) {
                    double cos_out = std::cos(pi * pct) + 1.0;
                    return ph.end_lr + (ph.start_lr - ph.end_lr) / 2.0 * cos_out;
                }
                return (ph.end_lr - ph.start_lr) * pct + ph.start_lr;
            }
            start_step = ph.end_step;
        }
        return 0.0;  // unreachable
    }
};

// Children are indices into schedule::nodes; child i runs from milestones[i-1] on, restarted at
// its own t = 0 (torch's SequentialLR with closed-form children).
struct sequential {
    std::vector<std::size_t> children;  // size == milestones.size() + 1
    std::vector<step_t> milestones;     // strictly increasing, >= 1
};

using node = std::variant<constant, constant_factor, linear, step_decay, multi_step, exponential,
                          inverse_time, polynomial, cosine, cosine_restarts, cyclic, one_cycle,
                          sequential>;

// A schedule: nodes[0] is the root; a sequential node refers to later nodes.
struct schedule {
    std::vector<node> nodes;
};

// The learning rate at step index t >= 0 (one switch per nesting level, no virtual calls).
inline double lr_at(const schedule& s, step_t t) {
    std::size_t index = 0;
    for (;;) {
        const node& n = s.nodes[index];
        if (const auto* seq = std::get_if<sequential>(&n)) {
            std::size_t k = detail::count_le(seq->milestones, t);
            if (k > 0) t -= seq->milestones[k - 1];
            index = seq->children[k];
            continue;
        }
        return std::visit(
            [t](const auto& kind) -> double {
                if constexpr (std::is_same_v<std::decay_t<decltype(kind)>, sequential>) {
                    return 0.0;  // handled above
                } else {
                    return kind.at(t);
                }
            },
            n);
    }
}

// out[i] = lr_at(s, start + i) for i < n.
inline void fill_values(const schedule& s, step_t start, std::ptrdiff_t n, double* out) {
    for (std::ptrdiff_t i = 0; i < n; ++i) out[i] = lr_at(s, start + static_cast<step_t>(i));
}

}  // namespace steepest::schedule
