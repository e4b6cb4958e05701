"""ASGD reference step: SGD with a decaying step and an averaged iterate.

Twin: ``cpp/include/steepest/rules/asgd.hpp``.
"""

from __future__ import annotations

import math

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def asgd_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    ax: ArrayOrList,
    eta: ArrayOrList,
    mu: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-2,
    lambd: float = 1e-4,
    alpha: float = 0.75,
    t0: float = 1e6,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Averaged SGD (torch.optim.ASGD).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    ax : ndarray or list of ndarray
        The averaged parameters (start at zero; the first step sets them to
        the params): the iterate to evaluate, updated in place.
    eta, mu : ndarray or list of ndarray
        One 0-d float64 (or float32) array each per param: the step size and
        the averaging weight this step uses (start at the initial ``lr`` and
        1), replaced in place by those of the next step. Their dtype is the
        precision they are kept in (torch: float32 unless its default dtype
        is float64; steepest's classes: float64).
    step : int
        The step number t >= 1.
    lr : float
        Learning rate >= 0 (torch's default 1e-2). It sets ``eta`` for the
        NEXT step: this step moves by the stored ``eta``.
    lambd : float
        Decay >= 0 of the params and of ``eta``.
    alpha : float
        Power >= 0 of the ``eta`` decay.
    t0 : float
        >= 0: averaging starts after step ``t0 + 1`` (until then ``ax`` copies
        the params).
    weight_decay : float
        L2 penalty added to the gradient.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        p <- p * (1 - lambd * eta);  p <- p - eta * g
        ax <- p  if mu == 1,  else  ax <- ax + (p - ax) * mu
        eta <- lr / (1 + lambd * lr * t)^alpha;  mu <- 1 / max(1, t - t0)

    torch's algorithm and order of operations, left to right as written: the
    new ``eta`` and ``mu`` are computed in double at the end of step t from
    that step's ``lr`` and stored in their arrays' dtype; the kernel reads the
    stored values.

    References
    ----------
    Polyak & Juditsky, "Acceleration of stochastic approximation by
    averaging", SIAM J. Control Optim. 30(4), 1992.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.ones(2); g = np.ones(2); ax = np.zeros(2)
    >>> eta, mu = np.array(0.1), np.array(1.0)
    >>> asgd_step(p, g, ax, eta, mu, step=1, lr=0.1, lambd=0.0)
    True
    >>> p, ax  # p - eta * g; ax copies p (mu is 1)
    (array([0.9, 0.9]), array([0.9, 0.9]))
    """
    fn = "asgd_step"
    step = v.check_step(fn, step)
    h = BY_NAME["asgd"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn, [("param", param, True), ("grad", grad, False), ("ax", ax, True)]
    )
    etas = v.check_scalars(fn, "eta", eta, len(arrays[0]))
    mus = v.check_scalars(fn, "mu", mu, len(arrays[0]))
    v.check_scalar_overlap(
        fn, [("param", param), ("grad", grad), ("ax", ax)], [("eta", eta), ("mu", mu)]
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    lr, lambd, wd = h["lr"], h["lambd"], h["weight_decay"]
    next_eta = lr / math.pow(1.0 + lambd * lr * step, h["alpha"])
    next_mu = 1.0 / max(1.0, step - h["t0"])
    for p, g0, a, e, m in zip(*arrays, etas, mus, strict=True):
        T = p.dtype.type
        eta_t, mu_t = float(e), float(m)
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        if wd != 0:
            g = g + T(wd) * p
        q = p * T(1.0 - lambd * eta_t)
        q = q + T(-eta_t) * g
        p[...] = q
        if mu_t != 1.0:
            a[...] = a + (q - a) * T(mu_t)
        else:
            a[...] = q
        e[...] = next_eta  # rounded to the array's dtype, as torch's copy_
        m[...] = next_mu
    return True


__all__ = ["asgd_step"]
