"""Small test functions with known stationary points, for plots and tests.

Each factory returns an :class:`Objective`: the function, its gradient and
Hessian (unpackable as ``f, grad_f, hess_f = rosenbrock()``), its minima, a
start point that makes an instructive picture, and plot bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._result import Vector

Point = tuple[float, ...]
Bounds = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Objective:
    """A function of a parameter vector with its derivatives and known points.

    Attributes
    ----------
    name : str
        Short name used as a plot title.
    f : callable
        ``f(x) -> float`` for ``x`` of shape ``(n,)``.
    grad_f : callable
        ``grad_f(x) -> ndarray`` of shape ``(n,)``.
    hess_f : callable
        ``hess_f(x) -> ndarray`` of shape ``(n, n)``.
    minima : tuple of tuple of float
        Every local minimum (empty when there is none).
    stationary : tuple of tuple of float
        Stationary points that are not minima (saddles, maxima).
    start : tuple of float
        A starting point for demonstrations.
    bounds : ((float, float), (float, float)) or None
        ``((x_min, x_max), (y_min, y_max))`` of a good picture (two-parameter
        functions only).

    Examples
    --------
    >>> from steepest.tools import rosenbrock
    >>> f, grad_f, hess_f = rosenbrock()
    >>> f([1.0, 1.0]), grad_f([1.0, 1.0]).tolist()
    (0.0, [0.0, 0.0])
    """

    name: str
    f: Callable[[Any], float]
    grad_f: Callable[[Any], Vector]
    hess_f: Callable[[Any], NDArray[np.float64]]
    minima: tuple[Point, ...]
    stationary: tuple[Point, ...]
    start: Point
    bounds: Bounds | None
    #: vectorized f of two coordinate arrays (contour plots), when cheap
    grid: Callable[[Any, Any], NDArray[np.float64]] | None = None

    def __iter__(self) -> Iterator[Callable[[Any], Any]]:
        return iter((self.f, self.grad_f, self.hess_f))

    def __call__(self, x: Any) -> float:
        return self.f(x)

    def values(
        self, xs: NDArray[np.float64], ys: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """``f`` at every point ``(xs[i], ys[i])`` of two same-shaped arrays."""
        xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
        if self.grid is not None:
            return np.asarray(self.grid(xs, ys), np.float64)
        flat = [self.f(np.array([a, b])) for a, b in zip(xs.flat, ys.flat, strict=True)]
        return np.array(flat, np.float64).reshape(xs.shape)


def _vec(x: Any, n: int, name: str) -> Vector:
    v = np.asarray(x, dtype=np.float64).reshape(-1)
    if v.size != n:
        msg = f"{name}: x must have {n} entries, got shape {np.shape(x)}"
        raise ValueError(msg)
    return v


def quadratic_bowl(
    scales: tuple[float, ...] = (1.0, 10.0), center: tuple[float, ...] | None = None
) -> Objective:
    """``f(x) = 1/2 sum_i s_i (x_i - c_i)^2``, an axis-aligned ill-conditioned bowl.

    Parameters
    ----------
    scales : tuple of float, default (1.0, 10.0)
        Curvatures ``s_i > 0`` (the Hessian's diagonal); their ratio is the
        condition number that slows plain gradient descent.
    center : tuple of float, optional
        The minimum ``c`` (default: the origin).

    Examples
    --------
    >>> from steepest.tools import quadratic_bowl
    >>> bowl = quadratic_bowl((1.0, 4.0), center=(1.0, -1.0))
    >>> bowl.f([0.0, 0.0]), bowl.minima
    (2.5, ((1.0, -1.0),))
    """
    s = np.array(scales, dtype=np.float64).reshape(-1)
    if s.size == 0 or not (np.isfinite(s).all() and (s > 0).all()):
        msg = f"quadratic_bowl: scales must be finite and > 0, got {scales!r}"
        raise ValueError(msg)
    n = s.size
    c = np.zeros(n) if center is None else np.array(center, np.float64).reshape(-1)
    if c.size != n:
        msg = f"quadratic_bowl: center has {c.size} entries but scales has {n}"
        raise ValueError(msg)
    name = "quadratic_bowl"

    def f(x: Any) -> float:
        d = _vec(x, n, name) - c
        return float(0.5 * np.dot(s * d, d))

    def grad_f(x: Any) -> Vector:
        return s * (_vec(x, n, name) - c)

    def hess_f(x: Any) -> NDArray[np.float64]:
        _vec(x, n, name)
        return np.diag(s)

    def grid(xs: Any, ys: Any) -> NDArray[np.float64]:
        out: NDArray[np.float64] = 0.5 * (
            s[0] * (xs - c[0]) ** 2 + s[1] * (ys - c[1]) ** 2
        )
        return out

    two_d = n == 2
    bounds = ((c[0] - 2.5, c[0] + 2.5), (c[1] - 2.5, c[1] + 2.5)) if two_d else None
    return Objective(
        name=name, f=f, grad_f=grad_f, hess_f=hess_f,
        minima=(tuple(float(v) for v in c),), stationary=(),
        start=tuple(float(v) for v in c + np.where(np.arange(n) % 2 == 0, -2.0, 1.5)),
        bounds=bounds, grid=grid if two_d else None,
    )  # fmt: skip


def _planar(
    name: str,
    grid: Callable[[Any, Any], Any],
    grad: Callable[[Any, Any], Any],
    hess: Callable[[Any, Any], Any],
    **points: Any,
) -> Objective:
    """An :class:`Objective` of two parameters from its formulas in ``x, y``.

    ``grid`` is ``f`` on scalars or coordinate arrays, ``grad`` and ``hess``
    give nested lists; ``points`` are the known points, start and bounds.
    """

    def f(v: Any) -> float:
        x, y = _vec(v, 2, name)
        return float(grid(x, y))

    def grad_f(v: Any) -> Vector:
        x, y = _vec(v, 2, name)
        return np.array(grad(x, y), np.float64)

    def hess_f(v: Any) -> NDArray[np.float64]:
        x, y = _vec(v, 2, name)
        return np.array(hess(x, y), np.float64)

    return Objective(name=name, f=f, grad_f=grad_f, hess_f=hess_f, grid=grid, **points)


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Objective:
    """``f(x, y) = (a - x)^2 + b (y - x^2)^2``: a curved narrow valley, minimum ``(a, a^2)``.

    Examples
    --------
    >>> from steepest.tools import rosenbrock
    >>> r = rosenbrock()
    >>> r.f([0.0, 0.0]), r.minima
    (1.0, ((1.0, 1.0),))
    """
    return _planar(
        "rosenbrock",
        lambda x, y: (a - x) ** 2 + b * (y - x**2) ** 2,
        lambda x, y: [2 * (x - a) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)],
        lambda x, y: [
            [2 - 4 * b * (y - x**2) + 8 * b * x**2, -4 * b * x],
            [-4 * b * x, 2 * b],
        ],
        minima=((a, a * a),), stationary=(), start=(-1.5, 2.0),
        bounds=((-2.0, 2.0), (-1.0, 3.0)),
    )  # fmt: skip


def saddle() -> Objective:
    """``f(x, y) = x^2 - y^2``: no minimum, a saddle point at the origin.

    Unbounded below along ``y``: a descent run leaves the picture, which is
    the point (started on ``y = 0`` exactly it stalls at the saddle instead).

    Examples
    --------
    >>> from steepest.tools import saddle
    >>> s = saddle()
    >>> s.minima, s.stationary, s.hess_f([0.0, 0.0]).tolist()
    ((), ((0.0, 0.0),), [[2.0, 0.0], [0.0, -2.0]])
    """
    return _planar(
        "saddle",
        lambda x, y: x**2 - y**2,
        lambda x, y: [2 * x, -2 * y],
        lambda x, y: [[2.0, 0.0], [0.0, -2.0]],
        minima=(), stationary=((0.0, 0.0),), start=(-1.5, 0.05),
        bounds=((-2.0, 2.0), (-2.0, 2.0)),
    )  # fmt: skip


def two_minima() -> Objective:
    """``f(x, y) = (x^2 - 1)^2 + y^2``: minima at ``(-1, 0)`` and ``(1, 0)``, a saddle at 0.

    Which minimum a run reaches depends on the start and on the optimizer's
    momentum: a picture of basins of attraction.

    Examples
    --------
    >>> from steepest.tools import two_minima
    >>> t = two_minima()
    >>> [t.f(m) for m in t.minima], t.f(t.stationary[0])
    ([0.0, 0.0], 1.0)
    """
    return _planar(
        "two_minima",
        lambda x, y: (x**2 - 1) ** 2 + y**2,
        lambda x, y: [4 * x * (x**2 - 1), 2 * y],
        lambda x, y: [[12 * x**2 - 4, 0.0], [0.0, 2.0]],
        minima=((-1.0, 0.0), (1.0, 0.0)), stationary=((0.0, 0.0),), start=(0.1, 1.5),
        bounds=((-2.0, 2.0), (-1.5, 2.0)),
    )  # fmt: skip
