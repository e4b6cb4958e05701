"""Second-order and closed-form references that first-order methods are compared with."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _result as r
from ._line_search import armijo
from ._result import MinimizeResult, ScalarFn, Vector


def _newton_direction(fn: str, H: NDArray[np.float64], g: Vector) -> Vector | None:
    """``-H^{-1} g`` by Cholesky, or None when ``H`` is not positive definite."""
    try:
        L = np.linalg.cholesky(H)
    except np.linalg.LinAlgError:
        return None
    p: Vector = -np.linalg.solve(L.T, np.linalg.solve(L, g))
    # a Hessian that is numerically PD can still give an ascent direction
    return p if np.isfinite(p).all() and float(g @ p) < 0.0 else None


def newton(
    f: ScalarFn,
    grad_f: Callable[[Vector], ArrayLike],
    hess_f: Callable[[Vector], ArrayLike],
    x0: ArrayLike,
    *,
    tol: float = 1e-8,
    max_steps: int = 100,
    line_search: bool = True,
    fallback: str = "gradient",
) -> MinimizeResult:
    """Newton's method ``x <- x - t H^{-1} g``, damped by a backtracking line search.

    Parameters
    ----------
    f, grad_f, hess_f : callable
        The function, its gradient (size ``n``) and Hessian (``n x n``), each
        called with a read-only 1-D float64 vector.
    x0 : array_like
        Start (flattened to a float64 copy).
    tol : float, default 1e-8
        Stop, converged, when ``||grad f(x)|| <= tol``.
    max_steps : int, default 100
        Maximum number of steps.
    line_search : bool, default True
        Choose ``t`` by :func:`armijo` from ``t = 1`` (the full Newton step,
        kept wherever the quadratic model is good). False always takes ``t = 1``.
    fallback : {"gradient", "raise"}, default "gradient"
        Where the Hessian is singular or not positive definite (near a saddle,
        a maximum, or far from a minimum), take a steepest-descent step
        ``-g`` for that iteration, or raise :class:`numpy.linalg.LinAlgError`.

    Returns
    -------
    MinimizeResult
        With ``step_sizes`` (the accepted ``t`` per step).

    Raises
    ------
    numpy.linalg.LinAlgError
        With ``fallback="raise"``, at the first Hessian that is not positive
        definite.
    TypeError, ValueError
        For bad arguments, a non-finite start value, a Hessian of the wrong
        shape or with non-finite entries.

    Notes
    -----
    On a strictly convex quadratic the first step lands on the minimum (to
    rounding), and the Armijo condition accepts ``t = 1`` there; near a
    minimum with a positive definite Hessian convergence is quadratic.

    Examples
    --------
    >>> from steepest.tools import newton, quadratic_bowl
    >>> bowl = quadratic_bowl((1.0, 100.0), center=(3.0, -2.0))
    >>> res = newton(bowl.f, bowl.grad_f, bowl.hess_f, [0.0, 0.0])
    >>> res.n_steps, res.converged, res.x.round(12).tolist()
    (1, True, [3.0, -2.0])
    """
    fn = "newton"
    for name, obj in (("f", f), ("grad_f", grad_f), ("hess_f", hess_f)):
        r.check_callable(fn, name, obj)
    tol = r.check_real(fn, "tol", tol)
    max_steps = r.check_positive_int(fn, "max_steps", max_steps, low=0)
    if fallback not in ("gradient", "raise"):
        msg = f"{fn}: fallback must be 'gradient' or 'raise', got {fallback!r}"
        raise ValueError(msg)
    x = r.as_vector(fn, "x0", x0)
    n = x.size
    fx = r.value(fn, f, r.readonly(x))
    if not math.isfinite(fx):
        msg = f"{fn}: f(x0) is not finite ({fx})"
        raise ValueError(msg)
    g = r.gradient(fn, grad_f, r.readonly(x))
    path, fs, ts = [x], [fx], list[float]()
    while True:
        gnorm = r.norm(g)
        if gnorm <= tol:
            reason = r.GTOL
            break
        if len(ts) >= max_steps:
            reason = r.MAX_STEPS
            break
        if not np.isfinite(g).all():
            reason = r.DIVERGED
            break
        H = np.array(hess_f(r.readonly(x)), dtype=np.float64)
        if H.shape != (n, n) or not np.isfinite(H).all():
            msg = f"{fn}: hess_f must return a finite ({n}, {n}) array, got shape {H.shape}"
            raise ValueError(msg)
        p = _newton_direction(fn, H, g)
        if p is None:
            if fallback == "raise":
                msg = (
                    f"{fn}: the Hessian at step {len(ts)} is singular or not positive "
                    f"definite (eigenvalues {np.linalg.eigvalsh((H + H.T) / 2)}); pass "
                    "fallback='gradient' to take a gradient step there"
                )
                raise np.linalg.LinAlgError(msg)
            p = -g
        if line_search:
            ls = armijo(f, x, g, p, fx=fx)
            if not ls.ok:
                reason = r.LINE_SEARCH_FAILED
                break
            x, fx, t = ls.x, ls.fx, ls.t
        else:
            x, t = x + p, 1.0
            fx = r.value(fn, f, r.readonly(x))
        g = r.gradient(fn, grad_f, r.readonly(x))
        path.append(x)
        fs.append(fx)
        ts.append(t)
        if not math.isfinite(fx):
            reason = r.DIVERGED
            break
    return MinimizeResult(
        x=x, fun=fx, grad_norm=r.norm(g), n_steps=len(ts),
        converged=reason == r.GTOL, reason=reason, path=np.array(path),
        f_history=np.array(fs), step_sizes=np.array(ts, dtype=np.float64),
    )  # fmt: skip


class LeastSquaresResult(NamedTuple):
    """Coefficients and intercept of :func:`least_squares` (unpackable)."""

    coef: NDArray[np.float64]
    intercept: Any  # float, or an array with one entry per column of a 2-D y


def least_squares(
    X: ArrayLike, y: ArrayLike, alpha: float = 0.0, *, fit_intercept: bool = False
) -> LeastSquaresResult:
    """Closed-form (ridge) least squares: ``argmin ||y - X w - b||^2 + alpha ||w||^2``.

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Design matrix.
    y : array_like, shape (n_samples,) or (n_samples, n_targets)
        Targets.
    alpha : float, default 0.0
        L2 penalty (>= 0); the intercept is not penalised (scikit-learn's
        ``Ridge`` convention, whose ``alpha`` this is).
    fit_intercept : bool, default False
        Fit ``b`` (by centring ``X`` and ``y``); otherwise ``b = 0``.

    Returns
    -------
    LeastSquaresResult
        ``(coef, intercept)``; ``coef`` has shape ``(n_features,)`` or
        ``(n_features, n_targets)``.

    Notes
    -----
    ``alpha = 0`` uses :func:`numpy.linalg.lstsq` (the minimum-norm solution
    when ``X`` is rank deficient); ``alpha > 0`` solves the normal equations
    ``(X^T X + alpha I) w = X^T y`` with :func:`numpy.linalg.solve`. The same
    minimiser solves ``1/2 ||y - X w||^2 + alpha/2 ||w||^2`` and, with ``X``
    and ``alpha`` scaled by ``1/n``, the mean squared error.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.tools import least_squares
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = 2 * X[:, 0] + 1
    >>> coef, b = least_squares(X, y, fit_intercept=True)
    >>> coef.round(12).tolist(), round(b, 12)
    ([2.0], 1.0)
    """
    fn = "least_squares"
    Xa = np.array(X, dtype=np.float64)
    ya = np.array(y, dtype=np.float64)
    if Xa.ndim != 2:
        msg = f"{fn}: X must be 2-D (n_samples, n_features), got shape {Xa.shape}"
        raise ValueError(msg)
    if ya.ndim not in (1, 2) or ya.shape[0] != Xa.shape[0]:
        msg = f"{fn}: y has shape {ya.shape} but X has {Xa.shape[0]} rows"
        raise ValueError(msg)
    if Xa.shape[0] == 0 or not (np.isfinite(Xa).all() and np.isfinite(ya).all()):
        msg = f"{fn}: X and y must be non-empty and finite"
        raise ValueError(msg)
    alpha = r.check_real(fn, "alpha", alpha)
    if fit_intercept:
        x_mean, y_mean = Xa.mean(axis=0), ya.mean(axis=0)
        Xa, ya = Xa - x_mean, ya - y_mean
    if alpha == 0.0:
        coef = np.asarray(np.linalg.lstsq(Xa, ya, rcond=None)[0], np.float64)
    else:
        A = Xa.T @ Xa + alpha * np.eye(Xa.shape[1])
        coef = np.asarray(np.linalg.solve(A, Xa.T @ ya), np.float64)
    if not fit_intercept:
        return LeastSquaresResult(coef, 0.0 if ya.ndim == 1 else np.zeros(ya.shape[1]))
    intercept = y_mean - x_mean @ coef
    return LeastSquaresResult(coef, float(intercept) if ya.ndim == 1 else intercept)
