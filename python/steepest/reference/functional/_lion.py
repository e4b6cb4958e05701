"""Lion reference step: the sign of an interpolated momentum, decoupled weight decay.

Twin: ``cpp/include/steepest/rules/lion.hpp``.
"""

from __future__ import annotations

import numpy as np

from ... import _checks as v
from ..._rules import BY_NAME
from ...typing import ArrayOrList
from ._common import _grads_finite, _quiet, _step_lists, storage


@storage
@_quiet
def lion_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    *,
    lr: float = 1e-4,
    beta1: float = 0.9,
    beta2: float = 0.99,
    weight_decay: float = 1e-3,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Lion, a sign update of an interpolated momentum (optax.lion).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m : ndarray or list of ndarray
        Momentum (starts at zero; optax's ``mu``, lion-pytorch's ``exp_avg``).
    lr : float
        Learning rate >= 0. optax has no default; 1e-4 is the paper's advice
        of a rate 3-10x smaller than AdamW's (1e-3 here), and the default of
        the common PyTorch port (lion-pytorch).
    beta1 : float
        In [0, 1): weight of the momentum in the interpolation whose sign is
        the update (optax's ``b1``).
    beta2 : float
        In [0, 1): decay rate of the momentum (optax's ``b2``).
    weight_decay : float
        >= 0, decoupled: ``lr * weight_decay * p`` leaves each step
        (optax's default 1e-3).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        c = (1 - beta1) * g + beta1 * m
        p <- p - lr * (sign(c) + wd * p)
        m <- (1 - beta2) * g + beta2 * m

    optax's algorithm and order of operations (``scale_by_lion``, then
    ``add_decayed_weights``, then the learning rate); ``sign`` is
    :func:`numpy.sign` (0 at 0, NaN at NaN). Every coordinate moves by
    ``lr`` (plus the decay), so the step count plays no part.

    References
    ----------
    Chen et al., "Symbolic discovery of optimization algorithms",
    arXiv:2302.06675, 2023, algorithm 2.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.array([1.0, -2.0, 0.0], np.float32)
    >>> m = np.zeros_like(p)
    >>> lion_step(p, g, m, lr=0.1)
    True
    >>> p  # each coordinate moves by lr against its gradient's sign
    array([-0.1,  0.1,  0. ], dtype=float32)
    """
    fn = "lion_step"
    h = BY_NAME["lion"].check_step(fn, locals())
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn, [("param", param, True), ("grad", grad, False), ("m", m, True)]
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    beta1, beta2, wd = h["beta1"], h["beta2"], h["weight_decay"]
    for p, g0, mi in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        u = np.sign(T(1.0 - beta1) * g + T(beta1) * mi)
        if wd != 0:
            u = u + T(wd) * p
        p[...] = p - T(h["lr"]) * u
        mi[...] = T(1.0 - beta2) * g + T(beta2) * mi
    return True


__all__ = ["lion_step"]
