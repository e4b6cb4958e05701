// Rprop, following torch.optim.Rprop (resilient backpropagation, full batch):
//   g <- sign * g
//   q = g * prev
//   f = etaplus (q > 0), etaminus (q < 0), 1 otherwise (q zero or NaN)
//   step_size <- min(max(step_size * f, step_size_min), step_size_max)   (NaN kept)
//   g <- 0 where q < 0                   (after a sign change: no move, no memory)
//   p <- p - sgn(g) * step_size;  prev <- g
// sgn is -1, 0 or 1, and 0 for NaN, as torch.sign; torch's sign(NaN) = 0 also
// makes a NaN product count as "no change" (f = 1), so does this. The
// learning rate plays no part in a step: it is only where step_size starts
// (the classes' state slot, Slot(init="lr")). etaminus < 1 < etaplus (the
// ranges) makes "f == etaminus", torch's test, the same as q < 0.
// Riedmiller & Braun, "A direct adaptive method for faster backpropagation
// learning: the RPROP algorithm", ICNN 1993.
// Twin: steepest.reference.functional.rprop_step; tests/optim/test_parity.py.
#pragma once

#include <array>

#include "steepest/rules/rule.hpp"

namespace steepest::rules {

struct rprop {
    static constexpr const char* name = "rprop";
    static constexpr const char* doc = "Rprop step over lists of arrays, in place.";
    static constexpr bool uses_step = false;  // each element adapts its own step size
    static constexpr std::array<const char*, 2> state = {"prev", "step_size"};
    static constexpr std::array<const char*, 2> required_when = {nullptr, nullptr};
    static constexpr int variants = 1;

    double etaminus = 0, etaplus = 0, step_size_min = 0, step_size_max = 0;
    bool maximize = false;

    template <class V>
    constexpr void hyperparameters(V& v) {
        v.real("etaminus", etaminus, range::unit_interior);
        v.real("etaplus", etaplus, range::above_one);
        v.real("step_size_min", step_size_min, range::nonnegative);
        v.real("step_size_max", step_size_max, range::nonnegative);
        v.flag("maximize", maximize);
    }

    // step_size_min > step_size_max is torch's clamp: every step size is the maximum
    const char* invalid() const { return nullptr; }

    bool uses(std::size_t) const { return true; }

    template <class T>
    struct coeffs {
        T etaminus, etaplus, lo, hi, sign;
    };

    template <class T>
    coeffs<T> plan(long long, double) const {
        const double sign = maximize ? -1.0 : 1.0;
        return {T(etaminus), T(etaplus), T(step_size_min), T(step_size_max), T(sign)};
    }

    int variant(long long) const { return 0; }

    // Adam's traffic (two state arrays) without its root and division.
    double weight() const { return 0.8; }

    template <class T, int V>
    static STEEPEST_INLINE void chunk(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                      T* const* s, index_t n, const coeffs<T>& c) {
        kernel<T>(p, g, s[0], s[1], n, c);
    }

    template <class T>
    static STEEPEST_INLINE void kernel(T* STEEPEST_RESTRICT p, const T* STEEPEST_RESTRICT g,
                                       T* STEEPEST_RESTRICT prev, T* STEEPEST_RESTRICT ss,
                                       index_t n, const coeffs<T>& c) {
        // in registers: a select of a value loaded through `c` is a
        // conditional load, which keeps the loop from vectorising
        const T up = c.etaplus, down = c.etaminus, lo = c.lo, hi = c.hi, sign = c.sign;
#pragma omp simd
        for (index_t i = 0; i < n; ++i) {
            // every comparison unconditional, each select of two values:
            // nested ?: would compare conditionally, which stays a branch
            T gi = sign * g[i];
            const T q = gi * prev[i];
            const bool same = q > T(0), flipped = q < T(0);
            T f = same ? up : T(1);
            f = flipped ? down : f;
            T si = ss[i] * f;
            si = si < lo ? lo : si;
            si = si > hi ? hi : si;
            gi = flipped ? T(0) : gi;
            const bool pos = gi > T(0), neg = gi < T(0);
            T sg = pos ? T(1) : T(0);
            sg = neg ? T(-1) : sg;
            ss[i] = si;
            prev[i] = gi;
            p[i] = p[i] - sg * si;
        }
    }
};

}  // namespace steepest::rules
