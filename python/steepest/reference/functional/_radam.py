"""RAdam reference step: Adam whose adaptive step waits until its variance is tractable.

Twin: ``cpp/include/steepest/rules/radam.hpp``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _checks as checks  # not ``v``: that is the second moment here
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


def _plan(step: int, lr: float, beta1: float, beta2: float) -> tuple[bool, float]:
    """Whether step ``step`` is rectified, and its step size (per step, in double).

    ``rho_t > 5`` decides; the rectified step size folds ``lr``, the
    rectification ``r_t``, ``sqrt(1 - beta2^t)`` and ``1 / (1 - beta1^t)`` into
    one number, the un-rectified one is ``lr / (1 - beta1^t)``.
    """
    bc1 = 1.0 - beta1**step
    bc2 = 1.0 - beta2**step
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * float(step) * beta2**step / bc2
    if not rho_t > 5.0:
        return False, lr / bc1
    r = math.sqrt(
        (rho_t - 4.0) * (rho_t - 2.0) * rho_inf
        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
    )  # fmt: skip
    return True, lr * r * math.sqrt(bc2) / bc1


@storage
@_quiet
def radam_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """RAdam, Adam with its adaptive step rectified (torch.optim.RAdam).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m, v : ndarray or list of ndarray
        First and second moment estimates (start at zero; torch's
        ``exp_avg``, ``exp_avg_sq``).
    step : int
        Step number t >= 1: it sets the bias corrections and whether the step
        is rectified (with ``beta2 = 0.999``, from t = 6 on).
    lr : float
        Learning rate >= 0.
    beta1, beta2 : float
        Decay rates in [0, 1) (torch's ``betas``).
    eps : float
        > 0, added to ``sqrt(v)`` (not bias-corrected, as torch).
    weight_decay : float
        Weight decay >= 0: an L2 term in the gradient, or with
        ``decoupled_weight_decay`` a shrink ``p <- p * (1 - lr * wd)`` first.
    decoupled_weight_decay : bool
        Decouple the weight decay from the gradient (AdamW's).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p                    (or p <- p * (1 - lr * wd), decoupled)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r_t = sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
            p <- p - (lr r_t sqrt(1 - beta2^t) / (1 - beta1^t)) * m / (sqrt(v) + eps)
        else:
            p <- p - (lr / (1 - beta1^t)) * m

    torch's algorithm; ``rho_t``, ``r_t`` and the step size are computed once
    per step in double (torch multiplies the factors per element: the same
    formula with roundings moved). Until ``rho_t`` exceeds 5 the step is
    bias-corrected momentum SGD, while ``v`` still accumulates.

    References
    ----------
    Liu et al., "On the variance of the adaptive learning rate and beyond",
    ICLR 2020 (arXiv:1908.03265).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, v = np.zeros_like(p), np.zeros_like(p)
    >>> radam_step(p, g, m, v, step=1, lr=0.1)
    True
    >>> p  # un-rectified: lr times the bias-corrected momentum
    array([-0.1, -0.1, -0.1], dtype=float32)
    """
    fn = "radam_step"
    step = checks.check_step(fn, step)
    h = BY_NAME["radam"].check_step(fn, locals())
    mode = checks.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("m", m, True), ("v", v, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    lr, beta1, beta2, eps, wd = (
        h["lr"], h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
    )  # fmt: skip
    rectified, step_size = _plan(step, lr, beta1, beta2)
    decoupled = h["decoupled_weight_decay"]
    decay = 1.0 - lr * wd if decoupled else 1.0
    l2 = not decoupled and wd != 0
    for p, g0, mi, vi in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        pi = p * T(decay)
        if l2:
            g = g + T(wd) * p
        mi[...] = T(beta1) * mi + T(1.0 - beta1) * g
        vi[...] = T(beta2) * vi + T(1.0 - beta2) * g * g
        if rectified:
            p[...] = pi - (T(step_size) * mi) / (np.sqrt(vi) + T(eps))
        else:
            p[...] = pi - T(step_size) * mi
    return True


__all__ = ["radam_step"]
