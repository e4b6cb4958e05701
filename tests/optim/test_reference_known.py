"""Both backends against values worked out by hand from torch.optim's formulas.

Each ``*_by_hand`` function is the update rule of the torch.optim
documentation (and of its single-tensor implementation where the two differ:
``maximize`` negates the gradient before weight decay, and AMSGrad keeps the
maximum of the raw second moment, bias-correcting it afterwards) written out
on Python floats with ``math.sqrt``, one element at a time, one step at a
time; it shares no code with :mod:`steepest`. Every row of the case table
(``tests/_cases.py``) carries its params after three steps from
``KNOWN_P0`` with ``KNOWN_GRADS``, printed from these functions; the rows,
and the option combinations the table leaves out (``EXTRA``), run on both
backends in float64 and float32 and are compared after every step, states
included. A few dyadic cases are checked against literals exact in binary.
Twins under test: ``python/steepest/reference/functional/`` and the native
kernels behind ``steepest.functional``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import steepest

from .._cases import CASE_IDS, CASES, KNOWN_GRADS, KNOWN_P0, Case, call_step, new_state

# Relative agreement with the hand values: float64 is a few roundings off
# after three steps (measured <= 4.5e-16); float32 runs on inputs exact in
# float32 but with hyperparameters rounded to it (measured <= 2.4e-7).
RTOL = {np.float64: 1e-15, np.float32: 1e-6}

State = dict[str, float]
Trace = list[tuple[float, State]]  # after each step: the param and its states
Grads = Sequence[Sequence[float]]


# -- the rules, one element at a time ---------------------------------------------------
# ``planted`` names a deliberate bug, used only by test_planted_bugs_are_caught.


def signed_l2(g: float, x: float, weight_decay: float, maximize: bool,
              planted: str) -> float:  # fmt: skip
    """torch's order: the sign on the gradient, then the L2 term ``wd * x``."""
    if planted == "maximize-after-wd":
        g = g + weight_decay * x
        return -g if maximize else g
    return (-g if maximize else g) + weight_decay * x


