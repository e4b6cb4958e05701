"""What the figures of :mod:`steepest.plot` share: a lazy matplotlib, a figure, a PNG.

matplotlib is imported on the first call, never by ``import steepest``; figures
are standalone :class:`matplotlib.figure.Figure` objects on an Agg canvas, so no
pyplot state and no display are involved.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str]


def matplotlib_classes() -> Any:
    """``(matplotlib, Figure, FigureCanvasAgg)``; a clear ImportError without it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        msg = "steepest.plot needs matplotlib: pip install 'steepest[plot]' (or matplotlib)"
        raise ImportError(msg) from err
    return matplotlib, Figure, FigureCanvasAgg


def new_figure(width: float, height: float) -> Figure:
    _, figure_cls, canvas_cls = matplotlib_classes()
    fig: Figure = figure_cls(figsize=(width, height), layout="constrained")
    canvas_cls(fig)
    return fig


def save(fig: Figure, path: PathLike | None) -> None:
    if path is not None:
        fig.savefig(os.fspath(path), format="png", dpi=100)
