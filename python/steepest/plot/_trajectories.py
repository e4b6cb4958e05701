"""steepest.plot.trajectories: optimizer paths over the contours of a 2-D function."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..tools import MinimizeResult, Objective, minimize
from ..tools._result import as_vector, check_positive_int
from ._common import PathLike, new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

_FN = "steepest.plot.trajectories"
Bounds = tuple[tuple[float, float], tuple[float, float]]


def _bounds(bounds: Any) -> Bounds:
    try:
        (x0, x1), (y0, y1) = bounds
        out = ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError) as err:
        msg = f"{_FN}: bounds must be ((x_min, x_max), (y_min, y_max)), got {bounds!r}"
        raise TypeError(msg) from err
    if (
        not all(np.isfinite(out).ravel())
        or out[0][0] >= out[0][1]
        or out[1][0] >= out[1][1]
    ):
        msg = f"{_FN}: bounds must be finite with min < max, got {bounds!r}"
        raise ValueError(msg)
    return out


def _bounds_of_paths(
    start: NDArray[np.float64], paths: list[NDArray[np.float64]]
) -> Bounds:
    points = np.vstack([start[None, :], *paths])
    points = points[np.isfinite(points).all(axis=1)]
    lo, hi = points.min(axis=0), points.max(axis=0)
    # a margin, and a minimum width so that a run that did not move still has a picture
    pad = np.maximum(0.1 * (hi - lo), 0.5)
    return ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))


def _grid_values(
    values: Callable[[Any, Any], Any], bounds: Bounds, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    xs, ys = np.meshgrid(np.linspace(*bounds[0], n), np.linspace(*bounds[1], n))
    with np.errstate(over="ignore", invalid="ignore"):
        zs = np.asarray(values(xs, ys), dtype=np.float64)
    return xs, ys, zs


def _contour_levels(zs: NDArray[np.float64], levels: int | Sequence[float]) -> Any:
    if not isinstance(levels, (int, np.integer)) or isinstance(levels, bool):
        return np.asarray(levels, dtype=np.float64)
    if levels < 1:
        msg = (
            f"{_FN}: levels must be an int >= 1 or a sequence of values, got {levels!r}"
        )
        raise ValueError(msg)
    finite = zs[np.isfinite(zs)]
    lo, hi = float(finite.min()), float(finite.max())
    # valleys like Rosenbrock's span decades: evenly spaced levels would all
    # crowd the walls, so space them geometrically when f >= 0 varies a lot
    if lo >= 0.0 and hi > 1e3 * max(lo, 1e-300):
        return np.geomspace(max(lo, hi * 1e-6), hi, int(levels))
    return int(levels)


def trajectories(
    f: Any,
    optimizers: Mapping[str, Any] | Sequence[str] | str,
    start: ArrayLike | None = None,
    *,
    steps: int = 100,
    bounds: Any = None,
    levels: int | Sequence[float] = 30,
    path: PathLike | None = None,
    grad_f: Callable[[NDArray[np.float64]], ArrayLike] | None = None,
    lr: float | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the path of each optimizer, from one start, over the contours of ``f``.

    Each path is a real run of :func:`steepest.tools.minimize` (the optimizer
    updating a 2-vector in place) for ``steps`` steps; a run whose value becomes
    non-finite stops there and says so in the legend.

    Parameters
    ----------
    f : Objective or callable
        A two-parameter function: an :class:`steepest.tools.Objective` (e.g.
        ``steepest.tools.rosenbrock()``, which brings its gradient, minima,
        default start and bounds), or ``f(x) -> float`` with ``grad_f`` given.
    optimizers : dict of str to optimizer factory or name, or list of names
        One line per entry: a factory called as ``factory([x], ...)``, e.g.
        ``functools.partial(steepest.SGD, lr=0.01, momentum=0.9)``, or a name
        of :data:`steepest.tools.OPTIMIZERS` ("sgd", "momentum", "adam", ...).
    start : array_like of 2 floats, optional
        Common starting point (default ``f.start`` for an Objective).
    steps : int, default 100
        Optimizer steps per run.
    bounds : ((x_min, x_max), (y_min, y_max)), optional
        Plotted region (default: the Objective's, else the paths' extent).
    levels : int or sequence of float, default 30
        Number of contour levels (geometrically spaced when ``f >= 0`` spans
        more than three decades) or the level values.
    path : str or path-like, optional
        When given, the figure is also written there as a PNG.
    grad_f : callable, optional
        Gradient of a plain callable ``f`` (required then).
    lr : float, optional
        Learning rate given to every optimizer (overriding partials' own).
    title : str, optional
        Axes title (default: the Objective's name).

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the contours, exactly one line per optimizer (``gid``
        "trajectory:<label>"; the start, end points and known minima are
        scatter markers, not lines).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        For a ``f`` that is neither, a missing ``grad_f``, an empty or
        malformed ``optimizers`` (naming the entry), a start that is not two
        finite numbers, bad ``bounds``, ``levels`` or ``steps``.

    Examples
    --------
    >>> import functools, steepest
    >>> from steepest.plot import trajectories
    >>> from steepest.tools import rosenbrock
    >>> fig = trajectories(rosenbrock(), {
    ...     "sgd": functools.partial(steepest.SGD, lr=1e-3),
    ...     "momentum": functools.partial(steepest.SGD, lr=1e-3, momentum=0.9),
    ...     "adam": functools.partial(steepest.Adam, lr=0.05)}, steps=200)
    >>> [line.get_gid() for line in fig.axes[0].get_lines()]
    ['trajectory:sgd', 'trajectory:momentum', 'trajectory:adam']
    """
    grad: Callable[[Any], Any]
    if isinstance(f, Objective):
        fun, grad, values = f.f, f.grad_f, f.values
        default_start, default_bounds, name = f.start, f.bounds, f.name
        minima = f.minima
    elif callable(f):
        if grad_f is None or not callable(grad_f):
            msg = f"{_FN}: grad_f (a callable) is required when f is a plain function"
            raise TypeError(msg)
        fun, grad, default_start, default_bounds, name, minima = (
            f,
            grad_f,
            None,
            None,
            "f",
            (),
        )

        def values(xs: Any, ys: Any) -> NDArray[np.float64]:
            flat = [
                fun(np.array([a, b])) for a, b in zip(xs.flat, ys.flat, strict=True)
            ]
            return np.array(flat, dtype=np.float64).reshape(xs.shape)
    else:
        msg = f"{_FN}: f must be a steepest.tools.Objective or a callable, got {type(f).__name__}"
        raise TypeError(msg)
    if start is None:
        if default_start is None:
            msg = f"{_FN}: start is required when f is a plain function"
            raise TypeError(msg)
        start = default_start
    x0 = as_vector(_FN, "start", start)
    if x0.size != 2:
        msg = f"{_FN}: start must have 2 entries (a two-parameter f), got {x0.size}"
        raise ValueError(msg)
    steps = check_positive_int(_FN, "steps", steps)
    if isinstance(optimizers, str):
        optimizers = [optimizers]
    if isinstance(optimizers, Mapping):
        entries = [(str(k), v) for k, v in optimizers.items()]
    elif isinstance(optimizers, (list, tuple)) and all(
        isinstance(o, str) for o in optimizers
    ):
        entries = [(o, o) for o in optimizers]
    else:
        msg = (
            f"{_FN}: optimizers must be a dict of label to optimizer factory or name, "
            f"or a list of names, got {type(optimizers).__name__}"
        )
        raise TypeError(msg)
    if not entries:
        msg = f"{_FN}: optimizers is empty"
        raise ValueError(msg)
    results: list[MinimizeResult] = []
    for label, opt in entries:
        try:
            res = minimize(fun, grad, x0, opt, lr=lr, tol=0.0, max_steps=steps,
                           nonfinite="stop")  # fmt: skip
        except (TypeError, ValueError) as err:
            msg = f"{_FN}: optimizers[{label!r}]: {err}"
            raise type(err)(msg) from err
        results.append(res)
    if bounds is not None:
        box = _bounds(bounds)
    elif default_bounds is not None:
        box = default_bounds
    else:
        box = _bounds_of_paths(x0, [r.path for r in results])
    xs, ys, zs = _grid_values(values, box, 200 if isinstance(f, Objective) else 80)
    contour_levels = _contour_levels(zs, levels)
    fig = new_figure(7.0, 6.0)
    ax = fig.add_subplot()
    ax.contour(
        xs, ys, zs, levels=contour_levels, cmap="viridis", linewidths=0.6, alpha=0.7
    )
    for i, ((label, _), res) in enumerate(zip(entries, results, strict=True)):
        color = f"C{i % 10}"
        note = "diverged" if res.reason == "diverged" else f"f = {res.fun:.3g}"
        ax.plot(res.path[:, 0], res.path[:, 1], color=color, linewidth=1.5,
                label=f"{label} ({res.n_steps} steps, {note})", gid=f"trajectory:{label}")  # fmt: skip
        ax.scatter(
            res.x[:1], res.x[1:], color=color, s=25, zorder=3, gid=f"end:{label}"
        )
    ax.scatter(x0[:1], x0[1:], color="black", marker="o", s=30, zorder=4, label="start",
               gid="start")  # fmt: skip
    if minima:
        mx, my = zip(*minima, strict=True)
        ax.scatter(mx, my, color="red", marker="*", s=120, zorder=4, label="minimum",
                   gid="minima")  # fmt: skip
    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_xlabel("x[0]")
    ax.set_ylabel("x[1]")
    ax.set_title(
        title
        if title is not None
        else f"{name}: {steps} steps from ({x0[0]:g}, {x0[1]:g})"
    )
    ax.legend(fontsize="small", loc="best")
    save(fig, path)
    return fig
