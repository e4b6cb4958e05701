"""Adagrad's reference step (twin: ``cpp/include/steepest/rules/adagrad.hpp``)."""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def adagrad_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    state_sum: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adagrad (torch.optim.Adagrad).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    state_sum : ndarray or list of ndarray
        Running sum of squared gradients; torch starts it at
        ``initial_accumulator_value`` (the class does the same).
    step, maximize, nonfinite
        See :mod:`steepest.functional`.
    lr, lr_decay, weight_decay : float
        Learning rate, its 1/t decay and the L2 penalty, all >= 0.
    eps : float
        > 0, added to the square root (outside it, as torch does).

    Notes
    -----
    ::

        g <- g + wd * p
        clr = lr / (1 + (step - 1) * lr_decay)
        s <- s + g * g
        p <- p - clr * g / (sqrt(s) + eps)

    References
    ----------
    Duchi, Hazan and Singer, "Adaptive subgradient methods for online learning
    and stochastic optimization", JMLR 12, 2011.
    """
    fn = "adagrad_step"
    step = v.check_step(fn, step)
    h = BY_NAME["adagrad"].check_step(fn, locals())
    lr, lr_decay, weight_decay = h["lr"], h["lr_decay"], h["weight_decay"]
    eps, maximize = h["eps"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("state_sum", state_sum, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    clr = lr / (1.0 + (step - 1) * lr_decay)
    for p, g0, acc in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        s = acc + g * g
        acc[...] = s
        p[...] = p - (T(clr) * g) / (np.sqrt(s) + T(eps))
    return True


__all__ = ["adagrad_step"]
