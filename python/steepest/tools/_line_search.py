"""Backtracking (Armijo) line search and steepest descent built on it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _result as r
from ._result import MinimizeResult, ScalarFn, Vector


@dataclass(frozen=True, repr=False)
class LineSearchResult:
    """Outcome of :func:`armijo`.

    Attributes
    ----------
    t : float
        Accepted step length (0.0 when the search failed).
    x : ndarray of float64
        ``x + t * direction`` (``x`` itself on failure).
    fx : float
        ``f`` at the returned ``x``.
    n_evals : int
        Evaluations of ``f`` made by the search.
    ok : bool
        The sufficient-decrease condition was met within ``max_iter`` trials.
    """

    t: float
    x: Vector
    fx: float
    n_evals: int
    ok: bool

    def __repr__(self) -> str:
        return f"LineSearchResult(t={self.t:.6g}, fx={self.fx:.6g}, n_evals={self.n_evals}, ok={self.ok})"


def armijo(
    f: ScalarFn,
    x: ArrayLike,
    g: ArrayLike,
    direction: ArrayLike,
    t0: float = 1.0,
    beta: float = 0.5,
    c: float = 1e-4,
    max_iter: int = 50,
    *,
    fx: float | None = None,
) -> LineSearchResult:
    """Backtrack ``t = t0, beta t0, beta^2 t0, ...`` until ``f`` decreases enough.

    Accepts the first ``t`` with the Armijo (sufficient decrease) condition
    ``f(x + t d) <= f(x) + c t g^T d``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` on 1-D float64 arrays.
    x, g, direction : array_like
        Current point, gradient there, and a descent direction ``d``
        (``g^T d < 0``), all of one size; flattened to 1-D.
    t0 : float, default 1.0
        First trial step (> 0).
    beta : float, default 0.5
        Shrink factor, in (0, 1).
    c : float, default 1e-4
        Sufficient-decrease constant, in (0, 1).
    max_iter : int, default 50
        Trials before giving up (``t`` then would be ``t0 * beta**max_iter``).
    fx : float, optional
        ``f(x)`` when already known (saves one evaluation).

    Returns
    -------
    LineSearchResult

    Raises
    ------
    ValueError
        If ``direction`` is not a descent direction, sizes differ, or a
        constant is out of range.

    Notes
    -----
    A trial point where ``f`` is NaN or infinite counts as not decreasing, so
    the search also backs out of regions where ``f`` is undefined. For a
    continuously differentiable ``f`` a small enough ``t`` always satisfies the
    condition (Nocedal & Wright, *Numerical Optimization*, 2nd ed., sec. 3.1).

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.tools import armijo
    >>> f = lambda x: float(x @ x)
    >>> x = np.array([1.0, 2.0]); g = 2 * x
    >>> res = armijo(f, x, g, -g)   # t = 1 overshoots to -x; t = 0.5 lands on 0
    >>> res.t, res.x.tolist(), res.fx
    (0.5, [0.0, 0.0], 0.0)
    """
    fn = "armijo"
    r.check_callable(fn, "f", f)
    x_arr = r.as_vector(fn, "x", x)
    g_arr = r.as_vector(fn, "g", g)
    d_arr = r.as_vector(fn, "direction", direction)
    if not g_arr.size == d_arr.size == x_arr.size:
        msg = f"{fn}: x, g and direction have sizes {x_arr.size}, {g_arr.size}, {d_arr.size}"
        raise ValueError(msg)
    t0 = r.check_real(fn, "t0", t0, strict=True)
    beta = r.check_real(fn, "beta", beta, strict=True)
    c = r.check_real(fn, "c", c, strict=True)
    for name, val in (("beta", beta), ("c", c)):
        if val >= 1.0:
            msg = f"{fn}: {name} must be in (0, 1), got {val!r}"
            raise ValueError(msg)
    max_iter = r.check_positive_int(fn, "max_iter", max_iter)
    slope = float(g_arr @ d_arr)
    if not slope < 0.0:
        msg = f"{fn}: direction is not a descent direction (g^T d = {slope:.6g} >= 0)"
        raise ValueError(msg)
    n_evals = 0
    if fx is None:
        fx = r.value(fn, f, x_arr)
        n_evals += 1
    t = t0
    for _ in range(max_iter):
        trial = x_arr + t * d_arr
        f_trial = r.value(fn, f, trial)
        n_evals += 1
        if math.isfinite(f_trial) and f_trial <= fx + c * t * slope:
            return LineSearchResult(t, trial, f_trial, n_evals, True)
        t *= beta
    return LineSearchResult(0.0, x_arr, float(fx), n_evals, False)


class GradientDescent:
    """Steepest descent ``x <- x - t g`` with ``t`` from :func:`armijo` at every step.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` on 1-D float64 arrays.
    grad_f : callable
        ``grad_f(x) -> array`` of ``x``'s size.
    t0, beta, c, max_iter
        Passed to :func:`armijo` at every step (``t0`` is each search's first
        trial: no memory between steps).
    tol : float, default 1e-6
        Stop when ``||grad f(x)|| <= tol``.
    ftol : float, optional
        Also stop when ``|f(x_k) - f(x_{k-1})| <= ftol``.
    max_steps : int, default 1000
        Maximum number of steps.

    Examples
    --------
    >>> from steepest.tools import GradientDescent, quadratic_bowl
    >>> bowl = quadratic_bowl((1.0, 10.0))
    >>> res = GradientDescent(bowl.f, bowl.grad_f, tol=1e-8).run(bowl.start)
    >>> res.converged, res.path.shape[1], bool(abs(res.x).max() < 1e-8)
    (True, 2, True)
    """

    def __init__(
        self,
        f: ScalarFn,
        grad_f: Callable[[Vector], Any],
        *,
        t0: float = 1.0,
        beta: float = 0.5,
        c: float = 1e-4,
        max_iter: int = 50,
        tol: float = 1e-6,
        ftol: float | None = None,
        max_steps: int = 1000,
    ) -> None:
        fn = "GradientDescent"
        r.check_callable(fn, "f", f)
        r.check_callable(fn, "grad_f", grad_f)
        self.f, self.grad_f = f, grad_f
        self.t0, self.beta, self.c, self.max_iter = t0, beta, c, max_iter
        self.tol = r.check_real(fn, "tol", tol)
        self.ftol = None if ftol is None else r.check_real(fn, "ftol", ftol)
        self.max_steps = r.check_positive_int(fn, "max_steps", max_steps, low=0)

    def run(self, x0: ArrayLike) -> MinimizeResult:
        """Descend from ``x0`` (not modified); the result holds the whole path."""
        fn = "GradientDescent.run"
        x = r.as_vector(fn, "x0", x0)
        fx = r.value(fn, self.f, r.readonly(x))
        if not math.isfinite(fx):
            msg = f"{fn}: f(x0) is not finite ({fx})"
            raise ValueError(msg)
        g = r.gradient(fn, self.grad_f, r.readonly(x))
        path, fs, ts = [x], [fx], list[float]()
        reason = r.MAX_STEPS
        while True:
            gnorm = r.norm(g)
            if gnorm <= self.tol:
                reason = r.GTOL
                break
            if (
                self.ftol is not None
                and len(fs) > 1
                and abs(fs[-1] - fs[-2]) <= self.ftol
            ):
                reason = r.FTOL
                break
            if len(ts) >= self.max_steps:
                break
            if not np.isfinite(g).all():
                reason = r.DIVERGED
                break
            ls = armijo(
                self.f, x, g, -g, self.t0, self.beta, self.c, self.max_iter, fx=fx
            )
            if not ls.ok:
                reason = r.LINE_SEARCH_FAILED
                break
            x, fx = ls.x, ls.fx
            g = r.gradient(fn, self.grad_f, r.readonly(x))
            path.append(x)
            fs.append(fx)
            ts.append(ls.t)
        return MinimizeResult(
            x=x, fun=fx, grad_norm=gnorm, n_steps=len(ts),
            converged=reason in (r.GTOL, r.FTOL), reason=reason, path=np.array(path),
            f_history=np.array(fs), step_sizes=np.array(ts, dtype=np.float64),
        )  # fmt: skip
