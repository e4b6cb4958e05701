// Schedule-Free SGD and AdamW, following the authors' schedulefree package
// (SGDScheduleFree, AdamWScheduleFree). The param holds y, where the gradient
// is taken; z is the base iterate (it starts as a copy of the param) and the
// point to evaluate is x = y + (1 - 1/beta) * (z - y), never stored.
// Per step, in double, from the step number t = k + 1 and the param's scalars:
//   lr_t = lr * min(1, t / warmup_steps)                 (linear warm-up)
//   lr_max <- max(lr_max, lr_t)                          (starts at -1)
//   w = t^r * lr_max^weight_lr_power;  weight_sum <- weight_sum + w
//   c = w / weight_sum  (0 when weight_sum is 0)
// then per element, with beta = momentum (SGD) or beta1 (AdamW):
//   AdamW: v <- beta2 * v + (1 - beta2) * g * g;  g <- g / (sqrt(v / bc2) + eps)
//          bc2 = 1 - beta2^t
//   g <- g + wd * y                                      (when wd != 0)
//   y <- y + c * (z - y);  y <- y + lr_t * (beta * (1 - c) - 1) * g
//   z <- z - lr_t * g
// schedulefree's order of operations, left to right as written (its lerp
// rounds otherwise when c >= 0.5; the two agree to rounding). lr_max and
// weight_sum are the group's numbers in schedulefree; here each param keeps
// them as scalars (in double, as Python's floats), so the step reads nothing
// it is not given and every param of a group holds the same values.
// Defazio et al., "The Road Less Scheduled", arXiv:2405.15682 (2024).
// Twin: steepest.reference.functional.sgd_schedulefree_step and
// adamw_schedulefree_step; tests/optim/test_parity.py.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

namespace detail {

// The per-step numbers both rules share: the warmed-up lr and the weight c of
// z in the new y; updates the param's lr_max (s[0]) and weight_sum (s[1]).
struct schedulefree_plan {
    double lr, c;
};

inline schedulefree_plan schedulefree_weights(long long t, double lr, double warmup_steps,
                                              double r, double weight_lr_power,
                                              scalar_cell* s) {
    const double td = static_cast<double>(t);
    const double sched = td - 1.0 < warmup_steps ? td / warmup_steps : 1.0;
    const double lr_t = lr * sched;
    const double lr_max = s[0].set(std::max(lr_t, s[0].value));
    const double w = std::pow(td, r) * std::pow(lr_max, weight_lr_power);
    const double sum = s[1].set(s[1].value + w);
    return {lr_t, sum == 0 ? 0.0 : w / sum};
}

}  // namespace detail

struct sgd_schedulefree {
    static constexpr const char* name = "sgd_schedulefree";
    static constexpr const char* doc = "Schedule-Free SGD step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 1> state = {"z"};
    static constexpr std::array<const char*, 1> required_when = {nullptr};
    static constexpr std::array<const char*, 2> scalars = {"lr_max", "weight_sum"};
    static constexpr int variants = 2;  // [weight decay]

    double momentum = 0, weight_decay = 0, warmup_steps = 0, r = 0, weight_lr_power = 0;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("momentum", momentum, range::unit_interior);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.real("warmup_steps", warmup_steps, range::nonnegative);
        v.real("r", r, range::nonnegative);
        v.real("weight_lr_power", weight_lr_power, range::nonnegative);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T c, c_y, lr, wd;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr, scalar_cell* s) const {
        const auto w = detail::schedulefree_weights(t, lr, warmup_steps, r, weight_lr_power, s);
        const double c_y = w.lr * (momentum * (1.0 - w.c) - 1.0);
        return {T(w.c), T(c_y), T(w.lr), T(weight_decay)};
    }

    int variant(long long, const scalar_cell*) const { return weight_decay != 0; }

    // SGD with momentum's traffic (one state array), a few more operations.
    double weight() const { return 0.5; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], n, c);
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT z, index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T y = p[i];
            T zi = z[i];
            T gi = g[i];
            if constexpr (WD) gi = gi + c.wd * y;
            y = y + c.c * (zi - y);
            p[i] = y + c.c_y * gi;
            z[i] = zi - c.lr * gi;
        }
    }
};

struct adamw_schedulefree {
    static constexpr const char* name = "adamw_schedulefree";
    static constexpr const char* doc = "Schedule-Free AdamW step over lists of arrays, in place.";
    static constexpr bool uses_step = true;
    static constexpr std::array<const char*, 2> state = {"z", "v"};  // schedulefree: z, exp_avg_sq
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr std::array<const char*, 2> scalars = {"lr_max", "weight_sum"};
    static constexpr int variants = 2;  // [weight decay]

    double beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0, warmup_steps = 0, r = 0,
           weight_lr_power = 0;

    template <class V>
    constexpr void hyperparameters(V& v) {
        // beta1 > 0: x divides by it
        v.real("beta1", beta1, range::unit_interior);
        v.real("beta2", beta2, range::unit_open);
        v.real("eps", eps, range::positive);
        v.real("weight_decay", weight_decay, range::nonnegative);
        v.real("warmup_steps", warmup_steps, range::nonnegative);
        v.real("r", r, range::nonnegative);
        v.real("weight_lr_power", weight_lr_power, range::nonnegative);
    }

    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T b2, omb2, bc2, eps, c, c_y, lr, wd;
    };

    template <class T>
    coeffs<T> plan(long long t, double lr, scalar_cell* s) const {
        const auto w = detail::schedulefree_weights(t, lr, warmup_steps, r, weight_lr_power, s);
        const double c_y = w.lr * (beta1 * (1.0 - w.c) - 1.0);
        const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(t));
        return {T(beta2), T(1.0 - beta2), T(bc2), T(eps), T(w.c), T(c_y), T(w.lr),
                T(weight_decay)};
    }

    int variant(long long, const scalar_cell*) const { return weight_decay != 0; }

    // Adam's traffic, with schedulefree's two divisions.
    double weight() const { return 1.1; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T, V == 1>(p, g, s[0], s[1], n, c);
    }

    template <class T, bool WD>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT z, T* STEEPEST_RESTRICT v,
                                       index_t n, const coeffs<T>& c) {
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            T y = p[i];
            T zi = z[i];
            T gi = g[i];
            T vi = c.b2 * v[i] + c.omb2 * gi * gi;
            v[i] = vi;
            gi = gi / (sqrt_(vi / c.bc2) + c.eps);
            if constexpr (WD) gi = gi + c.wd * y;
            y = y + c.c * (zi - y);
            p[i] = y + c.c_y * gi;
            z[i] = zi - c.lr * gi;
        }
    }
};

}  // namespace steepest::rules
