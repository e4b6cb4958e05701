// One batch's parameter update as the training loops run it (train/loop.hpp):
// the rule's plans, its pieces, the moving average, two-pass rules, and the
// serial batch (loss, gradient, update on the calling thread).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "steepest/core/parallel.hpp"
#include "steepest/model/dense.hpp"
#include "steepest/rules/plan.hpp"
#include "steepest/train/rows.hpp"
#include "steepest/train/state.hpp"

namespace steepest::train {

namespace detail {

template <class T>
T* param_of(model::network<T>& net, std::size_t i) {
    return i % 2 == 0 ? net.weights[i / 2] : net.biases[i / 2];
}

// The plans of step t at learning rate lr: one for every param, or one per
// param from its scalars (`cells`, updated) for a rule keeping them.
template <class T>
void plan_params(const optimizer<T>& opt, long long t, double lr, std::vector<scalar_row>& cells,
                 std::vector<step_plan<T>>& out) {
    out.clear();
    if (cells.empty()) {
        out.push_back(plan_step<T>(opt.r, t, lr));
        return;
    }
    for (scalar_row& c : cells) out.push_back(plan_step<T>(opt.r, t, lr, c.data()));
}

// The update of param i on elements [lo, hi) from grad g (already offset),
// with its average `ema` when the optimizer keeps one.
template <class T>
void update_piece(model::network<T>& net, optimizer<T>& opt,
                  const std::vector<step_plan<T>>& plans, std::size_t i, const T* g, index_t lo,
                  index_t hi, const ema_pass<T>& ema) {
    const step_plan<T>& plan = plans[plans.size() == 1 ? 0 : i];
    T* s[max_state_slots] = {};
    for (std::size_t k = 0; k < opt.state.size(); ++k) {
        T* a = opt.state[k][i];
        s[k] = a ? a + lo : a;
    }
    T* e = opt.ema.empty() ? nullptr : opt.ema[i] + lo;
    leaf_then_ema(plan.leaf, param_of(net, i) + lo, g, s, hi - lo, plan.coeffs(), e, ema);
}

// With an L1 penalty the average must see the thresholded weights, so the
// rule's pass carries none and average_piece follows the shrink instead.
template <class T>
ema_pass<T> fused_ema(const model::network<T>& net, const ema_pass<T>& ema) {
    return net.pen.a1 != 0 ? ema_pass<T>{} : ema;
}

// The average of param i on elements [lo, hi) after the shrink (see fused_ema).
template <class T>
void average_piece(model::network<T>& net, optimizer<T>& opt, std::size_t i, index_t lo,
                   index_t hi, const ema_pass<T>& ema) {
    if (!ema.on || net.pen.a1 == 0 || opt.ema.empty()) return;
    kernels<T>().ema(opt.ema[i] + lo, param_of(net, i) + lo, hi - lo, ema.decay, ema.weight);
}

// A two-pass rule's step over every param (rules/plan.hpp), from grads g.
template <class T>
void two_pass_update(model::network<T>& net, optimizer<T>& opt, const step_plan<T>& plan,
                     const std::vector<std::vector<T>>& g, const std::vector<index_t>& sizes,
                     const ema_pass<T>& ema) {
    auto at = [&](std::size_t i, index_t lo) {
        piece_args<T> a{param_of(net, i) + lo, g[i].data() + lo, {},
                        opt.ema.empty() ? nullptr : opt.ema[i] + lo};
        for (std::size_t k = 0; k < opt.state.size(); ++k) {
            T* s = opt.state[k][i];
            a.s[k] = s ? s + lo : s;
        }
        return a;
    };
    run_two_pass_at(plan, sizes, at, no_check{}, ema);
}

// Serial batch: loss and gradient on this thread, then the update (threaded
// only when the parameters are many).
template <class T>
T serial_batch(model::network<T>& net, model::workspace<T>& ws, optimizer<T>& opt,
               const batch_rows<T>& rows, index_t b, const std::vector<index_t>& sizes,
               index_t count) {
    const T J = model::loss_and_grad(net, ws, rows.a0, rows.labels, rows.targets, rows.weights, b,
                                     rows.csr);
    if (!std::isfinite(J)) return J;
    std::vector<step_plan<T>> plans;
    const double lr = opt.lr_after(opt.steps);
    plan_params(opt, opt.steps + 1, lr, opt.scalars, plans);
    const double weight = plans[0].weight;
    const ema_pass<T> ema = opt.ema_at(opt.steps + 1);
    const ema_pass<T> fused = fused_ema(net, ema);
    auto run = [&](std::size_t i, index_t lo, index_t hi) {
        update_piece(net, opt, plans, i, ws.grads[i].data() + lo, lo, hi, fused);
    };
    if (plans[0].measure != nullptr) {
        two_pass_update(net, opt, plans[0], ws.grads, sizes, fused);
    } else if (count < grain_for(weight) || max_threads() <= 1) {
        for (std::size_t i = 0; i < sizes.size(); ++i) run(i, 0, sizes[i]);
    } else {
        for_each_piece(sizes, weight, run);
    }
    for (std::size_t l = 0; l < net.layers(); ++l) net.pen.shrink(net.weights[l], sizes[2 * l], lr);
    for (std::size_t i = 0; i < sizes.size(); ++i) average_piece(net, opt, i, 0, sizes[i], ema);
    opt.steps += 1;
    return J;
}

}  // namespace detail

}  // namespace steepest::train
