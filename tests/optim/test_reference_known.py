"""The NumPy reference against values worked out by hand from torch.optim's formulas.

Each ``*_by_hand`` function is the update rule of the torch.optim
documentation (and of its single-tensor implementation where the two differ:
``maximize`` negates the gradient before weight decay) written out on Python
floats with ``math.sqrt``, one element at a time, one step at a time; it
shares no code with :mod:`steepest.reference`. A few dyadic cases are also
checked against literals that are exact in binary.
Twin under test: ``python/steepest/reference/functional.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from steepest.reference import functional as ref

# Float64 results of 2-3 steps agree to a few roundings.
RTOL = 1e-15

P0 = [1.0, -2.0, 0.5, 3.0]
GRADS = [[0.3, -1.2, 0.0, 2.0], [-0.7, 0.4, 0.25, 1.5], [0.1, 0.9, -0.6, -3.0]]

Grads = Sequence[Sequence[float]]


def per_element(
    rule: Callable[[float, list[float]], float], p0: list[float], grads: Grads
) -> list[float]:
    """Apply a scalar rule (start value, that element's gradients) to each element."""
    return [rule(x, [g[i] for g in grads]) for i, x in enumerate(p0)]


def run_reference(
    step: Callable[..., bool],
    n_states: int,
    grads: Grads,
    *,
    uses_step: bool = True,
    init: float = 0.0,
    **kw: object,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Steps 1.. of ``step`` from P0 with zero (or ``init``) states; returns p and states."""
    p = np.array(P0)
    states = [np.full(len(P0), init) for _ in range(n_states)]
    for t, g in enumerate(grads, start=1):
        extra = {"step": t} if uses_step else {}
        assert step(p, np.array(g), *states, **extra, **kw) is True
    return p, states


# -- SGD -------------------------------------------------------------------------------------


def sgd_by_hand(p0: list[float], grads: Grads, *, lr: float, momentum: float = 0.0,
                dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                maximize: bool = False) -> list[float]:  # fmt: skip
    def rule(x: float, gs: list[float]) -> float:
        b = 0.0
        for t, g in enumerate(gs, start=1):
            if maximize:
                g = -g
            g = g + weight_decay * x
            if momentum != 0:
                # torch: the first step sets buf = g, ignoring dampening.
                b = g if t == 1 else momentum * b + (1 - dampening) * g
                g = g + momentum * b if nesterov else b
            x = x - lr * g
        return x

    return per_element(rule, p0, grads)


def test_sgd_plain_exact() -> None:
    # Dyadic numbers: every product and difference is exact in binary.
    p = np.array([1.0, -2.0, 0.5])
    ref.sgd_step(p, np.array([0.25, -0.5, 0.0]), step=1, lr=0.5)
    assert p.tolist() == [0.875, -1.75, 0.5]
    ref.sgd_step(p, np.array([1.0, 0.125, -2.0]), step=2, lr=0.5)
    assert p.tolist() == [0.375, -1.8125, 1.5]


def test_sgd_momentum_dampening_exact() -> None:
    # mu = 0.5, dampening = 0.5, lr = 0.25; buf_1 = g_1 = 1 (no dampening at t = 1);
    # p_1 = 2 - 0.25 = 1.75; buf_2 = 0.5 * 1 + 0.5 * 2 = 1.5; p_2 = 1.75 - 0.375 = 1.375;
    # buf_3 = 0.5 * 1.5 + 0.5 * (-1) = 0.25; p_3 = 1.375 - 0.0625 = 1.3125.
    p, buf = (
        np.array([2.0]),
        np.array([99.0]),
    )  # the buffer's old content is ignored at t = 1
    for t, g in enumerate([1.0, 2.0, -1.0], start=1):
        ref.sgd_step(
            p, np.array([g]), buf, step=t, lr=0.25, momentum=0.5, dampening=0.5
        )
    assert (p[0], buf[0]) == (1.3125, 0.25)


@pytest.mark.parametrize(
    "kw",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "weight_decay": 0.2},
        {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
        {"lr": 0.1, "weight_decay": 0.2, "maximize": True},
        {"lr": 0.1, "momentum": 0.7, "dampening": 0.1, "weight_decay": 0.3, "maximize": True},
    ],
    ids=["plain", "momentum-dampening", "nesterov", "weight-decay", "nesterov-wd", "maximize-wd",
         "momentum-all"],
)  # fmt: skip
def test_sgd(kw: dict) -> None:
    n_states = 1 if kw.get("momentum") else 0
    p, _ = run_reference(ref.sgd_step, n_states, GRADS, **kw)
    np.testing.assert_allclose(p, sgd_by_hand(P0, GRADS, **kw), rtol=RTOL)


# -- Adagrad --------------------------------------------------------------------------------


def adagrad_by_hand(p0: list[float], grads: Grads, *, lr: float, lr_decay: float = 0.0,
                    weight_decay: float = 0.0, eps: float = 1e-10, init: float = 0.0,
                    maximize: bool = False) -> list[float]:  # fmt: skip
    def rule(x: float, gs: list[float]) -> float:
        s = init
        for t, g in enumerate(gs, start=1):
            g = (-g if maximize else g) + weight_decay * x
            clr = lr / (1 + (t - 1) * lr_decay)
            s = s + g * g
            x = x - clr * g / (math.sqrt(s) + eps)
        return x

    return per_element(rule, p0, grads)


def test_adagrad_first_step_exact() -> None:
    # s = 0 + g^2 = 0.0625, sqrt(s) = 0.25, p = 1 - 0.5 * 0.25 / (0.25 + eps): eps = 1e-20
    # is below half an ulp of 0.25 (2**-55), so the step is exactly lr.
    p, s = np.array([1.0]), np.array([0.0])
    ref.adagrad_step(p, np.array([0.25]), s, step=1, lr=0.5, eps=1e-20)
    assert (p[0], s[0]) == (0.5, 0.0625)


@pytest.mark.parametrize(
    ("kw", "init"),
    [
        ({"lr": 0.1}, 0.0),
        ({"lr": 0.1, "lr_decay": 0.5}, 0.0),
        ({"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "eps": 1e-6}, 0.1),
        ({"lr": 0.2, "maximize": True}, 2.5),
    ],
    ids=["plain", "lr-decay", "decay-wd-initial", "maximize-initial"],
)
def test_adagrad(kw: dict, init: float) -> None:
    p, (s,) = run_reference(ref.adagrad_step, 1, GRADS, init=init, **kw)
    np.testing.assert_allclose(
        p, adagrad_by_hand(P0, GRADS, init=init, **kw), rtol=RTOL
    )
    sign = -1.0 if kw.get("maximize") else 1.0
    assert s[0] > init  # the accumulator grew from its initial value
    if "weight_decay" not in kw:  # then s = init + sum of g^2
        np.testing.assert_allclose(s, [init + sum((sign * g[i]) ** 2 for g in GRADS)
                                       for i in range(len(P0))], rtol=RTOL)  # fmt: skip


# -- RMSprop --------------------------------------------------------------------------------


def rmsprop_by_hand(p0: list[float], grads: Grads, *, lr: float, alpha: float = 0.99,
                    eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                    centered: bool = False, maximize: bool = False) -> list[float]:  # fmt: skip
    def rule(x: float, gs: list[float]) -> float:
        v = ga = b = 0.0
        for g in gs:
            g = (-g if maximize else g) + weight_decay * x
            v = alpha * v + (1 - alpha) * g * g
            if centered:
                ga = alpha * ga + (1 - alpha) * g
                d = math.sqrt(v - ga * ga) + eps
            else:
                d = math.sqrt(v) + eps
            if momentum > 0:
                b = momentum * b + g / d
                x = x - lr * b
            else:
                x = x - lr * g / d
        return x

    return per_element(rule, p0, grads)


@pytest.mark.parametrize(
    "kw",
    [
        {"lr": 0.01},
        {"lr": 0.01, "alpha": 0.9, "centered": True},
        {"lr": 0.01, "momentum": 0.9},
        {
            "lr": 0.01,
            "momentum": 0.5,
            "centered": True,
            "weight_decay": 0.1,
            "maximize": True,
        },
    ],
    ids=["plain", "centered", "momentum", "centered-momentum-wd-max"],
)
def test_rmsprop(kw: dict) -> None:
    momentum, centered = kw.get("momentum", 0.0), kw.get("centered", False)
    p = np.array(P0)
    sq, buf, ga = (np.zeros(len(P0)) for _ in range(3))
    for g in GRADS:
        ref.rmsprop_step(
            p,
            np.array(g),
            sq,
            buf if momentum else None,
            ga if centered else None,
            **kw,
        )
    np.testing.assert_allclose(p, rmsprop_by_hand(P0, GRADS, **kw), rtol=RTOL)


def test_rmsprop_first_step_exact() -> None:
    # alpha = 0.75: v = 0.25 * g^2 = 1 for g = 2; d = 1 + eps rounds to 1 (eps < ulp/2),
    # so p = 1 - 0.5 * 2 / 1 = 0.
    p, sq = np.array([1.0]), np.array([0.0])
    ref.rmsprop_step(p, np.array([2.0]), sq, lr=0.5, alpha=0.75, eps=1e-17)
    assert (p[0], sq[0]) == (0.0, 1.0)


# -- Adam, AMSGrad, AdamW ------------------------------------------------------------------


def adam_by_hand(p0: list[float], grads: Grads, *, lr: float = 1e-3, beta1: float = 0.9,
                 beta2: float = 0.999, eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, maximize: bool = False,
                 decoupled: bool = False) -> list[float]:  # fmt: skip
    def rule(x: float, gs: list[float]) -> float:
        m = v = v_max = 0.0
        for t, g in enumerate(gs, start=1):
            g = -g if maximize else g
            if decoupled:
                x = x * (1 - lr * weight_decay)  # AdamW: shrink p before the update
            else:
                g = g + weight_decay * x
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            if amsgrad:
                v_max = max(v_max, v)
            v_used = v_max if amsgrad else v
            # torch: eps added to sqrt(v_hat) = sqrt(v) / sqrt(1 - beta2^t), outside the root.
            denom = math.sqrt(v_used) / math.sqrt(1 - beta2**t) + eps
            x = x - (lr / (1 - beta1**t)) * m / denom
        return x

    return per_element(rule, p0, grads)


def test_adam_first_step_moves_by_lr() -> None:
    # t = 1: m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps).
    p = np.array([0.0, 0.0])
    m, v = np.zeros(2), np.zeros(2)
    ref.adam_step(p, np.array([0.5, -4.0]), m, v, step=1, lr=0.1)
    np.testing.assert_allclose(
        p, [-0.1 * 0.5 / (0.5 + 1e-8), 0.1 * 4.0 / (4.0 + 1e-8)], rtol=RTOL
    )


# AMSGrad matters only when v falls: a large first gradient, then small ones
# (with beta2 = 0.9 so that v falls by 10 % a step).
AMS_GRADS = [[3.0, -2.0, 0.5, 1.0], [0.1, 0.2, -0.1, 0.05], [0.01, -0.3, 0.2, 0.02]]


@pytest.mark.parametrize(
    ("fn", "kw", "grads"),
    [
        ("adam_step", {"lr": 0.01}, GRADS),
        ("adam_step", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1,
                       "maximize": True}, GRADS),
        ("adam_step", {"lr": 0.01, "amsgrad": True, "beta2": 0.9}, AMS_GRADS),
        ("adam_step", {"lr": 0.01, "amsgrad": True, "beta2": 0.9, "weight_decay": 0.05,
                       "eps": 1e-3}, AMS_GRADS),
        ("adamw_step", {"lr": 0.01}, GRADS),
        ("adamw_step", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True, "beta2": 0.9},
         AMS_GRADS),
    ],
    ids=["adam", "adam-l2-max", "amsgrad", "amsgrad-l2-eps", "adamw", "adamw-amsgrad"],
)  # fmt: skip
def test_adam(fn: str, kw: dict, grads: Grads) -> None:
    amsgrad = kw.get("amsgrad", False)
    step = getattr(ref, fn)
    p, _ = run_reference(step, 3 if amsgrad else 2, grads, **kw)
    hand = dict(kw, decoupled=fn == "adamw_step")
    if fn == "adamw_step":
        hand.setdefault("weight_decay", 1e-2)  # AdamW's default, torch's too
    np.testing.assert_allclose(p, adam_by_hand(P0, grads, **hand), rtol=RTOL)


def test_amsgrad_differs_from_adam() -> None:
    # Guards the AMSGrad cases above against being vacuous.
    plain = adam_by_hand(P0, AMS_GRADS, lr=0.01, beta2=0.9)
    ams = adam_by_hand(P0, AMS_GRADS, lr=0.01, beta2=0.9, amsgrad=True)
    assert all(abs(a - b) > 1e-6 for a, b in zip(plain, ams, strict=True))


def test_adamw_decay_is_decoupled() -> None:
    # With a zero gradient Adam's update vanishes (m = 0), so AdamW only shrinks:
    # p = p * (1 - lr * wd) exactly as computed in double; L2 Adam instead moves
    # by about lr (its gradient wd * p is normalised away).
    p = np.array([2.0, -4.0])
    ref.adamw_step(
        p, np.zeros(2), np.zeros(2), np.zeros(2), step=1, lr=0.1, weight_decay=0.5
    )
    assert p.tolist() == [2.0 * (1 - 0.1 * 0.5), -4.0 * (1 - 0.1 * 0.5)]
    q = np.array([2.0, -4.0])
    ref.adam_step(
        q, np.zeros(2), np.zeros(2), np.zeros(2), step=1, lr=0.1, weight_decay=0.5
    )
    np.testing.assert_allclose(q, [1.9, -3.9], rtol=1e-7)
