"""Adadelta reference step: steps scaled by a running RMS of past steps.

Twin: ``cpp/include/steepest/rules/adadelta.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def adadelta_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    square_avg: ArrayOrList,
    acc_delta: ArrayOrList,
    *,
    lr: float = 1.0,
    rho: float = 0.9,
    eps: float = 1e-6,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adadelta, each step scaled by the running RMS of past steps (torch.optim.Adadelta).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    square_avg : ndarray or list of ndarray
        Running average of squared gradients ``v`` (starts at zero).
    acc_delta : ndarray or list of ndarray
        Running average of squared updates ``u`` (starts at zero).
    lr : float
        Learning rate >= 0, scaling the update (torch's default 1.0).
    rho : float
        Decay rate of both running averages, in [0, 1].
    eps : float
        > 0, added inside both square roots.
    weight_decay : float
        L2 penalty added to the gradient.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        v <- rho * v + (1 - rho) * g * g
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * d * d
        p <- p - lr * d

    torch's algorithm and order of operations, left to right as written
    (its ``addcmul`` multiplies ``(1 - rho) * g`` by ``g``); ``d`` uses ``u``
    before its update; the step count plays no part.

    References
    ----------
    Zeiler, "ADADELTA: An adaptive learning rate method", arXiv:1212.5701, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> v, u = np.zeros_like(p), np.zeros_like(p)
    >>> adadelta_step(p, g, v, u)
    True
    >>> p  # sqrt(eps) / sqrt(0.1 + eps): a small first step
    array([-0.00316226, -0.00316226, -0.00316226], dtype=float32)
    """
    fn = "adadelta_step"
    h = BY_NAME["adadelta"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [
            ("param", param, True),
            ("grad", grad, False),
            ("square_avg", square_avg, True),
            ("acc_delta", acc_delta, True),
        ],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    lr, rho, eps, wd = h["lr"], h["rho"], h["eps"], h["weight_decay"]
    for p, g0, sq, acc in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        if wd != 0:
            g = g + T(wd) * p
        vi = T(rho) * sq + T(1.0 - rho) * g * g
        d = np.sqrt(acc + T(eps)) / np.sqrt(vi + T(eps)) * g
        sq[...] = vi
        acc[...] = T(rho) * acc + T(1.0 - rho) * d * d
        p[...] = p - T(lr) * d
    return True


__all__ = ["adadelta_step"]
