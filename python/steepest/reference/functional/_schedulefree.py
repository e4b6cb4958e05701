"""Schedule-Free SGD and AdamW reference steps (Defazio et al. 2024).

Twin: ``cpp/include/steepest/rules/schedulefree.hpp``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _checks as checks  # not ``v``: that is the second moment here
from ..._rules import BY_NAME
from ...typing import ArrayOrList, FloatArray
from ._common import _grads_finite, _quiet, _step_lists, storage

_SHARED_DOC = """\
    lr_max, weight_sum : ndarray or list of ndarray
        One 0-d float64 (or float32) array each per param: the largest
        warmed-up lr so far (starts at -1) and the sum of the averaging
        weights so far (starts at 0), updated in place. schedulefree keeps
        both per param group; every param of a group holds the same values.
    step : int
        The step number t >= 1 (schedulefree's ``k + 1``): the warm-up, the
        averaging weight ``t^r`` and (AdamW) the bias correction.
    weight_decay : float
        L2 penalty >= 0, added to the (normalised) gradient at y.
    warmup_steps : float
        >= 0: the lr rises linearly over the first ``warmup_steps`` steps.
    r : float
        >= 0: the averaging weight of step t grows as ``t^r``.
    weight_lr_power : float
        >= 0: the averaging weight is ``lr_max^weight_lr_power`` (so the
        warm-up's small steps weigh little).
    nonfinite
        See :mod:`steepest.functional`."""


def _weights(
    h: dict[str, Any], step: int, lr_max: FloatArray, weight_sum: FloatArray
) -> tuple[float, float]:
    """The step's warmed-up lr and weight ``c`` of z, in double; updates the
    param's ``lr_max`` and ``weight_sum`` (rounded to their dtype, then read)."""
    warmup = h["warmup_steps"]
    sched = step / warmup if step - 1 < warmup else 1.0
    lr = h["lr"] * sched
    lr_max[...] = lr_max.dtype.type(max(lr, float(lr_max)))
    top = float(lr_max)
    w = math.pow(step, h["r"]) * math.pow(top, h["weight_lr_power"])
    weight_sum[...] = weight_sum.dtype.type(float(weight_sum) + w)
    total = float(weight_sum)
    return lr, (0.0 if total == 0 else w / total)


def _begin(
    fn: str, args: dict[str, Any], names: tuple[str, ...]
) -> tuple[int, dict[str, Any], list[list[FloatArray]]] | None:
    """Both steps' checks, in the native binding's order: the step number,
    the hyperparameters, ``nonfinite``, the arrays ``names`` (param and grad
    first), the scalars ``lr_max`` and ``weight_sum``, then the gradients.

    ``args`` are the step's ``locals()``. Returns the step number, the
    checked hyperparameters and the array lists followed by the two scalar
    lists; None when a gradient is not finite and ``nonfinite`` skips.
    """
    step = checks.check_step(fn, args["step"])
    h = BY_NAME[fn.removesuffix("_step")].check_step(fn, args)
    mode = checks.check_nonfinite(fn, args["nonfinite"])
    arrays = _step_lists(fn, [(name, args[name], name != "grad") for name in names])
    named = [(name, args[name]) for name in names]
    lr_max, weight_sum = args["lr_max"], args["weight_sum"]
    n = len(arrays[0])
    tops = checks.check_scalars(fn, "lr_max", lr_max, n)
    sums = checks.check_scalars(fn, "weight_sum", weight_sum, n)
    checks.check_scalar_overlap(
        fn, named, [("lr_max", lr_max), ("weight_sum", weight_sum)]
    )
    if not _grads_finite(fn, arrays[1], args["grad"], mode):
        return None
    return step, h, [*arrays, tops, sums]


@_quiet
@storage
def sgd_schedulefree_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    z: ArrayOrList,
    lr_max: ArrayOrList,
    weight_sum: ArrayOrList,
    *,
    step: int,
    lr: float = 1.0,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    warmup_steps: float = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
    nonfinite: str = "raise",
) -> bool:
    """Schedule-Free SGD (the schedulefree package's SGDScheduleFree).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        The params y, where the gradient is taken (updated in place), and
        their gradients.
    z : ndarray or list of ndarray
        The base iterate (starts as a copy of the param), updated in place.
    lr : float
        Learning rate >= 0 (schedulefree's default 1.0).
    momentum : float
        beta in (0, 1): how far y sits from the average x towards z.
    {shared}

    Notes
    -----
    ::

        lr_t = lr * min(1, t / warmup_steps)
        lr_max <- max(lr_max, lr_t);  w = t^r * lr_max^weight_lr_power
        weight_sum <- weight_sum + w;  c = w / weight_sum  (0 if weight_sum = 0)
        g <- g + wd * y
        y <- y + c * (z - y);  y <- y + lr_t * (beta * (1 - c) - 1) * g
        z <- z - lr_t * g

    schedulefree's algorithm and order of operations, left to right as
    written (its ``lerp`` rounds ``y + c * (z - y)`` as ``z - (z - y) * (1 -
    c)`` when c >= 0.5: the two agree to rounding); the per-step numbers in
    double. The point to evaluate is x = y + (1 - 1/beta) * (z - y), which
    the optimizer classes compute (``eval_params``, ``eval()``).

    References
    ----------
    Defazio, Yang, Mehta, Mishchenko, Khaled, Cutkosky, "The Road Less
    Scheduled", arXiv:2405.15682, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.ones(2); g = np.full(2, 0.5); z = p.copy()
    >>> top, total = np.array(-1.0), np.array(0.0)
    >>> sgd_schedulefree_step(p, g, z, top, total, step=1, lr=0.1)
    True
    >>> p, z  # y moves by lr * (beta * 0 - 1) * g: c = 1 at the first step
    (array([0.95, 0.95]), array([0.95, 0.95]))
    """
    begun = _begin("sgd_schedulefree_step", locals(), ("param", "grad", "z"))
    if begun is None:
        return False
    step, h, arrays = begun
    beta, wd = h["momentum"], h["weight_decay"]
    for p, g0, zi, top, total in zip(*arrays, strict=True):
        T = p.dtype.type
        lr_t, c = _weights(h, step, top, total)
        c_y = lr_t * (beta * (1.0 - c) - 1.0)
        g = g0 if wd == 0 else g0 + T(wd) * p
        y = p + T(c) * (zi - p)
        p[...] = y + T(c_y) * g
        zi[...] = zi - T(lr_t) * g
    return True


@_quiet
@storage
def adamw_schedulefree_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    z: ArrayOrList,
    v: ArrayOrList,
    lr_max: ArrayOrList,
    weight_sum: ArrayOrList,
    *,
    step: int,
    lr: float = 0.0025,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    warmup_steps: float = 0,
    r: float = 0.0,
    weight_lr_power: float = 2.0,
    nonfinite: str = "raise",
) -> bool:
    """Schedule-Free AdamW (the schedulefree package's AdamWScheduleFree).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        The params y, where the gradient is taken (updated in place), and
        their gradients.
    z : ndarray or list of ndarray
        The base iterate (starts as a copy of the param), updated in place.
    v : ndarray or list of ndarray
        The second moment estimate (starts at zero; schedulefree's
        ``exp_avg_sq``), updated in place.
    lr : float
        Learning rate >= 0 (schedulefree's default 0.0025).
    beta1 : float
        In (0, 1): how far y sits from the average x towards z.
    beta2 : float
        Decay rate of the second moment, in [0, 1).
    eps : float
        > 0, added to the root of the second moment.
    {shared}

    Notes
    -----
    ::

        lr_t, lr_max, weight_sum, c as in sgd_schedulefree_step
        v <- beta2 * v + (1 - beta2) * g * g
        g <- g / (sqrt(v / (1 - beta2^t)) + eps);  g <- g + wd * y
        y <- y + c * (z - y);  y <- y + lr_t * (beta1 * (1 - c) - 1) * g
        z <- z - lr_t * g

    schedulefree's algorithm and order of operations, left to right as
    written (see :func:`sgd_schedulefree_step` for its ``lerp``); the
    decay is taken at y after the normalisation, as schedulefree does. The
    point to evaluate is x = y + (1 - 1/beta1) * (z - y).

    References
    ----------
    Defazio et al., "The Road Less Scheduled", arXiv:2405.15682, 2024.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.ones(2); g = np.full(2, 0.5); z = p.copy(); v = np.zeros(2)
    >>> top, total = np.array(-1.0), np.array(0.0)
    >>> adamw_schedulefree_step(p, g, z, v, top, total, step=1, lr=0.1)
    True
    >>> p  # the first normalised gradient is 1 (up to eps): y moves by -lr
    array([0.9, 0.9])
    """
    begun = _begin("adamw_schedulefree_step", locals(), ("param", "grad", "z", "v"))
    if begun is None:
        return False
    step, h, arrays = begun
    beta1, beta2, eps, wd = h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
    bc2 = 1.0 - math.pow(beta2, step)
    for p, g0, zi, vi, top, total in zip(*arrays, strict=True):
        T = p.dtype.type
        lr_t, c = _weights(h, step, top, total)
        c_y = lr_t * (beta1 * (1.0 - c) - 1.0)
        vi[...] = T(beta2) * vi + T(1.0 - beta2) * g0 * g0
        g = g0 / (np.sqrt(vi / T(bc2)) + T(eps))
        if wd != 0:
            g = g + T(wd) * p
        y = p + T(c) * (zi - p)
        p[...] = y + T(c_y) * g
        zi[...] = zi - T(lr_t) * g
    return True


for _f in (sgd_schedulefree_step, adamw_schedulefree_step):
    _f.__doc__ = (_f.__doc__ or "").replace("    {shared}", _SHARED_DOC)

__all__ = ["adamw_schedulefree_step", "sgd_schedulefree_step"]
