"""LAMB reference step: Adam's direction, one trust ratio per array.

Twin: ``cpp/include/steepest/rules/lamb.hpp``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _checks
from ..._rules import BY_NAME
from ...typing import ArrayOrList, FloatArray
from ._common import _grads_finite, _quiet, _step_lists, storage

#: the native first pass's block (``measure_block`` in rules/plan.hpp)
_BLOCK = 16384
_LANES = 32


def _sum_squares(x: FloatArray) -> float:
    """sum(x**2) in float64, associated as the native first pass adds it.

    Blocks of ``_BLOCK`` elements in order; inside one, element i goes to
    lane i % 32, each lane adds in index order, then the lanes in order.
    ``cumsum`` is the sequential sum numpy guarantees (``sum`` pairs);
    padding the last block with zeros adds exact zeros.
    """
    wide = x.astype(np.float64).ravel()
    sq = wide * wide
    full = sq.size // _BLOCK * _BLOCK
    rows = sq[:full].reshape(-1, _BLOCK // _LANES, _LANES)
    sums = list(np.cumsum(np.cumsum(rows, axis=1)[:, -1], axis=1)[:, -1])
    if full < sq.size:
        last = np.zeros(-(-(sq.size - full) // _LANES) * _LANES)
        last[: sq.size - full] = sq[full:]
        lanes = np.cumsum(last.reshape(-1, _LANES), axis=0)[-1]
        sums.append(np.cumsum(lanes)[-1])
    total = 0.0
    for block in sums:
        total += float(block)
    return total


@storage
@_quiet
def lamb_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-6,
    eps_root: float = 0.0,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """LAMB: Adam's direction scaled per array by a trust ratio (optax.lamb).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients. Each array is one
        tensor: it gets its own trust ratio.
    m, v : ndarray or list of ndarray
        First and second moment estimates (start at zero; optax's ``mu``,
        ``nu``).
    step : int
        Step number t >= 1, used in the bias corrections.
    lr : float
        Learning rate >= 0 (optax has no default; 1e-3 here, see
        :class:`steepest.Lamb`).
    beta1, beta2 : float
        Decay rates in [0, 1) (optax's ``b1``, ``b2``).
    eps : float
        > 0, added to the root (optax's default 1e-6).
    eps_root : float
        >= 0, added under the root (optax's default 0).
    weight_decay : float
        Decoupled: added to the update before the trust ratio (optax's
        ``add_decayed_weights``), so it is scaled with it.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        m <- (1 - beta1) * g + beta1 * m
        v <- (1 - beta2) * g * g + beta2 * v
        u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t) + eps_root) + eps)
        u <- u + wd * p
        r = ||p|| / ||u||  per array, 1 when either norm is 0
        p <- p - (lr * r) * u

    optax's order of operations, with the per-step scalars computed once in
    double and cast: the inverse bias corrections multiply (optax divides by
    the corrections per element) and ``-lr * r`` is one scalar (optax
    multiplies ``u`` by ``r`` and then by ``-lr`` in the dtype). The norms
    are summed in float64 in a fixed association (that of the native
    kernel, whatever its thread count).

    References
    ----------
    You et al., "Large batch optimization for deep learning: training BERT
    in 76 minutes", arXiv:1904.00962, ICLR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.full(4, 2.0, np.float32); g = np.ones(4, np.float32)
    >>> m, v = np.zeros_like(p), np.zeros_like(p)
    >>> lamb_step(p, g, m, v, step=1, lr=0.1)
    True
    >>> p  # u is about 1 everywhere, ||p|| / ||u|| = 2: each moves by 0.1 * 2
    array([1.8, 1.8, 1.8, 1.8], dtype=float32)
    """
    fn = "lamb_step"
    t = _checks.check_step(fn, step)
    h = BY_NAME["lamb"].check_step(fn, locals())
    mode = _checks.check_nonfinite(fn, nonfinite)
    arrays = _step_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("m", m, True), ("v", v, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    lr, beta1, beta2 = h["lr"], h["beta1"], h["beta2"]
    eps, eps_root, wd = h["eps"], h["eps_root"], h["weight_decay"]
    inv_bc1 = 1.0 / (1.0 - beta1**t)
    inv_bc2 = 1.0 / (1.0 - beta2**t)
    for p, g0, mi, vi in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if h["maximize"] else 1.0)
        mi[...] = T(1.0 - beta1) * g + T(beta1) * mi
        vi[...] = T(1.0 - beta2) * (g * g) + T(beta2) * vi
        u = (mi * T(inv_bc1)) / (np.sqrt(vi * T(inv_bc2) + T(eps_root)) + T(eps))
        if wd != 0:
            u = u + T(wd) * p
        p_norm = math.sqrt(_sum_squares(p))
        u_norm = math.sqrt(_sum_squares(u))
        # optax: a zero norm on either side leaves the update unscaled
        r = 1.0 if p_norm == 0.0 or u_norm == 0.0 else p_norm / u_norm
        p[...] = p + T(-lr * r) * u
    return True


__all__ = ["lamb_step"]
