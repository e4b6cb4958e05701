"""RMSprop's reference step (twin: ``cpp/include/steepest/rules/rmsprop.hpp``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def rmsprop_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    square_avg: ArrayOrList,
    momentum_buffer: ArrayOrList | None = None,
    grad_avg: ArrayOrList | None = None,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    square_avg : ndarray or list of ndarray
        Running average of squared gradients ``v`` (starts at zero).
    momentum_buffer : ndarray or list of ndarray, optional
        Required when ``momentum != 0`` (starts at zero).
    grad_avg : ndarray or list of ndarray, optional
        Running average of gradients, required when ``centered``.
    lr, weight_decay, momentum : float
        All >= 0.
    alpha : float
        Smoothing constant in [0, 1].
    eps : float
        > 0, added outside the square root.
    centered : bool
        Normalise by the estimated variance instead of the second moment.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        v <- alpha * v + (1 - alpha) * g * g
        centered:  ga <- alpha * ga + (1 - alpha) * g;  d = sqrt(v - ga * ga) + eps
        otherwise: d = sqrt(v) + eps
        momentum:  b <- mu * b + g / d;  p <- p - lr * b
        otherwise: p <- p - lr * g / d

    References
    ----------
    Tieleman and Hinton, COURSERA Neural Networks lecture 6.5, 2012;
    Graves, "Generating sequences with recurrent neural networks", 2013.
    """
    fn = "rmsprop_step"
    h = BY_NAME["rmsprop"].check_step(fn, locals())
    lr, alpha, eps, weight_decay = h["lr"], h["alpha"], h["eps"], h["weight_decay"]
    momentum, centered, maximize = h["momentum"], h["centered"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    use_buf = momentum != 0
    if use_buf and momentum_buffer is None:
        msg = f"{fn}: momentum_buffer is required when momentum != 0"
        raise ValueError(msg)
    if centered and grad_avg is None:
        msg = f"{fn}: grad_avg is required when centered=True"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [
        ("param", param, True),
        ("grad", grad, False),
        ("square_avg", square_avg, True),
    ]
    if use_buf:
        lists.append(("momentum_buffer", momentum_buffer, True))
    if centered:
        lists.append(("grad_avg", grad_avg, True))
    arrays = _step_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    for i, (p, g0, sq) in enumerate(zip(arrays[0], arrays[1], arrays[2], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        vi = T(alpha) * sq + T(1.0 - alpha) * (g * g)
        sq[...] = vi
        if centered:
            ga = arrays[-1][i]
            a = T(alpha) * ga + T(1.0 - alpha) * g
            ga[...] = a
            d = np.sqrt(vi - a * a) + T(eps)
        else:
            d = np.sqrt(vi) + T(eps)
        if use_buf:
            buf = arrays[3][i]
            b = T(momentum) * buf + g / d
            buf[...] = b
            p[...] = p - T(lr) * b
        else:
            p[...] = p - (T(lr) * g) / d
    return True


__all__ = ["rmsprop_step"]
