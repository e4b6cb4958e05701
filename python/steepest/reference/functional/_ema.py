"""The params' exponential moving average, reference.

Twin: ``cpp/include/steepest/optim/ema.hpp`` (a pass of its own here and in
``ema_update``; fused into a rule's step by ``steepest.EMA`` on the native
backend, with the same rounding).
"""

from __future__ import annotations

import numpy as np

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
        float64) and shape to its param; float32 for a float16 or bfloat16
        param.
    params : ndarray or list of ndarray
        The params (only read).
    decay : float
        In [0, 1); 0 copies the params. ``decay`` and ``1 - decay`` (the
        latter computed in double) are cast to the averages' dtype.

    Notes
    -----
    The arithmetic runs in the averages' dtype without fused multiply-add,
    so the native function and the step fused with it
    (:class:`steepest.EMA` on the native backend) agree with the three NumPy
    operations here bit for bit. A float16 or bfloat16 param is widened
    (exactly) to float32 and averaged in float32. An average kept in the
    param's dtype could hardly move: at ``decay`` 0.999 an increment
    ``(1 - decay) * (p - ema)`` below half an ulp of ``ema`` rounds away,
    and in bfloat16 (8 significant bits) that is every increment unless
    ``p`` and ``ema`` differ by about four times ``ema`` itself.

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
    if v.any_half(params):
        # a 16-bit param has a float32 average (its state), as lookahead_sync's
        values, averages = v.check_lists(
            fn, [("params", params, False), ("ema", ema, True)], half=True, state_from=1
        )
    else:
        averages, values = v.check_lists(
            fn, [("ema", ema, True), ("params", params, False)]
        )
    for e, p in zip(averages, values, strict=True):
        t = e.dtype.type
        e *= t(d)
        e += np.multiply(p.astype(e.dtype, copy=False), t(1.0 - d))


__all__ = ["ema_update"]
