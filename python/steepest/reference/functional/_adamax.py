"""Adamax reference step: Adam with an exponentially weighted infinity norm.

Twin: ``cpp/include/steepest/rules/adamax.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def adamax_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    u: ArrayOrList,
    *,
    step: int,
    lr: float = 2e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adamax, Adam with an infinity norm in place of ``v`` (torch.optim.Adamax).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m : ndarray or list of ndarray
        First moment estimate (start at zero; torch's ``exp_avg``).
    u : ndarray or list of ndarray
        Exponentially weighted infinity norm (start at zero; torch's ``exp_inf``).
    step : int
        Step number t >= 1, used in the bias correction.
    lr : float
        Learning rate >= 0 (torch's default 2e-3).
    beta1, beta2 : float
        Decay rates in [0, 1) (torch's ``betas``).
    eps : float
        > 0, added to ``|g|`` inside the maximum (torch's placement).
    weight_decay : float
        L2 penalty added to the gradient.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        p <- p - (lr / (1 - beta1^t)) * m / u

    torch's algorithm; torch updates ``m`` by ``lerp``, which agrees to
    rounding. A NaN in ``u`` or ``g`` propagates through the maximum.

    References
    ----------
    Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015,
    section 7.1.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, u = np.zeros_like(p), np.zeros_like(p)
    >>> adamax_step(p, g, m, u, step=1, lr=0.1)
    True
    >>> p  # the first step moves each coordinate by about lr
    array([-0.1, -0.1, -0.1], dtype=float32)
    """
    fn = "adamax_step"
    step = v.check_step(fn, step)
    h = BY_NAME["adamax"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("m", m, True), ("u", u, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    beta1, beta2, eps, wd = h["beta1"], h["beta2"], h["eps"], h["weight_decay"]
    clr = h["lr"] / (1.0 - beta1**step)
    for p, g0, mi, ui in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        if wd != 0:
            g = g + T(wd) * p
        mi[...] = T(beta1) * mi + T(1.0 - beta1) * g
        np.maximum(T(beta2) * ui, np.abs(g) + T(eps), out=ui)
        p[...] = p - (T(clr) * mi) / ui
    return True
