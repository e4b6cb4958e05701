"""The params' exponential moving average, reference.

Twin: ``cpp/include/steepest/optim/ema.hpp`` (a pass of its own here and in
``ema_update``; fused into a rule's step by ``steepest.EMA`` on the native
backend, with the same rounding).
"""

from __future__ import annotations

from ... import _checks as v
from ...typing import ArrayOrList
from ._common import _quiet


@_quiet
def ema_update(ema: ArrayOrList, params: ArrayOrList, decay: float) -> None:
    """Move the moving average of the params toward their current values.

    The update of :class:`steepest.EMA` (Keras' ``use_ema``, torch's
    ``AveragedModel`` with ``get_ema_multi_avg_fn``)::

        ema <- decay * ema + (1 - decay) * params

    Parameters
    ----------
    ema : ndarray or list of ndarray
        The averages, updated in place, each alike in dtype (float32 or
        float64) and shape to its param.
    params : ndarray or list of ndarray
        The params (only read).
    decay : float
        In [0, 1); 0 copies the params. ``decay`` and ``1 - decay`` (the
        latter computed in double) are cast to the arrays' dtype.

    Notes
    -----
    The arithmetic runs in the arrays' dtype without fused multiply-add, so
    the native function and the step fused with it
    (:class:`steepest.EMA` on the native backend) agree with the three NumPy
    operations here bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> ema = np.array([0.0, 1.0]); p = np.array([1.0, 3.0])
    >>> ema_update(ema, p, 0.75)
    >>> ema
    array([0.25, 1.5 ])
    """
    fn = "ema_update"
    d = v.check_between(fn, "decay", decay, 0.0, 1.0, hi_open=True)
    averages, values = v.check_lists(
        fn, [("ema", ema, True), ("params", params, False)]
    )
    for e, p in zip(averages, values, strict=True):
        t = e.dtype.type
        e *= t(d)
        e += p * t(1.0 - d)


__all__ = ["ema_update"]
