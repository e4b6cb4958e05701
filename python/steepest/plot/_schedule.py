"""steepest.plot.schedule: learning-rate schedules drawn against the step."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from ._common import new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..reference.schedules import Schedule

    Schedules: TypeAlias = Schedule | Mapping[str, Schedule]


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
    fig = new_figure(7.0, 4.0)
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
    save(fig, path)
    return fig
