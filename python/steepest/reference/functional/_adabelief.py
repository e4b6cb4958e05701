"""AdaBelief reference step: Adam scaled by the variance of the prediction error.

Twin: ``cpp/include/steepest/rules/adabelief.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def adabelief_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    s: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-16,
    eps_root: float = 1e-16,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """AdaBelief, Adam with the variance of ``g - m`` in place of ``g``'s (optax.adabelief).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m : ndarray or list of ndarray
        First moment (starts at zero; optax's ``mu``, adabelief-pytorch's
        ``exp_avg``).
    s : ndarray or list of ndarray
        Second moment of the prediction error ``g - m`` (starts at zero;
        optax's ``nu``, adabelief-pytorch's ``exp_avg_var``).
    step : int
        Step number t >= 1, used in the bias corrections.
    lr : float
        Learning rate >= 0. optax has no default; 1e-3 is the paper's (Adam's).
    beta1, beta2 : float
        Decay rates in [0, 1) (optax's ``b1``, ``b2``).
    eps : float
        > 0, added to the square root of ``s`` (optax's default 1e-16).
    eps_root : float
        >= 0, added to ``s`` at each step and kept in it (optax's default 1e-16).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        m <- (1 - beta1) * g + beta1 * m
        s <- (1 - beta2) * (g - m)^2 + beta2 * s + eps_root
        p <- p - lr * (m / (1 - beta1^t)) / (sqrt(s / (1 - beta2^t)) + eps)

    optax's algorithm and order of operations (the paper's algorithm 2): the
    prediction error uses ``m`` after its update, ``eps_root`` stays in the
    state. Each bias correction multiplies by its reciprocal, taken in the
    array's dtype, as optax's code does once compiled by XLA (its division
    by a scalar becomes that, on arrays of more than one element); results
    agree with optax to rounding. optax's ``nesterov`` option is not offered.

    References
    ----------
    Zhuang et al., "AdaBelief optimizer: adapting stepsizes by the belief in
    observed gradients", NeurIPS 2020, arXiv:2010.07468.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, s = np.zeros_like(p), np.zeros_like(p)
    >>> adabelief_step(p, g, m, s, step=1, lr=0.1)
    True
    >>> p  # the first step: m_hat = g, s_hat = (0.9 g)^2, so about lr / 0.9
    array([-0.11111112, -0.11111112, -0.11111112], dtype=float32)
    """
    fn = "adabelief_step"
    step = v.check_step(fn, step)
    h = BY_NAME["adabelief"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("m", m, True), ("s", s, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    beta1, beta2 = h["beta1"], h["beta2"]
    bc1, bc2 = 1.0 - beta1**step, 1.0 - beta2**step
    for p, g0, mi, si in zip(*arrays, strict=True):
        T = p.dtype.type
        inv_bc1, inv_bc2 = T(1.0) / T(bc1), T(1.0) / T(bc2)
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        mi[...] = T(1.0 - beta1) * g + T(beta1) * mi
        e = g - mi
        si[...] = T(1.0 - beta2) * (e * e) + T(beta2) * si + T(h["eps_root"])
        u = (mi * inv_bc1) / (np.sqrt(si * inv_bc2) + T(h["eps"]))
        p[...] = p - T(h["lr"]) * u
    return True


__all__ = ["adabelief_step"]
