"""Interleaved timing: the contenders of one cell take turns, round by round.

Bandwidth on a shared machine drifts by tens of percent within minutes, so two
figures timed minutes apart say little about each other. Here every contender
of a cell (native, the reference, the torch variants, the roofline probe) is
timed once per round, one after the other (A, B, C, probe, A, B, C, probe,
...), and a ratio is formed **per round**, from two timings a fraction of a
second apart; the cell reports the median of those ratios and their spread
(the interquartile range over rounds). A contender living in another process
(torch's, :mod:`steepest._cli.bench.torch_worker`) takes its turn through the
coordinator, which waits for it, so the processes alternate too.

Each turn is a *block* of ``k`` consecutive steps timed as one (``k = 1``:
single steps, every one of them after the other contenders ran, with cold
caches and sleeping threads; larger ``k``: a warm loop, as in training).

Every turn must start in the same state, or the order of the turns picks the
winner: a step right after a 20 ms pause took 1.9x the time of a step in a
loop (Adam, 1e6 float32, one thread, steepest and torch's fused alike), and
a pause came only where the turn passed between processes, i.e. before
steepest's first contender and torch's default path, never before torch's
fused one. With ``lead_in`` (the optimizer table) every turn is preceded by
the same pause and, in the process that runs it, a read of a buffer twice the
last-level cache (:func:`~steepest._cli.bench.torch_worker.evict_caches`):
every contender starts with sleeping threads and its arrays in memory.

Nothing here knows about optimizers: :func:`interleave` takes callables that
run ``k`` steps and return their seconds, and the arithmetic below takes lists
of per-round figures, so that both can be tested without timing anything.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .torch_worker import run_steps

# Auto block: enough consecutive steps for the cell's fastest contender to
# run this long, so that the clock and the turn's own cost stay negligible;
# no contender's turn runs longer than MAX_BLOCK_SECONDS for it; the
# optimizer table, with 20 rules per size, cuts its turns to
# TABLE_BLOCK_SECONDS (torch's slower paths' turns at small sizes were most
# of its run).
BLOCK_SECONDS, MAX_BLOCK_SECONDS, TABLE_BLOCK_SECONDS = 2e-3, 0.05, 0.02
# A contender whose single step takes longer than SLOW_SECONDS (the NumPy
# reference at 5e7) is timed in the first SLOW_ROUNDS rounds only.
SLOW_SECONDS, SLOW_ROUNDS = 0.25, 3
# step_seconds: the fastest of COLD_TRIES single steps, refined by runs of up
# to BLOCK_SECONDS
COLD_TRIES, WARM_REFINES, MAX_REFINE_STEPS = 3, 2, 100_000
# Pause where the turn passes from one process to another: an OpenMP runtime
# that spins before it sleeps (libgomp's default, torch's) would otherwise
# take CPU from the next contender, which a user running one library never
# sees. steepest's runtime sleeps at once (passive), so only torch spins.
SETTLE_SECONDS = 0.02
SPREAD = "interquartile range over rounds"

Runner = Callable[[int], float]  # runs k consecutive steps, returns their seconds
Series = Sequence[float | None]  # one figure per round; None: not timed that round


@dataclass
class Turn:
    """One contender of a cell: how to run it, where, and its block."""

    name: str
    run: Runner
    process: str = "here"  # contenders of one process take their turns together
    block: int = 1  # consecutive steps per turn
    rounds: int | None = None  # timed in the first ``rounds`` rounds only


def local_runner(step: Callable[[], object], evict: bool = False) -> Runner:
    """A runner of ``step`` in this process (``evict``: caches emptied first,
    see :func:`~steepest._cli.bench.torch_worker.run_steps`)."""
    return functools.partial(run_steps, step, evict=evict)


def step_seconds(first: float, run: Runner) -> float:
    """One step's seconds, for :func:`plan_blocks`, given the warm-up's.

    A warm-up slower than twice :data:`SLOW_SECONDS` stands for it: that
    contender is slow whatever page faults its first step took, and one more
    step (seconds of the NumPy reference at 5e7) would lengthen the run for
    nothing. Otherwise one more step is timed and, while that suggests a run
    of several steps within :data:`BLOCK_SECONDS`, such a run: a runner that
    empties the caches first makes a single step a cold one (a 1e3 step took
    ~20x its time in a loop), and blocks sized from it would last a few
    hundred microseconds, each weighing its cold first step, not ~2 ms.
    That single step is the fastest of :data:`COLD_TRIES` (unless one is
    slow): one hiccup of the machine in it would size every block of the
    cell. On a 2-vCPU VM one cold 1e4 Adam step once took ~3 ms: native's
    6-step blocks then read 13 us a step, 2 us in the next run's 1225-step
    blocks.
    """
    if first > 2 * SLOW_SECONDS:
        return first
    seconds, k = run(1), 1
    for _ in range(COLD_TRIES - 1):
        if seconds > SLOW_SECONDS:
            break
        seconds = min(seconds, run(1))
    for _ in range(WARM_REFINES):
        more = min(math.ceil(BLOCK_SECONDS / max(seconds, 1e-9)), MAX_REFINE_STEPS)
        if more <= k:
            break
        k = more
        seconds = min(seconds, run(k) / k)
    return seconds


def plan_blocks(
    step_seconds: dict[str, float],
    block: int | None,
    rounds: int,
    max_seconds: float = MAX_BLOCK_SECONDS,
) -> dict[str, tuple[int, int | None]]:
    """``(block, rounds or None for all)`` per contender, from one step's seconds.

    A fixed ``block`` applies to every contender. Auto (``None``): the block
    that makes the fastest contender's turn last :data:`BLOCK_SECONDS`, cut
    for a slower one to what fits in ``max_seconds`` (at least 1).
    """
    fastest = max(min(step_seconds.values()), 1e-9)
    auto = max(1, math.ceil(BLOCK_SECONDS / fastest))
    out: dict[str, tuple[int, int | None]] = {}
    for name, seconds in step_seconds.items():
        k = block or max(1, min(auto, int(max_seconds / max(seconds, 1e-9))))
        slow = seconds > SLOW_SECONDS and rounds > SLOW_ROUNDS
        out[name] = (k, SLOW_ROUNDS if slow else None)
    return out


def interleave(
    turns: Sequence[Turn],
    rounds: int,
    settle: float = SETTLE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    lead_in: bool = False,
) -> dict[str, list[float | None]]:
    """Seconds per step of every contender, one figure per round.

    Round ``r`` runs every turn in the given order; a turn outside its
    ``rounds`` records None. Between two turns of different processes the
    coordinator sleeps ``settle`` seconds (see :data:`SETTLE_SECONDS`); with
    ``lead_in``, before every turn (the runners then empty the caches).
    """
    out: dict[str, list[float | None]] = {t.name: [] for t in turns}
    last = None
    for r in range(rounds):
        for turn in turns:
            if turn.rounds is not None and r >= turn.rounds:
                out[turn.name].append(None)
                continue
            switch = last is not None and turn.process != last
            if (lead_in or switch) and settle > 0:
                sleep(settle)
            last = turn.process
            out[turn.name].append(turn.run(turn.block) / turn.block)
    return out


# -- the arithmetic over rounds ------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of per-round figures, and how many rounds had one."""

    median: float
    low: float  # first quartile
    high: float  # third quartile
    rounds: int

    @property
    def unclear(self) -> bool:
        """Whether the spread crosses 1.0 or is wider than the effect.

        Both on a log scale, where 2x and 0.5x are the same distance from 1:
        width ``log(high / low)`` against effect ``|log(median)|``. Such a
        ratio is not a measured difference (marked † in the tables).
        """
        if self.low <= 1.0 <= self.high or self.low <= 0.0:
            return True
        return math.log(self.high / self.low) > abs(math.log(self.median))


