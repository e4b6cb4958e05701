"""Adam and AdamW reference steps: one update, the weight decay coupled or not.

Twin: ``cpp/include/steepest/rules/adam.hpp``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@_quiet
def _adam_like(fn: str, decoupled: bool, args: dict[str, Any]) -> bool:
    """:func:`adam_step` or :func:`adamw_step`, given the arguments by name."""
    step = v.check_step(fn, args["step"])
    h = BY_NAME["adamw" if decoupled else "adam"].check_step(fn, args)
    lr, beta1, beta2, eps = h["lr"], h["beta1"], h["beta2"], h["eps"]
    weight_decay, amsgrad, maximize = h["weight_decay"], h["amsgrad"], h["maximize"]
    mode = v.check_nonfinite(fn, args["nonfinite"])
    if amsgrad and args["v_max"] is None:
        msg = f"{fn}: v_max is required when amsgrad=True"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [
        ("param", args["param"], True),
        ("grad", args["grad"], False),
        ("m", args["m"], True),
        ("v", args["v"], True),
    ]
    if amsgrad:
        lists.append(("v_max", args["v_max"], True))
    arrays = _step_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], args["grad"], mode):
        return False
    step_size = lr / (1.0 - beta1**step)
    inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - beta2**step)
    decay = 1.0 - lr * weight_decay
    l2 = not decoupled and weight_decay != 0
    for i, (p, g0, mi, vi) in enumerate(zip(*arrays[:4], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        pi = p
        if l2:
            g = g + T(weight_decay) * p
        if decoupled:
            pi = p * T(decay)
        mi[...] = T(beta1) * mi + T(1.0 - beta1) * g
        vi[...] = T(beta2) * vi + T(1.0 - beta2) * (g * g)
        denom_v = vi
        if amsgrad:
            vmax = arrays[4][i]
            np.maximum(vmax, vi, out=vmax)
            denom_v = vmax
        p[...] = pi - (T(step_size) * mi) / (
            np.sqrt(denom_v) * T(inv_bc2_sqrt) + T(eps)
        )
    return True


@storage
def adam_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    v_max: ArrayOrList | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adam with bias correction, optionally AMSGrad (torch.optim.Adam).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m, v : ndarray or list of ndarray
        First and second moment estimates (start at zero).
    v_max : ndarray or list of ndarray, optional
        Running maximum of ``v``, required when ``amsgrad``.
    step : int
        Step number t >= 1, used in the bias corrections.
    lr : float
        Learning rate >= 0.
    beta1, beta2 : float
        Decay rates in [0, 1) (torch's ``betas``).
    eps : float
        > 0, added to ``sqrt(v_hat)`` (outside the root, torch's placement;
        optax's ``eps_root`` would go inside).
    weight_decay : float
        L2 penalty added to the gradient (coupled; see :func:`adamw_step`).
    amsgrad : bool
        Use the running maximum of ``v`` (Reddi et al.).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)   and v_max replaces v below  (AMSGrad)
        p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) * (1 / sqrt(1 - beta2^t)) + eps)

    torch's formula; the reciprocal of ``sqrt(1 - beta2^t)`` is taken once per
    step (torch divides by it per element), which moves one rounding and
    leaves one division and one square root per element.

    References
    ----------
    Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015;
    Reddi, Kale and Kumar, "On the convergence of Adam and beyond", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, v = np.zeros_like(p), np.zeros_like(p)
    >>> adam_step(p, g, m, v, step=1, lr=0.1)
    True
    >>> p  # the first step moves each coordinate by about lr
    array([-0.1, -0.1, -0.1], dtype=float32)
    """
    return _adam_like("adam_step", False, locals())


@storage
def adamw_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    v_max: ArrayOrList | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """AdamW: Adam with decoupled weight decay (torch.optim.AdamW).

    Same parameters as :func:`adam_step`, but ``weight_decay`` (default 1e-2)
    shrinks the parameters directly, ``p <- p * (1 - lr * wd)``, before the
    Adam update, instead of entering the gradient.

    References
    ----------
    Loshchilov and Hutter, "Decoupled weight decay regularization", ICLR 2019.
    """
    return _adam_like("adamw_step", True, locals())


__all__ = ["adam_step", "adamw_step"]
