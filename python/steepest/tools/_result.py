"""The result type shared by the descent methods, and the checks of user callables.

Every method of :mod:`steepest.tools` (first-order :func:`minimize`,
:class:`GradientDescent`, :func:`newton`) returns a :class:`MinimizeResult`,
so a plot or a test can compare their paths without caring which made them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import _checks as v

Vector: TypeAlias = NDArray[np.float64]
ScalarFn: TypeAlias = Callable[[Vector], float]
GradFn: TypeAlias = Callable[[Vector], ArrayLike]


@dataclass(frozen=True, repr=False)
class MinimizeResult:
    """Where a descent method stopped, why, and the way it went there.

    Attributes
    ----------
    x : ndarray of float64, shape (n,)
        Last iterate (the last one with a finite value when a run diverged).
    fun : float
        ``f(x)``.
    grad_norm : float
        Euclidean norm of the gradient at ``x``.
    n_steps : int
        Updates applied (``path`` has ``n_steps + 1`` rows).
    converged : bool
        True when a tolerance stopped the run (``reason`` "gtol" or "ftol").
    reason : str
        "gtol" (gradient norm <= tol), "ftol" (|f change| <= ftol),
        "max_steps", "callback" (the callback returned True), "diverged"
        (f or its gradient became non-finite) or "line_search_failed".
    path : ndarray of float64, shape (n_steps + 1, n)
        Every iterate, the starting point first.
    f_history : ndarray of float64, shape (n_steps + 1,)
        ``f`` along ``path``.
    step_sizes : ndarray of float64, shape (n_steps,) or None
        Step lengths the line search accepted (line-search methods only).
    """

    x: Vector
    fun: float
    grad_norm: float
    n_steps: int
    converged: bool
    reason: str
    path: NDArray[np.float64]
    f_history: Vector
    step_sizes: Vector | None = None

    def __repr__(self) -> str:
        # the arrays can be long: show what a reader scans for first
        return (
            f"MinimizeResult(fun={self.fun:.6g}, grad_norm={self.grad_norm:.3g}, "
            f"n_steps={self.n_steps}, converged={self.converged}, "
            f"reason={self.reason!r})"
        )


GTOL, FTOL, MAX_STEPS = "gtol", "ftol", "max_steps"
CALLBACK, DIVERGED, LINE_SEARCH_FAILED = "callback", "diverged", "line_search_failed"


def as_vector(fn: str, name: str, x: Any) -> Vector:
    """A fresh 1-D float64 copy of ``x``; ValueError when empty or not finite."""
    try:
        out = np.array(x, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as err:
        msg = f"{fn}: {name} must be an array of real numbers ({err})"
        raise TypeError(msg) from err
    if out.size == 0:
        msg = f"{fn}: {name} is empty"
        raise ValueError(msg)
    if not np.isfinite(out).all():
        msg = f"{fn}: {name} has non-finite entries"
        raise ValueError(msg)
    return out


def check_callable(fn: str, name: str, obj: object) -> None:
    if not callable(obj):
        msg = f"{fn}: {name} must be callable, got {type(obj).__name__}"
        raise TypeError(msg)


def check_positive_int(fn: str, name: str, value: object, *, low: int = 1) -> int:
    """An int >= ``low`` (the vocabulary's :func:`steepest._checks.integer`)."""
    return v.integer(fn, name, value, low)


def check_real(fn: str, name: str, value: object, *, strict: bool = False) -> float:
    """A finite real ``>= 0`` (``> 0`` when ``strict``)."""
    check = v.check_positive if strict else v.check_nonnegative
    return check(fn, name, value)


def value(fn: str, f: ScalarFn, x: Vector) -> float:
    """``f(x)`` as a float; TypeError when ``f`` returns something else.

    Overflow and invalid-operation warnings are silenced: a non-finite value is
    the caller's signal (divergence, or a trial step to reject), handled there.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = f(x)
    try:
        return float(out)
    except (TypeError, ValueError) as err:
        msg = f"{fn}: f must return a real number, got {type(out).__name__}"
        raise TypeError(msg) from err


def gradient(fn: str, grad_f: GradFn, x: Vector) -> Vector:
    """``grad_f(x)`` as a fresh float64 vector of ``x``'s size.

    Always a copy: a gradient such as ``lambda x: x`` would otherwise alias the
    iterate that the optimizer is about to update in place.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = np.array(grad_f(x), dtype=np.float64)
    if g.size != x.size:
        msg = f"{fn}: grad_f returned shape {g.shape} for x of shape {x.shape}"
        raise ValueError(msg)
    return g.reshape(x.shape)


def norm(g: Vector) -> float:
    """Euclidean norm, inf (without a warning) when the sum of squares overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(g))


def readonly(x: Vector) -> Vector:
    """A read-only view: user callables see the iterate but cannot change it."""
    view = x.view()
    view.flags.writeable = False
    return view


def diverged_message(fn: str, what: str, step: int) -> str:
    return (
        f"{fn}: {what} is not finite after step {step}; the last finite iterate "
        "is kept (lower the learning rate, or pass nonfinite='stop' to get it "
        "back as a result with reason 'diverged')"
    )