def sgd_by_hand(x: float, gs: Sequence[float], *, lr: float, momentum: float = 0.0,
                dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                maximize: bool = False, planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    b = 0.0
    for t, g in enumerate(gs, start=1):
        g = signed_l2(g, x, weight_decay, maximize, planted)
        if momentum != 0:
            # torch: the first step sets buf = g, ignoring dampening.
            first = t == 1 and planted != "dampening-at-first-step"
            b = g if first else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov and planted != "nesterov-ignored" else b
        x = x - lr * g
        out.append((x, {"momentum_buffer": b}))
    return out


def adagrad_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-2,
                    lr_decay: float = 0.0, weight_decay: float = 0.0, eps: float = 1e-10,
                    init: float = 0.0, maximize: bool = False,
                    planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    s = 0.0 if planted == "initial-ignored" else init
    for t, g in enumerate(gs, start=1):
        g = signed_l2(g, x, weight_decay, maximize, planted)
        k = t if planted == "lr-decay-off-by-one" else t - 1
        clr = lr / (1 + k * lr_decay)
        s = s + g * g
        x = x - clr * g / (math.sqrt(s) + eps)
        out.append((x, {"state_sum": s}))
    return out


def rmsprop_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-2, alpha: float = 0.99,
                    eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                    centered: bool = False, maximize: bool = False,
                    planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    v = ga = b = 0.0
    for g in gs:
        g = signed_l2(g, x, weight_decay, maximize, planted)
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            ga = alpha * ga + (1 - alpha) * g
            d = math.sqrt(v - ga * ga) + eps
        elif planted == "eps-inside-sqrt":
            d = math.sqrt(v + eps)
        else:
            d = math.sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            x = x - lr * b
        else:
            x = x - lr * g / d
        out.append((x, {"square_avg": v, "grad_avg": ga, "momentum_buffer": b}))
    return out


def adam_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, maximize: bool = False, decoupled: bool = False,
                 planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    m = v = v_max = 0.0
    for t, g in enumerate(gs, start=1):
        g = -g if maximize else g
        if decoupled and planted != "decay-after-update":
            x = x * (1 - lr * weight_decay)  # AdamW: shrink p before the update
        elif not decoupled:
            g = g + weight_decay * x
            if planted == "maximize-after-wd" and maximize:
                g = g - 2 * weight_decay * x  # = -(grad + wd * x)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        bc2 = 1 - beta2**t
        if amsgrad and planted == "amsgrad-max-of-corrected":  # the docs' wording
            v_max = max(v_max, v / bc2)
            denom = math.sqrt(v_max) + eps
        else:
            v_max = max(v_max, v)
            # torch: eps added to sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t), outside the root.
            denom = math.sqrt(v_max if amsgrad else v) / math.sqrt(bc2) + eps
        x = x - (lr / (1 - beta1**t)) * m / denom
        if decoupled and planted == "decay-after-update":
            x = x * (1 - lr * weight_decay)
        out.append((x, {"m": m, "v": v, "v_max": v_max}))
    return out


def adamax_by_hand(x: float, gs: Sequence[float], *, lr: float = 2e-3, beta1: float = 0.9,
                   beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                   maximize: bool = False, planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    m = u = 0.0
    for t, g in enumerate(gs, start=1):
        g = signed_l2(g, x, weight_decay, maximize, planted)
        m = beta1 * m + (1 - beta1) * g
        if planted == "eps-outside-max":  # Kingma and Ba's algorithm box has no eps
            u = max(beta2 * u, abs(g))
            denom = u + eps
        else:
            # torch: eps inside the maximum, so u itself never falls below eps.
            u = max(beta2 * u, abs(g) + eps)
            denom = u
        clr = lr if planted == "no-bias-correction" else lr / (1 - beta1**t)
        x = x - clr * m / denom
        out.append((x, {"m": m, "u": u}))
    return out


def adadelta_by_hand(x: float, gs: Sequence[float], *, lr: float = 1.0, rho: float = 0.9,
                     eps: float = 1e-6, weight_decay: float = 0.0, maximize: bool = False,
                     planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    v = u = 0.0
    for g in gs:
        g = signed_l2(g, x, weight_decay, maximize, planted)
        v_old = v
        v = rho * v + (1 - rho) * g * g
        if planted == "eps-outside-sqrt":
            d = (math.sqrt(u) + eps) / (math.sqrt(v) + eps) * g
        elif planted == "old-square-avg":  # the step scaled before v takes in g
            d = math.sqrt(u + eps) / math.sqrt(v_old + eps) * g
        else:
            # torch: the step uses u before its update, the new v, eps in both roots.
            d = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d * d
        x = x - lr * d
        out.append((x, {"square_avg": v, "acc_delta": u}))
    return out


def radam_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-3, beta1: float = 0.9,
                  beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                  decoupled_weight_decay: bool = False, maximize: bool = False,
                  planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    m = v = 0.0
    rho_inf = 2 / (1 - beta2) - 1
    for t, g in enumerate(gs, start=1):
        if decoupled_weight_decay:
            g = -g if maximize else g
            if planted != "decay-after-update":
                x = x * (1 - lr * weight_decay)
        else:
            g = signed_l2(g, x, weight_decay, maximize, planted)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m if planted == "no-bias-correction" else m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5 and planted != "never-rectified":
            if planted == "eps-bias-corrected":  # Adam's placement
                l_t = 1 / (math.sqrt(v / (1 - beta2**t)) + eps)
            else:
                l_t = math.sqrt(1 - beta2**t) / (math.sqrt(v) + eps)
            r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t))  # fmt: skip
            if planted == "no-rectification-term":
                r_t = 1.0
            x = x - lr * m_hat * r_t * l_t
        else:
            x = x - lr * m_hat
        if planted == "decay-after-update":
            x = x * (1 - lr * weight_decay)
        out.append((x, {"m": m, "v": v}))
    return out


def nadam_by_hand(x: float, gs: Sequence[float], *, lr: float = 2e-3, beta1: float = 0.9,
                  beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                  momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False,
                  maximize: bool = False, planted: str = "") -> Trace:  # fmt: skip
    # torch's algorithm box: m_hat mixes the new momentum (weighted by mu_{t+1}
    # over the product up to t + 1) and the gradient (by 1 - mu_t over the
    # product up to t); the products in double, as steepest keeps them.
    out: Trace = []
    m = v = 0.0
    prod = 1.0
    for t, g in enumerate(gs, start=1):
        if decoupled_weight_decay:
            g = -g if maximize else g
            x = x * (1 - lr * weight_decay)
        else:
            g = signed_l2(g, x, weight_decay, maximize, planted)
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        if planted == "mu-without-schedule":
            mu = mu_next = beta1
        prod = prod * mu
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        # planted: Adam's bias-corrected m, without Nesterov's look-ahead
        if planted == "adam-momentum":
            m_hat = m / (1 - beta1**t)
        else:
            m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu) * g / (1 - prod)
        v_hat = v / (1 - beta2**t)
        x = x - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append((x, {"m": m, "v": v, "mu_product": prod}))
    return out


def rprop_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-2, etaminus: float = 0.5,
                  etaplus: float = 1.2, step_size_min: float = 1e-6,
                  step_size_max: float = 50.0, maximize: bool = False,
                  planted: str = "") -> Trace:  # fmt: skip
    out: Trace = []
    prev, size = 0.0, lr  # the step size starts at lr, as torch's state does
    for g in gs:
        g = -g if maximize else g
        q = g * prev
        f = etaplus if q > 0 else etaminus if q < 0 else 1.0
        old = size
        size = size * f if planted == "no-clamp" else min(max(size * f, step_size_min),
                                                           step_size_max)  # fmt: skip
        if q < 0 and planted != "keep-flipped-grad":
            g = 0.0  # after a sign change: no move now, and no change seen next step
        sign = (g > 0) - (g < 0)
        x = x - sign * (old if planted == "old-step-size" else size)
        prev = g
        out.append((x, {"prev": prev, "step_size": size}))
    return out


