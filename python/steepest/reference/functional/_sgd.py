"""SGD's reference step (twin: ``cpp/include/steepest/rules/sgd.hpp``)."""

from __future__ import annotations

from typing import Any

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def sgd_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    momentum_buffer: ArrayOrList | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    momentum_buffer : ndarray or list of ndarray, optional
        Required when ``momentum != 0``; ignored at ``step == 1``, where it is
        set to the gradient.
    step, maximize, nonfinite
        See :mod:`steepest.functional`.
    lr : float
        Learning rate, >= 0 (default 1e-3, as in torch).
    momentum : float
        Momentum factor ``mu`` >= 0.
    dampening : float
        In [0, 1]; scales the gradient's share of the buffer after step 1.
    nesterov : bool
        Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.
    weight_decay : float
        L2 penalty ``wd`` >= 0 added to the gradient.

    Notes
    -----
    ::

        g <- g + wd * p
        b <- g  (step 1),  b <- mu * b + (1 - dampening) * g  (later)
        g <- g + mu * b  (Nesterov)  or  g <- b
        p <- p - lr * g

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0, 2.0]); g = np.array([0.5, -0.5])
    >>> sgd_step(p, g, step=1, lr=0.1)
    True
    >>> p
    array([0.95, 2.05])
    """
    fn = "sgd_step"
    step = v.check_step(fn, step)
    h = BY_NAME["sgd"].check_step(fn, locals())
    lr, momentum, dampening = h["lr"], h["momentum"], h["dampening"]
    nesterov, weight_decay, maximize = h["nesterov"], h["weight_decay"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    use_buf = momentum != 0
    if use_buf and momentum_buffer is None:
        msg = f"{fn}: momentum_buffer is required when momentum != 0"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [("param", param, True), ("grad", grad, False)]
    if use_buf:
        lists.append(("momentum_buffer", momentum_buffer, True))
    arrays = _step_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    for i, (p, g0) in enumerate(zip(arrays[0], arrays[1], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        if use_buf:
            buf = arrays[2][i]
            if step == 1:
                b = g.copy()
            else:
                b = T(momentum) * buf + T(1.0 - dampening) * g
            buf[...] = b
            g = g + T(momentum) * b if nesterov else b
        p[...] = p - T(lr) * g
    return True


__all__ = ["sgd_step"]
