"""The benchmark's ``ema`` section: what the moving average of the params costs.

Three contenders per size, taking turns in interleaved rounds
(:mod:`steepest._cli.bench.rounds`): an Adam step alone, the same step inside
:class:`steepest.EMA` (the native step averages each block of the params
while it is in cache) and the step followed by a separate
:func:`steepest.functional.ema_update` pass over the params (what a wrapper
around a wrapper, or a hand-written loop, does). Each has its own arrays, the
same at the start. Per round the fused and the separate step are divided by
the step alone, so each ratio comes from timings a fraction of a second apart.

By traffic alone (float32 Adam reads and writes p, m and v and reads g: 7
arrays per element) the fused average adds the average's read and write (9/7
= 1.29x) and the separate pass also reads the params again (10/7 = 1.43x),
once the arrays are larger than the caches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ... import functional, optim, wrappers
from .measure import Size, arrays, parse_size
from .rounds import (
    Turn,
    interleave,
    local_runner,
    per_round_ratios,
    plan_blocks,
    ratio_text,
    spread,
    step_seconds,
)

EMA_SIZES, QUICK_EMA_SIZES = "1e3,1e6,1e7", "1e3,1e5"
DECAY, LR = 0.999, 1e-3
STEP, FUSED, SEPARATE = "step", "EMA fused", "step + ema_update"
CONTENDERS = (STEP, FUSED, SEPARATE)
# arrays read or written per element and step: Adam's, and each way's average
ADAM_ARRAYS = 7
TRAFFIC = {STEP: ADAM_ARRAYS, FUSED: ADAM_ARRAYS + 2, SEPARATE: ADAM_ARRAYS + 3}


@dataclass
class EmaRow:
    """One size: every contender's seconds per step, one figure per round."""

    size: str
    elements: int
    seconds: dict[str, list[float | None]] = field(default_factory=dict)


def default_sizes(quick: bool) -> list[Size]:
    return [parse_size(s) for s in (QUICK_EMA_SIZES if quick else EMA_SIZES).split(",")]


class Contenders:
    """The three contenders over their own copies of the same arrays."""

    def __init__(self, size: Size, dtype: np.dtype[Any]) -> None:
        params, self.grads = arrays(size, dtype, 2, seed=5)
        self.alone = optim.Adam([p.copy() for p in params], lr=LR)
        self.fused = wrappers.EMA(optim.Adam([p.copy() for p in params], lr=LR), DECAY)
        self.apart = optim.Adam([p.copy() for p in params], lr=LR)
        self.average = [p.copy() for p in params]
        self.steps: dict[str, Callable[[], None]] = {
            STEP: lambda: self.alone.step(self.grads),
            FUSED: lambda: self.fused.step(self.grads),
            SEPARATE: self._separate,
        }

    def _separate(self) -> None:
        # the first call copies, as EMA's first update does (decay 0)
        decay = DECAY if self.apart.step_count else 0.0
        self.apart.step(self.grads)
        functional.ema_update(self.average, self.apart.params, decay)


def measure_ema(
    sizes: Sequence[Size], dtype: np.dtype[Any], rounds: int, block: int | None
) -> list[EmaRow]:
    """Interleaved seconds per step of the three contenders at every size."""
    rows = []
    for size in sizes:
        runners = {
            name: local_runner(step)
            for name, step in Contenders(size, dtype).steps.items()
        }
        one = {}
        for name, run in runners.items():
            # the first step copies into the average (decay 0): not timed
            first = run(1)
            one[name] = step_seconds(first, run)
        plan = plan_blocks(one, block, rounds)
        turns = [Turn(name, runners[name], "here", *plan[name]) for name in CONTENDERS]
        row = EmaRow(size.label, size.total)
        row.seconds = interleave(turns, rounds)
        rows.append(row)
    return rows


def ema_lines(rows: Sequence[EmaRow], dtype: np.dtype[Any]) -> list[str]:
    """The section's Markdown: ns per element and the per-round ratios."""
    out = [
        "",
        f"### Moving average of the params (Adam, {dtype.name}, decay {DECAY})",
        "",
        (
            "`steepest.EMA` fused into the native step against the step followed "
            "by `functional.ema_update`; ratios per round (median [interquartile "
            f"range]). By traffic: fused {TRAFFIC[FUSED]}/{ADAM_ARRAYS} = "
            f"{TRAFFIC[FUSED] / ADAM_ARRAYS:.2f}x the step, separate "
            f"{TRAFFIC[SEPARATE]}/{ADAM_ARRAYS} = "
            f"{TRAFFIC[SEPARATE] / ADAM_ARRAYS:.2f}x."
        ),
        "",
        (
            "| size | step ns/elem | fused ns/elem | separate ns/elem "
            "| fused / step | separate / step | fused / separate |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ns = []
        for name in CONTENDERS:
            s = spread(row.seconds[name])
            ns.append("n/a" if s is None else f"{s.median * 1e9 / row.elements:.3g}")
        step = row.seconds[STEP]
        fused, apart = row.seconds[FUSED], row.seconds[SEPARATE]
        ratios = [
            ratio_text(spread(per_round_ratios(fused, step))),
            ratio_text(spread(per_round_ratios(apart, step))),
            ratio_text(spread(per_round_ratios(fused, apart))),
        ]
        out.append(f"| {row.size} | {' | '.join(ns + ratios)} |")
    return out


def ema_json(rows: Sequence[EmaRow]) -> dict[str, Any]:
    """The raw per-round seconds, by size."""
    return {row.size: row.seconds for row in rows}