def asgd_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0,
                 maximize: bool = False, planted: str = "") -> Trace:  # fmt: skip
    # torch: step t moves by the eta stored at the end of step t - 1 (the
    # initial lr at t = 1) and averages with that mu (1: ax copies x).
    out: Trace = []
    ax, eta, mu = 0.0, lr, 1.0
    for t, g in enumerate(gs, start=1):
        g = signed_l2(g, x, weight_decay, maximize, planted)
        if planted == "eta-of-this-step":
            eta = lr / (1 + lambd * lr * t) ** alpha
        x = x * (1 - lambd * eta)
        x = x - eta * g
        ax = x if mu == 1 else ax + mu * (x - ax)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)
        out.append((x, {"ax": ax, "eta": eta, "mu": mu}))
    return out


def lamb_by_hand(xs: Sequence[float], gss: Sequence[Sequence[float]], *, lr: float = 1e-3,
                 beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-6,
                 eps_root: float = 0.0, weight_decay: float = 0.0, maximize: bool = False,
                 planted: str = "") -> list[Trace]:  # fmt: skip
    """optax.lamb on one array: Adam's direction, then ||x|| / ||u|| over all of it."""
    n = len(xs)
    xs = list(xs)
    m, v = [0.0] * n, [0.0] * n
    out: list[Trace] = [[] for _ in range(n)]
    for t, gs in enumerate(gss, start=1):
        u = [0.0] * n
        for i in range(n):
            g = -gs[i] if maximize else gs[i]
            m[i] = (1 - beta1) * g + beta1 * m[i]
            v[i] = (1 - beta2) * (g * g) + beta2 * v[i]
            m_hat = m[i] if planted == "no-bias-correction" else m[i] / (1 - beta1**t)
            v_hat = v[i] if planted == "no-bias-correction" else v[i] / (1 - beta2**t)
            u[i] = m_hat / (math.sqrt(v_hat + eps_root) + eps) + weight_decay * xs[i]
        x_norm = math.sqrt(sum(x * x for x in xs))
        u_norm = math.sqrt(sum(w * w for w in u))
        if planted == "decay-after-ratio":  # the weight decay left out of ||u|| and r
            u_norm = math.sqrt(
                sum((w - weight_decay * x) ** 2 for w, x in zip(u, xs, strict=True))
            )
        r = 1.0 if x_norm == 0 or u_norm == 0 else x_norm / u_norm
        if planted == "no-trust-ratio":
            r = 1.0
        xs = [x - lr * r * w for x, w in zip(xs, u, strict=True)]
        for i in range(n):
            out[i].append((xs[i], {"m": m[i], "v": v[i]}))
    return out


#: rules whose update couples the elements of an array: called on all of it
WHOLE: dict[str, Callable[..., list[Trace]]] = {"lamb_step": lamb_by_hand}


def lion_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-4, beta1: float = 0.9,
                 beta2: float = 0.99, weight_decay: float = 1e-3, maximize: bool = False,
                 planted: str = "") -> Trace:  # fmt: skip
    """The paper's algorithm 2 (as optax.lion): torch.optim has no Lion."""
    out: Trace = []
    m = 0.0
    for g in gs:
        g = -g if maximize else g
        if planted == "momentum-first":  # the update interpolates with the new m
            m = beta2 * m + (1 - beta2) * g
        c = beta1 * m + (1 - beta1) * g
        if planted == "l2-decay":  # weight decay in the gradient, before the sign
            c = c + (1 - beta1) * weight_decay * x
        s = 1.0 if c > 0 else -1.0 if c < 0 else 0.0
        if planted == "sign-of-zero-is-one":
            s = 1.0 if c >= 0 else -1.0
        if planted == "l2-decay":
            x = x - lr * s
        elif planted == "decay-after-update":
            x = x - lr * s
            x = x - lr * weight_decay * x
        else:
            x = x - lr * (s + weight_decay * x)
        if planted != "momentum-first":
            m = beta2 * m + (1 - beta2) * g
        out.append((x, {"m": m}))
    return out


def adabelief_by_hand(x: float, gs: Sequence[float], *, lr: float = 1e-3, beta1: float = 0.9,
                      beta2: float = 0.999, eps: float = 1e-16, eps_root: float = 1e-16,
                      maximize: bool = False, planted: str = "") -> Trace:  # fmt: skip
    """The paper's algorithm 2 (as optax.adabelief): torch.optim has no AdaBelief."""
    out: Trace = []
    m = s = 0.0
    for t, g in enumerate(gs, start=1):
        g = -g if maximize else g
        m_old = m
        m = beta1 * m + (1 - beta1) * g
        # the belief: how far g is from its prediction m (the new one)
        e = g - (m_old if planted == "old-m-in-error" else m)
        s = beta2 * s + (1 - beta2) * e * e
        if planted != "eps-root-not-kept":
            s = s + eps_root
        m_hat = m / (1 - beta1**t)
        s_hat = s / (1 - beta2**t)
        if planted == "eps-root-not-kept":
            s_hat = s_hat + eps_root
        if planted == "eps-inside-sqrt":
            x = x - lr * m_hat / math.sqrt(s_hat + eps)
        else:
            x = x - lr * m_hat / (math.sqrt(s_hat) + eps)
        out.append((x, {"m": m, "s": s}))
    return out