def spread(values: Series) -> Spread | None:
    """The :class:`Spread` of the rounds that have a figure; None if none has.

    Quartiles by linear interpolation between order statistics (numpy's
    default): with two rounds they are 1/4 and 3/4 of the way between them.
    """
    got = [v for v in values if v is not None and math.isfinite(v)]
    if not got:
        return None
    q1, q2, q3 = np.percentile(np.asarray(got, dtype=np.float64), [25, 50, 75])
    return Spread(float(q2), float(q1), float(q3), len(got))


def per_round_ratios(
    top: Series, bottom: Series, scale: float = 1.0
) -> list[float | None]:
    """``scale * top[r] / bottom[r]`` for every round ``r`` that timed both."""
    return [
        None if a is None or b is None or not b else scale * a / b
        for a, b in zip(top, bottom, strict=True)
    ]


def ratio_text(s: Spread | None, percent: bool = False) -> str:
    """``2.31x [2.18, 2.45]``, or ``97% [95, 99]``; † marks :attr:`Spread.unclear`."""
    if s is None:
        return "n/a"
    if percent:
        return f"{s.median:.0%} [{s.low * 100:.0f}, {s.high * 100:.0f}]"
    mark = " †" if s.unclear else ""
    return f"{s.median:.3g}x [{s.low:.3g}, {s.high:.3g}]{mark}"
