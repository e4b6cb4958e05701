"""Figures of learning-rate schedules (matplotlib, the optional extra ``plot``).

matplotlib is imported only when a function here is called, with the Agg
backend's canvas on a standalone :class:`matplotlib.figure.Figure` (no pyplot
state, no display needed). Install it with ``pip install steepest[plot]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .reference.schedules import Schedule

    Schedules: TypeAlias = Schedule | Mapping[str, Schedule]


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        msg = "steepest.plot needs matplotlib: pip install 'steepest[plot]' (or matplotlib)"
        raise ImportError(msg) from err
    return matplotlib, Figure, FigureCanvasAgg


def schedule(
    sched: Schedules,
    n: int,
    path: str | os.PathLike[str] | None = None,
    *,
    log: bool = False,
    title: str | None = None,
) -> Figure:
    """Draw the learning rate against the step index for the first ``n`` steps.

    Parameters
    ----------
    sched : Schedule or dict of str to Schedule
        One schedule (labelled by its class name), or several drawn on one
        figure, labelled by their keys. Any object with ``values(n)`` works.
    n : int
        Number of steps, >= 1 (``t = 0 .. n - 1``).
    path : str or path-like, optional
        When given, the figure is also written there as a PNG.
    log : bool, default False
        Logarithmic learning-rate axis.
    title : str, optional
        Figure title (default: "Learning-rate schedule").

    Returns
    -------
    matplotlib.figure.Figure
        The figure (not attached to pyplot; display it in a notebook as the
        cell's value or with ``IPython.display``).

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        If ``n`` is not an int >= 1, ``sched`` is an empty dict, or an entry
        has no ``values`` method.

    Examples
    --------
    >>> from steepest.reference.schedules import CosineAnnealingLR, StepLR
    >>> fig = schedule({"cosine": CosineAnnealingLR(lr=0.1, T_max=100),
    ...                 "step": StepLR(lr=0.1, step_size=30)}, 100)  # doctest: +SKIP
    >>> fig.savefig("schedules.png")  # doctest: +SKIP
    """
    fn = "steepest.plot.schedule"
    if isinstance(n, bool) or not hasattr(type(n), "__index__"):
        msg = f"{fn}: n must be an int >= 1, got {n!r}"
        raise TypeError(msg)
    if n < 1:
        msg = f"{fn}: n must be an int >= 1, got {n!r}"
        raise ValueError(msg)
    items: dict[str, Any] = (
        dict(sched) if isinstance(sched, Mapping) else {type(sched).__name__: sched}
    )
    if not items:
        msg = f"{fn}: sched is an empty dict"
        raise ValueError(msg)
    for label, s in items.items():
        if not callable(getattr(s, "values", None)):
            msg = f"{fn}: sched[{label!r}] has no values(n) method ({type(s).__name__})"
            raise TypeError(msg)
    _, figure_cls, canvas_cls = _matplotlib()
    fig: Figure = figure_cls(figsize=(7.0, 4.0), layout="constrained")
    canvas_cls(fig)
    ax = fig.add_subplot()
    steps = range(int(n))
    for label, s in items.items():
        ax.plot(steps, s.values(int(n)), label=label, linewidth=1.5)
    ax.set_xlabel("step index t (t = 0 is the first optimizer step)")
    ax.set_ylabel("learning rate")
    ax.set_title(title if title is not None else "Learning-rate schedule")
    if log:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    if path is not None:
        fig.savefig(os.fspath(path), format="png", dpi=100)
    return fig


__all__ = ["schedule"]