def _schedulefree_weight(t: int, lr: float, lr_max: float, weight_sum: float,
                         warmup_steps: float, r: float, weight_lr_power: float,
                         planted: str) -> tuple[float, float, float, float]:  # fmt: skip
    """Step t's lr (linear warm-up), lr_max, weight_sum and the weight c of z in x."""
    if t <= warmup_steps and planted != "no-warmup":
        lr = lr * t / warmup_steps
    lr_max = max(lr_max, lr)
    w = t**r * lr_max**weight_lr_power
    weight_sum += w
    c = (
        1 / t
        if planted == "uniform-average"
        else (w / weight_sum if weight_sum else 0.0)
    )
    return lr, lr_max, weight_sum, c


def schedulefree_by_hand(x: float, gs: Sequence[float], *, beta: float,
                         normalise: Callable[[int, float, dict[str, float]], float],
                         lr: float, weight_decay: float, warmup_steps: float, r: float,
                         weight_lr_power: float, planted: str) -> Trace:  # fmt: skip
    # The paper's form (Defazio et al. 2024, algorithm 1), not schedulefree's
    # in-place y: z steps by the gradient taken at y, x averages the z's with
    # weights c, y interpolates: y = (1 - beta) z + beta x.
    out: Trace = []
    y = z = xa = x
    lr_max, weight_sum = -1.0, 0.0
    state: dict[str, float] = {}
    for t, g in enumerate(gs, start=1):
        lr_t, lr_max, weight_sum, c = _schedulefree_weight(
            t, lr, lr_max, weight_sum, warmup_steps, r, weight_lr_power, planted
        )
        g = normalise(t, g, state)
        g = g + weight_decay * (xa if planted == "decay-at-x" else y)
        z = z - lr_t * g
        xa = (1 - c) * xa + c * z
        y = (1 - beta) * z + beta * xa
        out.append((y, {"z": z, **state, "lr_max": lr_max, "weight_sum": weight_sum}))
    return out


def sgd_schedulefree_by_hand(x: float, gs: Sequence[float], *, lr: float = 1.0,
                             momentum: float = 0.9, weight_decay: float = 0.0,
                             warmup_steps: float = 0, r: float = 0.0,
                             weight_lr_power: float = 2.0, planted: str = "") -> Trace:  # fmt: skip
    return schedulefree_by_hand(
        x, gs, beta=momentum, normalise=lambda t, g, state: g, lr=lr,
        weight_decay=weight_decay, warmup_steps=warmup_steps, r=r,
        weight_lr_power=weight_lr_power, planted=planted,
    )  # fmt: skip


def adamw_schedulefree_by_hand(x: float, gs: Sequence[float], *, lr: float = 0.0025,
                               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                               weight_decay: float = 0.0, warmup_steps: float = 0,
                               r: float = 0.0, weight_lr_power: float = 2.0,
                               planted: str = "") -> Trace:  # fmt: skip
    def normalise(t: int, g: float, state: dict[str, float]) -> float:
        # Adam's second moment, bias-corrected; no first moment (x averages)
        v = beta2 * state.get("v", 0.0) + (1 - beta2) * g * g
        state["v"] = v
        v_hat = v if planted == "no-bias-correction" else v / (1 - beta2**t)
        return g / (math.sqrt(v_hat) + eps)

    return schedulefree_by_hand(
        x, gs, beta=beta1, normalise=normalise, lr=lr, weight_decay=weight_decay,
        warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power, planted=planted,
    )  # fmt: skip


RULES: dict[str, Callable[..., Trace]] = {
    "sgd_step": sgd_by_hand,
    "adagrad_step": adagrad_by_hand,
    "rmsprop_step": rmsprop_by_hand,
    "adam_step": adam_by_hand,
    "adamw_step": lambda x, gs, **kw: adam_by_hand(x, gs, decoupled=True, **kw),
    "adamax_step": adamax_by_hand,
    "adadelta_step": adadelta_by_hand,
    "radam_step": radam_by_hand,
    "nadam_step": nadam_by_hand,
    "rprop_step": rprop_by_hand,
    "asgd_step": asgd_by_hand,
    "lion_step": lion_by_hand,
    "adabelief_step": adabelief_by_hand,
    "sgd_schedulefree_step": sgd_schedulefree_by_hand,
    "adamw_schedulefree_step": adamw_schedulefree_by_hand,
}


def initial_sum(case: Case) -> float:
    """Adagrad's starting accumulator, as the row's class is given it."""
    return float(case.init)


