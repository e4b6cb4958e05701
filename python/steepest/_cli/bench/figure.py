"""``python -m steepest bench --plot PATH``: ns per element against size.

One log-log panel per optimizer, one line per contender through the sizes of
single arrays (the median over rounds), a hollow marker at the total size for
a list of arrays (``100x1e4``), and the memory roofline scaled to the rule's
own traffic (the probe's time times the rule's arrays over the probe's 7) as
a dashed floor. Where the lines cross is where the faster contender changes.
The figure follows :mod:`steepest.plot`: a standalone Agg figure, a PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ...plot._common import PathLike, new_figure, save
from .measure import Rule, Size
from .table import ORDER, PROBE, PROBE_ARRAYS, Cell

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

COLUMNS = 4
PANEL_WIDTH, PANEL_HEIGHT = 3.0, 2.4
ROOFLINE = "memory roofline (rule's traffic)"
# one colour per contender in every panel; the roofline is drawn apart
COLORS = dict(zip([c for c in ORDER if c != PROBE],
                  ["C0", "C9", "C1", "C3", "C2", "C4", "C5"], strict=True))  # fmt: skip


def _ns(cell: Cell, contender: str) -> float:
    """Median ns per element; the probe's scaled to the rule's traffic."""
    seconds = cell.median_seconds(contender)
    if seconds is None:
        return math.nan
    scale = cell.arrays / PROBE_ARRAYS if contender == PROBE else 1.0
    return seconds * scale / cell.elements * 1e9


def _legend_entries(axes: Any) -> tuple[list[Any], list[str]]:
    """One entry per contender drawn in any panel, in the table's order.

    Not the first panel's alone: some contenders have lines only in some
    panels (deepspeed only in Adam's and AdamW's).
    """
    first: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            first.setdefault(label, handle)
    labels = [c for c in (*COLORS, ROOFLINE) if c in first]
    return [first[label] for label in labels], labels


def plot_cells(
    cells: Sequence[Cell],
    rules: Sequence[Rule],
    sizes: Sequence[Size],
    path: PathLike | None = None,
    title: str = "",
) -> Figure:
    """The figure of the table's ``cells``; written as a PNG to ``path`` if given."""
    find = {(c.rule, c.size): c for c in cells}
    singles = sorted((s for s in sizes if s.count == 1), key=lambda s: s.total)
    lists = [s for s in sizes if s.count > 1]
    rows = max(1, math.ceil(len(rules) / COLUMNS))
    cols = min(COLUMNS, max(1, len(rules)))
    fig = new_figure(PANEL_WIDTH * cols + 0.5, PANEL_HEIGHT * rows + 0.8)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[len(rules) :]:
        ax.set_visible(False)
    for ax, rule in zip(axes.flat, rules, strict=False):
        for contender in (*COLORS, PROBE):
            style = (
                {"color": "black", "linestyle": "--", "linewidth": 1.0}
                if contender == PROBE
                else {"color": COLORS[contender], "marker": "o", "markersize": 3}
            )
            label = ROOFLINE if contender == PROBE else contender
            got = [(s.total, _ns(c, contender)) for s in singles
                   if (c := find.get((rule.key, s.label)))]  # fmt: skip
            got = [(x, y) for x, y in got if math.isfinite(y)]
            if got:
                ax.plot(*zip(*got, strict=True), label=label, **style)
            for s in lists:
                cell = find.get((rule.key, s.label))
                y = math.nan if cell is None else _ns(cell, contender)
                if math.isfinite(y) and contender != PROBE:
                    ax.plot([s.total], [y], marker="s", markerfacecolor="none",
                            color=COLORS[contender], linestyle="none")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(rule.label, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="major", alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("elements", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("ns / element", fontsize=8)
    handles, labels = _legend_entries(axes.flat)
    if lists:
        names = ", ".join(s.label for s in lists)
        handles.append(axes.flat[0].plot([], [], marker="s", markerfacecolor="none",
                                         color="gray", linestyle="none")[0])  # fmt: skip
        labels.append(f"list of arrays ({names})")
    fig.legend(handles, labels, loc="outside upper center", ncols=4, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    save(fig, path)
    return fig
