"""Gradient clipping by global norm, reference.

Twin: ``cpp/include/steepest/optim/reduce.hpp``.
"""

from __future__ import annotations

import math

import numpy as np

from ... import _checks as v
from ...typing import ArrayOrList
from ._common import _quiet


@_quiet
def clip_grad_norm(
    grads: ArrayOrList,
    max_norm: float,
    *,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale gradients in place so that their global norm is at most ``max_norm``.

    Follows ``torch.nn.utils.clip_grad_norm_``: the total norm is the
    ``norm_type``-norm of all gradients together; if ``max_norm / (total +
    1e-6)`` is below 1, every gradient is multiplied by it.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        Gradients, modified in place (must be writeable, C-contiguous):
        float32, float64, or float16/bfloat16 (the 16-bit params' grads).
    max_norm : float
        Largest allowed norm, >= 0.
    norm_type : float
        p of the p-norm, > 0; ``math.inf`` for the largest absolute value.
    error_if_nonfinite : bool
        Raise ``ValueError`` (and scale nothing) when the total norm is NaN or inf.

    Returns
    -------
    float
        The total norm before clipping.

    Notes
    -----
    The norm is accumulated in float64 (torch uses the gradients' dtype); the
    native function sums fixed blocks in order, so its norm does not depend on
    the thread count, and agrees with the reference's to a relative 1e-12.
    A 16-bit gradient is scaled in float32 and rounded back to nearest even
    (as the rules treat 16-bit params).
    """
    fn = "clip_grad_norm"
    max_norm = v.real(fn, "max_norm", max_norm)
    norm_type = v.real(fn, "norm_type", norm_type)
    error_if_nonfinite = v.flag(fn, "error_if_nonfinite", error_if_nonfinite)
    # torch accepts max_norm=inf (no clipping); NaN and negatives are errors.
    if not max_norm >= 0:
        msg = f"{fn}: max_norm must be a number >= 0 (inf allowed), got {max_norm!r}"
        raise ValueError(msg)
    q = float(norm_type)
    if not q > 0:
        msg = f"{fn}: norm_type must be > 0 (inf allowed), got {q!r}"
        raise ValueError(msg)
    (arrays,) = v.check_lists(fn, [("grads", grads, True)], half=v.any_half(grads))
    wide = [g.astype(np.float64).ravel() for g in arrays]
    if math.isinf(q):
        total = max((float(np.max(np.abs(g))) for g in wide if g.size), default=0.0)
        if any(np.isnan(g).any() for g in wide):
            total = math.nan
    elif q == 2.0:
        total = math.sqrt(sum(float(np.dot(g, g)) for g in wide))
    else:
        # numpy's power, not float's **: a finite sum whose 1/q-th power
        # overflows (q < 1) is inf, as torch's norm and the native pow, where
        # float ** raises OverflowError
        summed = np.float64(sum(float(np.sum(np.abs(g) ** q)) for g in wide))
        total = float(np.power(summed, 1.0 / q))
    if error_if_nonfinite and not math.isfinite(total):
        msg = (
            f"{fn}: the total norm of grads is {total!r}; "
            "nothing was scaled (error_if_nonfinite=True)"
        )
        raise ValueError(msg)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        for g in arrays:
            if v.is_half(g.dtype):
                g[...] = (g.astype(np.float32) * np.float32(coef)).astype(g.dtype)
            else:
                g *= g.dtype.type(coef)
    return total


__all__ = ["clip_grad_norm"]