def by_hand(case: Case, p0: Sequence[float] = KNOWN_P0, grads: Grads = KNOWN_GRADS,
            planted: str = "") -> list[tuple[list[float], dict[str, list[float]]]]:  # fmt: skip
    """After each step: the params and the states (by name) of ``case``'s rule."""
    kw: dict[str, Any] = dict(case.kwargs)
    if case.fn == "adamw_step":
        kw.setdefault("weight_decay", 1e-2)  # AdamW's default, torch's too
    if case.fn == "adagrad_step":
        kw["init"] = initial_sum(case)
    if planted:
        kw["planted"] = planted
    if case.fn in WHOLE:
        traces = WHOLE[case.fn](p0, grads, **kw)
    else:
        traces = [
            RULES[case.fn](x, [g[i] for g in grads], **kw) for i, x in enumerate(p0)
        ]
    steps = []
    for t in range(len(grads)):
        params = [trace[t][0] for trace in traces]
        states = {
            name: [trace[t][1][name] for trace in traces] for name in traces[0][t][1]
        }
        steps.append((params, states))
    return steps


# -- option combinations beyond the table's rows ------------------------------------------


def _extra(name: str, fn: str, kwargs: dict[str, Any], init: float = 0.0) -> Case:
    """A case built like a table row, its state slots chosen from the options."""
    states: tuple[str | None, ...] = {
        "sgd_step": ("momentum_buffer",) if kwargs.get("momentum") else (),
        "adagrad_step": ("state_sum",),
        "rmsprop_step": ("square_avg", "momentum_buffer" if kwargs.get("momentum") else None,
                         "grad_avg" if kwargs.get("centered") else None),
        "adam_step": ("m", "v", "v_max") if kwargs.get("amsgrad") else ("m", "v"),
        "adamax_step": ("m", "u"),
        "adadelta_step": ("square_avg", "acc_delta"),
        "radam_step": ("m", "v"),
        "nadam_step": ("m", "v", "mu_product"),
        "rprop_step": ("prev", "step_size"),
        "asgd_step": ("ax", "eta", "mu"),
        "lamb_step": ("m", "v"),
        "lion_step": ("m",),
        "adabelief_step": ("m", "s"),
        "sgd_schedulefree_step": ("z", "lr_max", "weight_sum"),
        "adamw_schedulefree_step": ("z", "v", "lr_max", "weight_sum"),
    }.get(fn if fn != "adamw_step" else "adam_step", ())  # fmt: skip
    return Case(name, fn, states, kwargs, init=init)


