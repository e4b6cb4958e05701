"""Rprop reference step: per-element step sizes adapted from gradient signs.

Twin: ``cpp/include/steepest/rules/rprop.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def rprop_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    prev: ArrayOrList,
    step_size: ArrayOrList,
    *,
    lr: float = 1e-2,
    etaminus: float = 0.5,
    etaplus: float = 1.2,
    step_size_min: float = 1e-6,
    step_size_max: float = 50.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Rprop, resilient backpropagation for full-batch gradients (torch.optim.Rprop).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients. Rprop reads only
        the signs of the gradients, which mini-batch noise flips: it is meant
        for full-batch gradients.
    prev : ndarray or list of ndarray
        The previous step's gradient, zeroed where its sign flipped (starts at
        zero).
    step_size : ndarray or list of ndarray
        Each element's step size (starts at ``lr``, as torch and the classes
        start it).
    lr : float
        >= 0; checked and accepted as by every step, but not read: it is only
        where ``step_size`` starts.
    etaminus, etaplus : float
        Step size factors after a sign change (in (0, 1)) and after the same
        sign (above 1) (torch's ``etas``).
    step_size_min, step_size_max : float
        >= 0, the step sizes are clamped to ``[min, max]`` (torch's
        ``step_sizes``; with ``min > max`` every step size is ``max``, as
        torch's clamp).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        q = g * prev
        f = etaplus if q > 0, etaminus if q < 0, else 1
        step_size <- min(max(step_size * f, step_size_min), step_size_max)
        g <- 0 where q < 0
        p <- p - sign(g) * step_size
        prev <- g

    torch's algorithm and order of operations; ``sign`` is -1, 0 or 1 and 0
    for NaN, as ``torch.sign``, so a NaN product counts as no change (f = 1).
    The step count plays no part.

    References
    ----------
    Riedmiller and Braun, "A direct adaptive method for faster
    backpropagation learning: the RPROP algorithm", ICNN 1993.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.array([1.0, -2.0, 0.0], np.float32)
    >>> prev, size = np.zeros_like(p), np.full_like(p, 0.01)
    >>> rprop_step(p, g, prev, size)
    True
    >>> p  # each element moves by its step size, against its gradient's sign
    array([-0.01,  0.01,  0.  ], dtype=float32)
    """
    fn = "rprop_step"
    h = BY_NAME["rprop"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [
            ("param", param, True),
            ("grad", grad, False),
            ("prev", prev, True),
            ("step_size", step_size, True),
        ],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    for p, g0, pv, ss in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        q = g * pv
        f = np.where(q > 0, T(h["etaplus"]), np.where(q < 0, T(h["etaminus"]), T(1.0)))
        s = ss * f
        s = np.where(s < T(h["step_size_min"]), T(h["step_size_min"]), s)
        s = np.where(s > T(h["step_size_max"]), T(h["step_size_max"]), s)
        g = np.where(q < 0, T(0.0), g)
        sg = (g > 0).astype(p.dtype) - (g < 0).astype(p.dtype)
        ss[...] = s
        pv[...] = g
        p[...] = p - sg * s
    return True


__all__ = ["rprop_step"]
