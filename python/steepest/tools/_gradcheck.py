"""Compare an analytic gradient with central finite differences."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._result import check_callable, check_real


class GradcheckError(AssertionError):
    """An analytic gradient disagrees with finite differences (``raise_on_fail``)."""


@dataclass(frozen=True, repr=False)
class GradcheckResult:
    """Outcome of :func:`gradcheck`; true in a boolean context when it passed.

    Attributes
    ----------
    ok : bool
        Every coordinate satisfied ``|a - n| <= atol + rtol * |n|``.
    max_rel_error : float
        Largest ``|a - n| / max(|a|, |n|, atol)`` over the coordinates.
    max_abs_error : float
        Largest ``|a - n|``.
    index : tuple of int
        The coordinate furthest outside the tolerance (relative to it).
    analytic, numeric : float
        The two derivatives at ``index``.
    analytic_grad, numeric_grad : ndarray of float64
        Both gradients, shaped like ``x``.
    atol : float
        The absolute tolerance used (resolved when None was given).
    """

    ok: bool
    max_rel_error: float
    max_abs_error: float
    index: tuple[int, ...]
    analytic: float
    numeric: float
    analytic_grad: NDArray[np.float64]
    numeric_grad: NDArray[np.float64]
    atol: float

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return (
            f"GradcheckResult(ok={self.ok}, max_rel_error={self.max_rel_error:.3g}, "
            f"index={self.index}, analytic={self.analytic:.10g}, "
            f"numeric={self.numeric:.10g})"
        )


def gradcheck(
    f: Callable[[NDArray[np.float64]], Any],
    grad_f: Callable[[NDArray[np.float64]], ArrayLike],
    x: ArrayLike,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float | None = None,
    *,
    raise_on_fail: bool = False,
) -> GradcheckResult:
    """Check ``grad_f`` against central differences of ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``, called with a float64 array shaped like ``x``.
    grad_f : callable
        ``grad_f(x) -> array`` with ``x``'s shape (or size).
    x : array_like
        The point, flat or shaped; converted to a float64 copy (the caller's
        array is never perturbed).
    eps : float, default 1e-6
        Step ``h`` of ``(f(x + h e_i) - f(x - h e_i)) / (2 h)``.
    rtol : float, default 1e-5
        Relative tolerance.
    atol : float, optional
        Absolute tolerance. Default ``max(1e-8, 100 * eps_mach * max(1, |f(x)|) / eps)``:
        a hundred times the rounding noise of the difference quotient, so a
        right gradient passes at large ``|f|`` and a wrong one still fails.
    raise_on_fail : bool, default False
        Raise :class:`GradcheckError` (an :class:`AssertionError`) instead of
        returning a failed result.

    Returns
    -------
    GradcheckResult
        True in a boolean context when the gradients agree.

    Raises
    ------
    GradcheckError
        With ``raise_on_fail``, naming the worst coordinate.
    TypeError, ValueError
        For non-callables, a gradient of the wrong size, a non-finite ``f(x)``
        or bad tolerances.

    Notes
    -----
    With ``h = 1e-6`` the truncation error ``h^2 f''' / 6`` and the rounding
    error ``eps_mach |f| / h`` are both about ``1e-10`` for a function of order
    one, so a correct gradient agrees to ~1e-9 while a wrong term (a missing
    factor 2, a sign) is off by order one. 2n evaluations of ``f``: meant for
    small problems.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.tools import gradcheck
    >>> f = lambda x: float(np.sum(x**3))
    >>> bool(gradcheck(f, lambda x: 3 * x**2, [1.0, -2.0]))
    True
    >>> bad = gradcheck(f, lambda x: 2 * x**2, [1.0, -2.0])  # factor 3 missing
    >>> bad.ok, bad.index, bad.analytic, round(bad.numeric, 6)
    (False, (1,), 8.0, 12.0)
    """
    fn = "gradcheck"
    check_callable(fn, "f", f)
    check_callable(fn, "grad_f", grad_f)
    eps = check_real(fn, "eps", eps, strict=True)
    rtol = check_real(fn, "rtol", rtol)
    point = np.array(x, dtype=np.float64)
    if point.size == 0 or not np.isfinite(point).all():
        msg = f"{fn}: x must be non-empty and finite, got shape {point.shape}"
        raise ValueError(msg)
    f0 = float(f(point.copy()))
    if not np.isfinite(f0):
        msg = f"{fn}: f(x) is not finite ({f0})"
        raise ValueError(msg)
    if atol is None:
        atol = max(1e-8, 100 * np.finfo(np.float64).eps * max(1.0, abs(f0)) / eps)
    atol = check_real(fn, "atol", atol)
    analytic = np.array(grad_f(point.copy()), dtype=np.float64)
    if analytic.size != point.size:
        msg = (
            f"{fn}: grad_f returned shape {analytic.shape} for x of shape {point.shape}"
        )
        raise ValueError(msg)
    analytic = analytic.reshape(point.shape)
    numeric = np.empty_like(point)
    work = point.copy()
    for idx in np.ndindex(point.shape):
        saved = work[idx]
        work[idx] = saved + eps
        up = float(f(work))
        work[idx] = saved - eps
        down = float(f(work))
        work[idx] = saved
        numeric[idx] = (up - down) / (2 * eps)
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), max(atol, 1e-300))
    # rank coordinates by how far they exceed their own tolerance; NaN ranks worst
    excess = np.nan_to_num(diff / (atol + rtol * np.abs(numeric)), nan=np.inf)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), point.shape))
    result = GradcheckResult(
        ok=bool(np.all(excess <= 1.0)),
        max_rel_error=float(np.max(np.nan_to_num(diff / scale, nan=np.inf))),
        max_abs_error=float(np.max(np.nan_to_num(diff, nan=np.inf))),
        index=worst, analytic=float(analytic[worst]), numeric=float(numeric[worst]),
        analytic_grad=analytic, numeric_grad=numeric, atol=float(atol),
    )  # fmt: skip
    if raise_on_fail and not result.ok:
        msg = (
            f"{fn}: analytic and numeric gradients differ at index {worst}: "
            f"{result.analytic!r} vs {result.numeric!r} (max relative error "
            f"{result.max_rel_error:.3g}, rtol={rtol}, atol={atol:.3g})"
        )
        raise GradcheckError(msg)
    return result