EXTRA = [
    _extra("sgd-wd", "sgd_step", {"lr": 0.1, "weight_decay": 0.2}),
    _extra("momentum-damp", "sgd_step", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    _extra("momentum-damp-wd-max", "sgd_step",
           {"lr": 0.1, "momentum": 0.7, "dampening": 0.1, "weight_decay": 0.3,
            "maximize": True}),
    _extra("nesterov-wd-max", "sgd_step",
           {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1,
            "maximize": True}),
    _extra("adagrad-lr-decay", "adagrad_step", {"lr": 0.1, "lr_decay": 0.5}),
    _extra("adagrad-decay-wd-initial", "adagrad_step",
           {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "eps": 1e-6}, init=0.1),
    _extra("adagrad-max-initial", "adagrad_step", {"lr": 0.2, "maximize": True}, init=2.5),
    _extra("rmsprop-centered-alpha", "rmsprop_step", {"lr": 0.01, "alpha": 0.9,
                                                      "centered": True}),
    _extra("rmsprop-wd-max", "rmsprop_step", {"lr": 0.01, "weight_decay": 0.1,
                                              "maximize": True}),
    _extra("rmsprop-centered-momentum-wd-max", "rmsprop_step",
           {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1,
            "maximize": True}),
    _extra("amsgrad-beta2", "adam_step", {"lr": 0.01, "amsgrad": True, "beta2": 0.9}),
    _extra("amsgrad-l2-eps-max", "adam_step",
           {"lr": 0.01, "amsgrad": True, "beta2": 0.9, "weight_decay": 0.05, "eps": 1e-3,
            "maximize": True}),
    _extra("adamw-max", "adamw_step", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    _extra("adamw-amsgrad-beta2", "adamw_step",
           {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "beta2": 0.9}),
    # beta2 low and eps large, so that u decays below |g| + eps and eps's place shows
    _extra("adamax-eps-beta2", "adamax_step", {"lr": 0.01, "beta2": 0.5, "eps": 0.1}),
    # eps large, so that its place (inside both roots) shows beyond the first step
    _extra("adadelta-eps-rho", "adadelta_step", {"lr": 0.1, "rho": 0.95, "eps": 0.01}),
    # eps large, so that its place (outside the root, not bias-corrected) shows
    # once the steps are rectified (test_radam_rectified_by_hand)
    _extra("radam-eps-beta2", "radam_step", {"lr": 0.01, "beta2": 0.9, "eps": 0.1}),
    # decoupled decay with maximize: the sign never touches the decay term
    _extra("nadam-decoupled-max", "nadam_step",
           {"lr": 0.01, "weight_decay": 0.5, "decoupled_weight_decay": True,
            "maximize": True}),
    # averaging from the second step (t0 = 0), a steep eta decay (alpha = 1)
    _extra("asgd-t0-zero-alpha", "asgd_step", {"lr": 0.1, "lambd": 0.5, "alpha": 1.0,
                                               "t0": 0.0}),
    # eps_root large, so that its place (under the root) shows
    _extra("lamb-eps-root", "lamb_step", {"lr": 0.05, "eps_root": 0.1, "beta2": 0.9}),
    # beta1 high and beta2 low: the update follows the previous gradient's sign,
    # so using the momentum before or after its update shows; a large decay
    _extra("lion-momentum-wd", "lion_step",
           {"lr": 0.05, "beta1": 0.99, "beta2": 0.1, "weight_decay": 0.5}),
    # eps_root large, so that it shows kept in s; eps large, so that its place shows
    _extra("adabelief-eps-root", "adabelief_step", {"lr": 0.01, "eps": 1e-8, "eps_root": 0.01}),
    _extra("adabelief-eps", "adabelief_step", {"lr": 0.01, "eps": 0.1}),
    # lr 0: every weight and their sum are 0, so c is 0 (schedulefree's
    # ZeroDivisionError branch) and nothing moves
    _extra("sgd-schedulefree-lr0", "sgd_schedulefree_step", {"lr": 0.0, "weight_decay": 0.1}),
    # no lr weighting, a steep polynomial one, a warm-up longer than the run
    _extra("adamw-schedulefree-r-power0", "adamw_schedulefree_step",
           {"lr": 0.05, "r": 2.0, "weight_lr_power": 0.0, "warmup_steps": 5, "beta1": 0.5}),
]  # fmt: skip
KNOWN = CASES + EXTRA
KNOWN_IDS = CASE_IDS + [c.id for c in EXTRA]


def _close(got: Any, expected: Sequence[float], dtype: type, what: str) -> None:
    # Relative to each element, and for states (whose elements can cancel to
    # near zero, as a momentum 0.33 - 0.333 does) also to the array's largest.
    rtol = RTOL[dtype]
    atol = 0.0 if what.startswith("param") else rtol * max(map(abs, expected))
    np.testing.assert_allclose(np.asarray(got, np.float64), expected, rtol=rtol,
                               atol=atol, err_msg=what)  # fmt: skip


@pytest.mark.parametrize("case", KNOWN, ids=KNOWN_IDS)
def test_functional_by_hand(case: Case, functional: ModuleType, dtype: type) -> None:
    p = np.array(KNOWN_P0, dtype)
    states = {
        name: new_state(name, p, np.zeros_like, case.kwargs)
        for name in case.states
        if name
    }
    if "state_sum" in states:
        states["state_sum"][...] = initial_sum(case)
    if "step_size" in states:  # Rprop's start, as its class sets it
        states["step_size"][...] = case.kwargs["lr"]
    expected = by_hand(case)
    for t, (g, (params, hand_states)) in enumerate(zip(KNOWN_GRADS, expected, strict=True),
                                                    start=1):  # fmt: skip
        assert call_step(functional, case, p, np.array(g, dtype), states, t) is True
        assert p.dtype == dtype
        _close(p, params, dtype, f"param after step {t}")
        for name, value in states.items():
            _close(value, hand_states[name], dtype, f"{name} after step {t}")
    if case.known:
        _close(p, case.known, dtype, "param: the row's literal")


@pytest.mark.parametrize("case", KNOWN, ids=KNOWN_IDS)
def test_class_by_hand(case: Case, backend: str, dtype: type) -> None:
    # The class's own defaults and state set-up (Adagrad's initial accumulator).
    p = np.array(KNOWN_P0, dtype)
    opt = getattr(steepest, case.cls)(p, backend=backend, **case.cls_kwargs)
    for g in KNOWN_GRADS:
        opt.step(np.array(g, dtype))
    _close(p, case.known or by_hand(case)[-1][0], dtype, "param after the last step")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_row_literal_is_by_hand(case: Case) -> None:
    # The literal in the row is what the rule computes; after a change of the
    # row's options, the failure message holds the new literal.
    hand = tuple(by_hand(case)[-1][0])
    assert len(case.known) == len(KNOWN_P0), f"known={hand!r}"
    np.testing.assert_allclose(case.known, hand, rtol=1e-15, atol=0,
                               err_msg=f"known={hand!r}")  # fmt: skip


# Bugs a reviewer might plant in both kernels and the reference: each must move
# the result of some known case far outside the float64 tolerance, and outside
# float32's. "maximize-after-wd" is the one the whole suite once
# missed without torch: -(grad + wd * p) instead of -grad + wd * p.
PLANTED = [
    ("sgd-wd-max", "maximize-after-wd"),
    ("momentum-damp-wd", "dampening-at-first-step"),
    ("nesterov", "nesterov-ignored"),
    ("adagrad-decay-wd-max", "maximize-after-wd"),
    ("adagrad-decay-wd-max", "lr-decay-off-by-one"),
    ("adagrad-decay-wd-max", "initial-ignored"),
    ("rmsprop", "eps-inside-sqrt"),
    ("rmsprop-centered-momentum-wd-max", "maximize-after-wd"),
    ("adam-l2-max", "maximize-after-wd"),
    ("amsgrad", "amsgrad-max-of-corrected"),
    ("adamw", "decay-after-update"),
    ("adamax", "no-bias-correction"),
    ("adamax-l2-eps-max", "maximize-after-wd"),
    ("adamax-eps-beta2", "eps-outside-max"),
    ("adadelta", "old-square-avg"),
    ("adadelta-l2-rho-max", "maximize-after-wd"),
    ("adadelta-eps-rho", "eps-outside-sqrt"),
    ("radam", "no-bias-correction"),
    ("radam-l2-max", "maximize-after-wd"),
    ("radam-decoupled", "decay-after-update"),
    ("nadam", "adam-momentum"),
    ("nadam-l2-psi-max", "mu-without-schedule"),
    ("nadam-l2-psi-max", "maximize-after-wd"),
    ("rprop", "keep-flipped-grad"),
    ("rprop", "old-step-size"),
    ("rprop-etas-clamped-max", "no-clamp"),
    ("asgd-t0-decay-l2-max", "eta-of-this-step"),
    ("asgd-t0-decay-l2-max", "maximize-after-wd"),
    ("lamb", "no-trust-ratio"),
    ("lamb", "no-bias-correction"),
    ("lamb-wd-max", "decay-after-ratio"),
    ("lion", "sign-of-zero-is-one"),
    ("lion-momentum-wd", "momentum-first"),
    ("lion-momentum-wd", "l2-decay"),
    ("lion-momentum-wd", "decay-after-update"),
    ("adabelief", "old-m-in-error"),
    ("adabelief-eps-root", "eps-root-not-kept"),
    ("adabelief-eps", "eps-inside-sqrt"),
    ("sgd-schedulefree-warmup-wd-r", "no-warmup"),
    ("sgd-schedulefree-warmup-wd-r", "uniform-average"),
    ("sgd-schedulefree-warmup-wd-r", "decay-at-x"),
    ("adamw-schedulefree", "no-bias-correction"),
    ("adamw-schedulefree-warmup-wd", "uniform-average"),
]


@pytest.mark.parametrize(("case_id", "planted"), PLANTED,
                         ids=[f"{c}-{b}" for c, b in PLANTED])  # fmt: skip
def test_planted_bugs_are_caught(case_id: str, planted: str) -> None:
    case = KNOWN[KNOWN_IDS.index(case_id)]
    right = np.array([params for params, _ in by_hand(case)])
    wrong = np.array([params for params, _ in by_hand(case, planted=planted)])
    gap = np.max(np.abs(wrong - right) / np.abs(right))
    assert gap > max(1e3 * RTOL[np.float64], RTOL[np.float32])


# -- RAdam past its un-rectified start ---------------------------------------------------
# Three steps never reach rho_t > 5 (t = 6 for every beta2 >= 0.9), so the RAdam
# rows run nine steps here: five un-rectified, then four rectified.
RADAM_GRADS = KNOWN_GRADS * 3
RADAM_CASES = [c for c in KNOWN if c.fn == "radam_step"]
# The "radam" row's params after the nine steps, printed from radam_by_hand.
RADAM_KNOWN = (1.004073910644345, -1.9938529556552116, 0.5006930907849173, 2.948850903227113,
               -0.3569932736564308)  # fmt: skip


@pytest.mark.parametrize("case", RADAM_CASES, ids=[c.id for c in RADAM_CASES])
def test_radam_rectified_by_hand(
    case: Case, functional: ModuleType, dtype: type
) -> None:
    p = np.array(KNOWN_P0, dtype)
    states = {"m": np.zeros_like(p), "v": np.zeros_like(p)}
    expected = by_hand(case, grads=RADAM_GRADS)
    for t, (g, (params, hand_states)) in enumerate(zip(RADAM_GRADS, expected, strict=True),
                                                    start=1):  # fmt: skip
        assert call_step(functional, case, p, np.array(g, dtype), states, t) is True
        _close(p, params, dtype, f"param after step {t}")
        for name, value in states.items():
            _close(value, hand_states[name], dtype, f"{name} after step {t}")
    if case.id == "radam":
        _close(p, RADAM_KNOWN, dtype, "param: RADAM_KNOWN")
        hand = tuple(expected[-1][0])
        np.testing.assert_allclose(RADAM_KNOWN, hand, rtol=1e-15, atol=0,
                                   err_msg=f"RADAM_KNOWN = {hand!r}")  # fmt: skip


@pytest.mark.parametrize(("case_id", "planted"), [
    ("radam", "never-rectified"),
    ("radam", "no-rectification-term"),
    ("radam-eps-beta2", "eps-bias-corrected"),
])  # fmt: skip
def test_radam_rectified_bugs_are_caught(case_id: str, planted: str) -> None:
    case = KNOWN[KNOWN_IDS.index(case_id)]
    right = np.array([params for params, _ in by_hand(case, grads=RADAM_GRADS)])
    wrong = np.array([params for params, _ in by_hand(case, grads=RADAM_GRADS,
                                                      planted=planted)])  # fmt: skip
    gap = np.max(np.abs(wrong - right) / np.abs(right))
    assert gap > max(1e3 * RTOL[np.float64], RTOL[np.float32])


def test_amsgrad_matters_for_the_known_grads() -> None:
    # Guards the AMSGrad rows against being vacuous: v falls on some element.
    ams = KNOWN[KNOWN_IDS.index("amsgrad")]
    plain = Case("adam", ams.fn, ("m", "v"), {k: x for k, x in ams.kwargs.items()
                                              if k != "amsgrad"})  # fmt: skip
    a, b = by_hand(ams)[-1][0], by_hand(plain)[-1][0]
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) > 1e-6


# -- dyadic cases: literals exact in binary ----------------------------------------------


def test_sgd_plain_exact(functional: ModuleType) -> None:
    # Dyadic numbers: every product and difference is exact in binary.
    p = np.array([1.0, -2.0, 0.5])
    functional.sgd_step(p, np.array([0.25, -0.5, 0.0]), step=1, lr=0.5)
    assert p.tolist() == [0.875, -1.75, 0.5]
    functional.sgd_step(p, np.array([1.0, 0.125, -2.0]), step=2, lr=0.5)
    assert p.tolist() == [0.375, -1.8125, 1.5]


def test_sgd_momentum_dampening_exact(functional: ModuleType) -> None:
    # mu = 0.5, dampening = 0.5, lr = 0.25; buf_1 = g_1 = 1 (no dampening at t = 1);
    # p_1 = 2 - 0.25 = 1.75; buf_2 = 0.5 * 1 + 0.5 * 2 = 1.5; p_2 = 1.75 - 0.375 = 1.375;
    # buf_3 = 0.5 * 1.5 + 0.5 * (-1) = 0.25; p_3 = 1.375 - 0.0625 = 1.3125.
    p = np.array([2.0])
    buf = np.array([99.0])  # the buffer's old content is ignored at t = 1
    for t, g in enumerate([1.0, 2.0, -1.0], start=1):
        functional.sgd_step(p, np.array([g]), buf, step=t, lr=0.25, momentum=0.5,
                            dampening=0.5)  # fmt: skip
    assert (p[0], buf[0]) == (1.3125, 0.25)


def test_adagrad_first_step_exact(functional: ModuleType) -> None:
    # s = 0 + g^2 = 0.0625, sqrt(s) = 0.25, p = 1 - 0.5 * 0.25 / (0.25 + eps): eps = 1e-20
    # is below half an ulp of 0.25 (2**-55), so the step is exactly lr.
    p, s = np.array([1.0]), np.array([0.0])
    functional.adagrad_step(p, np.array([0.25]), s, step=1, lr=0.5, eps=1e-20)
    assert (p[0], s[0]) == (0.5, 0.0625)


def test_rmsprop_first_step_exact(functional: ModuleType) -> None:
    # alpha = 0.75: v = 0.25 * g^2 = 1 for g = 2; d = 1 + eps rounds to 1 (eps < ulp/2),
    # so p = 1 - 0.5 * 2 / 1 = 0.
    p, sq = np.array([1.0]), np.array([0.0])
    functional.rmsprop_step(p, np.array([2.0]), sq, lr=0.5, alpha=0.75, eps=1e-17)
    assert (p[0], sq[0]) == (0.0, 1.0)


def test_adam_first_step_moves_by_lr(functional: ModuleType) -> None:
    # t = 1: m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    p = np.array([0.0, 0.0])
    m, v = np.zeros(2), np.zeros(2)
    functional.adam_step(p, np.array([0.5, -4.0]), m, v, step=1, lr=0.1)
    np.testing.assert_allclose(
        p, [-0.1 * 0.5 / (0.5 + 1e-8), 0.1 * 4.0 / (4.0 + 1e-8)], rtol=1e-15
    )


def test_adamw_decay_is_decoupled(functional: ModuleType) -> None:
    # With a zero gradient Adam's update vanishes (m = 0), so AdamW only shrinks:
    # p = p * (1 - lr * wd) exactly as computed in double; L2 Adam instead moves
    # by about lr (its gradient wd * p is normalised away).
    p = np.array([2.0, -4.0])
    functional.adamw_step(p, np.zeros(2), np.zeros(2), np.zeros(2), step=1, lr=0.1,
                          weight_decay=0.5)  # fmt: skip
    assert p.tolist() == [2.0 * (1 - 0.1 * 0.5), -4.0 * (1 - 0.1 * 0.5)]
    q = np.array([2.0, -4.0])
    functional.adam_step(q, np.zeros(2), np.zeros(2), np.zeros(2), step=1, lr=0.1,
                         weight_decay=0.5)  # fmt: skip
    np.testing.assert_allclose(q, [1.9, -3.9], rtol=1e-7)
