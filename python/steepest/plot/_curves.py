"""steepest.plot.learning_curve: training loss and validation score per epoch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._common import PathLike, new_figure, save

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

_FN = "steepest.plot.learning_curve"
_RUN_KEYS = {"loss", "validation"}
Curve = NDArray[np.float64]


def _is_single_run(obj: object) -> bool:
    return hasattr(obj, "loss_curve_") or (isinstance(obj, Mapping) and "loss" in obj)


def _curve(where: str, values: Any) -> Curve:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{_FN}: {where} must be a sequence of numbers ({err})"
        raise TypeError(msg) from err
    if arr.ndim != 1 or arr.size == 0:
        msg = f"{_FN}: {where} must be a non-empty 1-D sequence, got shape {arr.shape}"
        raise ValueError(msg)
    return arr


def _run(where: str, obj: object) -> tuple[Curve, Curve | None]:
    """(loss per epoch, validation score per epoch or None) of one run."""
    if hasattr(obj, "loss_curve_"):
        loss, val = obj.loss_curve_, getattr(obj, "validation_scores_", None)
        where_loss, where_val = f"{where}.loss_curve_", f"{where}.validation_scores_"
    elif isinstance(obj, Mapping):
        extra = set(obj) - _RUN_KEYS
        if "loss" not in obj or extra:
            msg = (
                f"{_FN}: {where} must have a 'loss' key and optionally 'validation', "
                f"got keys {sorted(map(str, obj))}"
            )
            raise ValueError(msg)
        loss, val = obj["loss"], obj.get("validation")
        where_loss, where_val = f"{where}['loss']", f"{where}['validation']"
    elif hasattr(obj, "fit"):
        msg = f"{_FN}: {where} ({type(obj).__name__}) has no loss_curve_: fit it first"
        raise ValueError(msg)
    else:
        msg = (
            f"{_FN}: {where} must be a fitted steepest estimator or a dict with "
            f"'loss' (and 'validation'), got {type(obj).__name__}"
        )
        raise TypeError(msg)
    return _curve(where_loss, loss), None if val is None else _curve(where_val, val)


def _label_runs(
    runs: Any, labels: Sequence[str] | None
) -> list[tuple[str, tuple[str, object]]]:
    """(label, (where, run)) per run; ``where`` names the run in error messages."""
    if isinstance(runs, Mapping) and not _is_single_run(runs):
        if labels is not None:
            msg = f"{_FN}: labels must be None when runs is a dict (its keys are the labels)"
            raise ValueError(msg)
        items = [(str(k), v) for k, v in runs.items()]
        where = [f"runs[{k!r}]" for k in runs]
    elif _is_single_run(runs) or hasattr(runs, "fit"):
        items = [(type(runs).__name__ if hasattr(runs, "fit") else "run", runs)]
        where = ["runs"]
    elif isinstance(runs, (list, tuple)):
        names = [type(r).__name__ if hasattr(r, "fit") else "run" for r in runs]
        items = [(n if names.count(n) == 1 and n != "run" else f"{n} {i}", r)
                 for i, (n, r) in enumerate(zip(names, runs, strict=True))]  # fmt: skip
        where = [f"runs[{i}]" for i in range(len(runs))]
    else:
        msg = (
            f"{_FN}: runs must be a fitted estimator, a dict of curves, a list of "
            f"those or a dict of label to those, got {type(runs).__name__}"
        )
        raise TypeError(msg)
    if not items:
        msg = f"{_FN}: runs is empty"
        raise ValueError(msg)
    if labels is not None:
        if isinstance(labels, str) or len(labels) != len(items):
            msg = (
                f"{_FN}: labels must be a list of {len(items)} strings, got {labels!r}"
            )
            raise ValueError(msg)
        items = [(str(lab), r) for lab, (_, r) in zip(labels, items, strict=True)]
    return [(label, (w, r)) for (label, r), w in zip(items, where, strict=True)]


def learning_curve(
    runs: Any,
    *,
    labels: Sequence[str] | None = None,
    path: PathLike | None = None,
    log: bool = True,
    title: str | None = None,
) -> Figure:
    """Draw training loss (and validation score) against the epoch, several runs overlaid.

    Parameters
    ----------
    runs : estimator, dict, list or dict of label to those
        One run is a fitted steepest estimator (its ``loss_curve_`` and
        ``validation_scores_``) or a dict ``{"loss": [...], "validation":
        [...]}`` ("validation" optional). Several runs: a list of runs, or a
        dict mapping a label to a run (e.g. one per learning rate). A dict with
        a "loss" key is always read as one run.
    labels : list of str, optional
        Legend labels of a single run or a list (default: the estimator's class
        name, or "run i"); not allowed with a dict of runs.
    path : str or path-like, optional
        When given, the figure is also written there as a PNG.
    log : bool, default True
        Logarithmic loss axis (linear when a loss is <= 0).
    title : str, optional
        Figure title (default "Learning curve").

    Returns
    -------
    matplotlib.figure.Figure
        One panel of loss per epoch; a second panel of validation score per
        epoch when any run has one. Each run is one line per panel, in one
        colour, with ``gid`` "loss:<label>" or "validation:<label>".

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    TypeError, ValueError
        For anything else than the forms above (naming the argument and the
        entry), an unfitted estimator, empty curves or mismatched labels.

    Examples
    --------
    >>> from steepest.plot import learning_curve
    >>> fig = learning_curve({"lr=0.1": {"loss": [1.0, 0.5, 0.3], "validation": [0.6, 0.8, 0.85]},
    ...                       "lr=0.01": {"loss": [1.0, 0.9, 0.8]}})
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['training loss', 'validation score']
    >>> [line.get_gid() for line in fig.axes[0].get_lines()]
    ['loss:lr=0.1', 'loss:lr=0.01']
    """
    curves = [
        (label, *_run(where, r)) for label, (where, r) in _label_runs(runs, labels)
    ]
    with_val = any(val is not None for _, _, val in curves)
    fig = new_figure(11.0 if with_val else 7.0, 4.0)
    ax_loss = fig.add_subplot(1, 2 if with_val else 1, 1)
    ax_val = fig.add_subplot(1, 2, 2) if with_val else None
    for i, (label, loss, val) in enumerate(curves):
        color = f"C{i % 10}"
        epochs = np.arange(1, loss.size + 1)
        ax_loss.plot(epochs, loss, color=color, label=label, gid=f"loss:{label}")
        if ax_val is not None and val is not None:
            ax_val.plot(np.arange(1, val.size + 1), val, color=color, label=label,
                        gid=f"validation:{label}")  # fmt: skip
    if log and all(loss.min() > 0 for _, loss, _ in curves):
        ax_loss.set_yscale("log")
    ax_loss.set_ylabel("training loss")
    panels = [ax_loss] if ax_val is None else [ax_loss, ax_val]
    if ax_val is not None:
        ax_val.set_ylabel("validation score")
    from matplotlib.ticker import MaxNLocator

    for ax in panels:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are counts
        ax.set_xlabel("epoch")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.suptitle(title if title is not None else "Learning curve")
    save(fig, path)
    return fig
