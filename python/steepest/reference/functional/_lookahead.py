"""Lookahead's slow-weight update, reference.

Twin: ``cpp/include/steepest/optim/lookahead.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ...typing import ArrayOrList
from ._common import _quiet


@_quiet
def lookahead_sync(slow: ArrayOrList, fast: ArrayOrList, alpha: float) -> None:
    """Move the slow weights toward the fast ones and restart the fast ones there.

    The outer step of Lookahead (Zhang et al. 2019, arXiv:1907.08610), run
    by :class:`steepest.Lookahead` every ``k`` inner steps::

        slow <- slow + alpha * (fast - slow)
        fast <- slow

    Parameters
    ----------
    slow, fast : ndarray or list of ndarray
        The slow weights and the fast weights (the params the inner
        optimizer steps), both updated in place; each pair alike in dtype
        (float32 or float64) and shape, or a float16/bfloat16 fast array with
        float32 slow weights.
    alpha : float
        The slow weights' step size, in (0, 1]; cast to the arrays' dtype.

    Notes
    -----
    The arithmetic runs in the arrays' dtype without fused multiply-add, so
    the native function's single pass and the three NumPy operations here
    agree bit for bit. A 16-bit fast array is widened to float32, the update
    runs in float32 and the fast weights are the new slow ones rounded to
    nearest even (as the rules treat 16-bit params).

    Examples
    --------
    >>> import numpy as np
    >>> slow = np.array([0.0, 1.0]); fast = np.array([1.0, 3.0])
    >>> lookahead_sync(slow, fast, 0.5)
    >>> slow, fast
    (array([0.5, 2. ]), array([0.5, 2. ]))
    """
    fn = "lookahead_sync"
    a = v.check_between(fn, "alpha", alpha, 0.0, 1.0, lo_open=True, hi_open=False)
    if v.any_half(fast):
        # the fast weights are the params: a 16-bit one has float32 slow weights
        fasts, slows = v.check_lists(
            fn, [("fast", fast, True), ("slow", slow, True)], half=True, state_from=1
        )
    else:
        slows, fasts = v.check_lists(fn, [("slow", slow, True), ("fast", fast, True)])
    for s, f in zip(slows, fasts, strict=True):
        d = np.subtract(f.astype(s.dtype, copy=False), s)
        d *= s.dtype.type(a)
        s += d
        f[...] = s.astype(f.dtype, copy=False)


__all__ = ["lookahead_sync"]
