"""NAdam reference step: Adam with Nesterov momentum and a momentum schedule.

Twin: ``cpp/include/steepest/rules/nadam.hpp``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _checks as checks  # not ``v``: that is the second moment here
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


def _mu(beta1: float, momentum_decay: float, t: int) -> float:
    """The momentum coefficient of step ``t`` (Dozat's schedule, torch's constants)."""
    return beta1 * (1.0 - 0.5 * math.pow(0.96, t * momentum_decay))


@storage
@_quiet
def nadam_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    mu_product: ArrayOrList,
    *,
    step: int,
    lr: float = 2e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """NAdam, Adam with Nesterov momentum (torch.optim.NAdam).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m, v : ndarray or list of ndarray
        First and second moment estimates (start at zero; torch's
        ``exp_avg``, ``exp_avg_sq``).
    mu_product : ndarray or list of ndarray
        One 0-d float64 (or float32) array per param, the product of the
        momentum coefficients so far (starts at 1), updated in place. Its
        dtype is the precision it is kept in: torch keeps a float32 tensor
        (unless its default dtype is float64), steepest's classes float64.
    step : int
        The step number t >= 1 (the momentum schedule and bias correction).
    lr : float
        Learning rate >= 0 (torch's default 2e-3).
    beta1, beta2 : float
        Decay rates of the moments, in [0, 1).
    eps : float
        > 0, added to the root of the second moment.
    weight_decay : float
        Decay strength >= 0: L2 in the gradient, or decoupled (below).
    momentum_decay : float
        ``psi`` >= 0 of the momentum schedule (torch's default 4e-3).
    decoupled_weight_decay : bool
        Shrink the params by ``1 - lr * weight_decay`` (AdamW's way) instead
        of adding ``weight_decay * p`` to the gradient.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p                    (L2)   or   p <- p * (1 - lr * wd)
        mu_t = beta1 * (1 - 0.5 * 0.96^(t * psi)),  mu_next = mu_(t+1)
        mu_product <- mu_product * mu_t
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        d = sqrt(v) * (1 / sqrt(1 - beta2^t)) + eps
        p <- p + (c_g * g) / d,  then  p <- p + (c_m * m) / d
        c_g = -lr * (1 - mu_t) / (1 - mu_product)
        c_m = -lr * mu_next / (1 - mu_product * mu_next)

    torch's algorithm and order of operations, left to right as written, but
    for ``d``: torch divides ``v`` by the bias correction per element; the
    inverse root (as in :func:`adam_step`) agrees to rounding and saves a
    division per element. The per-step
    numbers in double, the product multiplied as torch multiplies its 0-d
    tensor (in float32, both factors rounded, when stored in float32).
    ``mu_product`` is state rather than a function of ``t`` because it
    follows the coefficients actually used (torch's state dict carries it).

    References
    ----------
    Dozat, "Incorporating Nesterov momentum into Adam", ICLR 2016 workshop.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, v, mu = np.zeros_like(p), np.zeros_like(p), np.ones(())
    >>> nadam_step(p, g, m, v, mu, step=1, lr=0.1)
    True
    >>> p  # -lr * (1 + (1 - beta1) * mu_2 / (1 - mu_1 * mu_2)) at |g| = 1
    array([-0.10564518, -0.10564518, -0.10564518], dtype=float32)
    >>> float(mu)  # mu_1 = 0.9 * (1 - 0.5 * 0.96^0.004)
    0.45007347359129607
    """
    fn = "nadam_step"
    step = checks.check_step(fn, step)
    h = BY_NAME["nadam"].check_step(fn, locals())
    mode = checks.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [
            ("param", param, True),
            ("grad", grad, False),
            ("m", m, True),
            ("v", v, True),
        ],
    )
    products = checks.check_scalars(fn, "mu_product", mu_product, len(arrays[0]))
    checks.check_scalar_overlap(
        fn,
        [
            ("param", param),
            ("grad", grad),
            ("m", m),
            ("v", v),
        ],
        [("mu_product", mu_product)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    lr, beta1, beta2, eps = h["lr"], h["beta1"], h["beta2"], h["eps"]
    wd, psi = h["weight_decay"], h["momentum_decay"]
    inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - beta2**step)
    mu, mu_next = _mu(beta1, psi, step), _mu(beta1, psi, step + 1)
    for p, g0, mi, vi, prod in zip(*arrays, products, strict=True):
        T = p.dtype.type
        S = prod.dtype.type
        prod[...] = S(prod) * S(mu)  # torch's `mu_product *= mu` in the stored dtype
        stored = float(prod)
        c_g = -lr * (1.0 - mu) / (1.0 - stored)
        c_m = (-lr * mu_next) / (1.0 - stored * mu_next)
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        q = p
        if wd != 0:
            if h["decoupled_weight_decay"]:
                q = p * T(1.0 - lr * wd)
            else:
                g = g + T(wd) * p
        mi[...] = T(beta1) * mi + T(1.0 - beta1) * g
        vi[...] = T(beta2) * vi + T(1.0 - beta2) * g * g
        d = np.sqrt(vi) * T(inv_bc2_sqrt) + T(eps)
        q = q + (T(c_g) * g) / d
        p[...] = q + (T(c_m) * mi) / d
    return True


__all__ = ["nadam_step"]
