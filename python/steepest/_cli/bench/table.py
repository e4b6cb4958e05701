"""The optimizer table's measurements: every contender of a cell, interleaved.

A cell is one optimizer at one size. Its contenders (:data:`ORDER`: native,
native with the finiteness check, the NumPy reference, the memory-roofline
probe, then torch's default, foreach and fused variants in torch's process,
and for Adam and AdamW DeepSpeed's CPU Adam there too when it is installed)
take turns round by round (:mod:`steepest._cli.bench.rounds`), and every ratio
of the table is a per-round ratio of two turns of the same round. The probe is
a native pass with Adam's traffic and no arithmetic (``_core.traffic_pass``,
7 arrays); a rule's share of the roofline is its bytes per second over the
probe's, per round.

Every turn starts alike, whichever contender ran before it: after the same
pause, with sleeping threads and its arrays out of the caches
(``interleave(lead_in=True)``, :mod:`steepest._cli.bench.rounds`).

Before the rounds each contender steps once (warm-up: page faults of fresh
state, first-step paths; the reference's step is saved for torch's first step
to be checked against) and is then timed for one step, which sets its block
(:func:`steepest._cli.bench.rounds.step_seconds`).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ... import _core
from .measure import (
    DEEPSPEED,
    DEEPSPEED_PEER,
    NATIVE,
    RAISE,
    REFERENCE,
    TORCH_FLAGS,
    Rule,
    Size,
    Stepper,
    arrays,
    make_stepper,
    save_first_step,
)
from .rounds import (
    TABLE_BLOCK_SECONDS,
    Spread,
    Turn,
    interleave,
    local_runner,
    per_round_ratios,
    plan_blocks,
    spread,
    step_seconds,
)
from .torch_client import TorchWorker

PROBE = "roofline probe"
PROBE_ARRAYS = 7  # traffic_pass reads p, g, m, v and writes p, m, v
ORDER = (NATIVE, RAISE, REFERENCE, PROBE, *TORCH_FLAGS, DEEPSPEED)
TORCH_PROCESS = "torch"


@dataclass
class Cell:
    """One optimizer at one size: per-round seconds per step of every contender.

    ``seconds[c][r]`` is contender ``c``'s seconds per step in round ``r``
    (None: not timed in that round); a contender that does not exist (a rule
    torch lacks, a variant torch has not) is absent from ``seconds``.
    """

    rule: str
    size: str
    elements: int
    arrays: int  # the rule's arrays read plus written per element and step
    itemsize: int
    seconds: dict[str, list[float | None]] = field(default_factory=dict)
    block: dict[str, int] = field(default_factory=dict)

    def ratio(self, slow: str, fast: str = NATIVE) -> Spread | None:
        """``slow``'s time over ``fast``'s, per round (above 1: ``fast`` wins)."""
        if slow not in self.seconds or fast not in self.seconds:
            return None
        return spread(per_round_ratios(self.seconds[slow], self.seconds[fast]))

    def roofline_share(self, contender: str = NATIVE) -> Spread | None:
        """The contender's GB/s over the probe's, per round."""
        if contender not in self.seconds or PROBE not in self.seconds:
            return None
        scale = self.arrays / PROBE_ARRAYS  # the rule's bytes over the probe's
        got = per_round_ratios(self.seconds[PROBE], self.seconds[contender], scale)
        return spread(got)

    def median_seconds(self, contender: str) -> float | None:
        s = spread(self.seconds.get(contender, []))
        return None if s is None else s.median

    def bytes_per_step(self, contender: str) -> int:
        per_element = PROBE_ARRAYS if contender == PROBE else self.arrays
        return per_element * self.itemsize * self.elements


def _torch_turns(
    worker: TorchWorker, rule: Rule, size: Size, dtype: np.dtype[Any], expected: str
) -> list[tuple[str, Any, float]]:
    """Open the cell in torch's process: per variant torch has, its runner and
    the seconds of its first (checked) step."""
    others = {}
    if rule.deepspeed is not None and worker.info.get("deepspeed"):
        others[DEEPSPEED] = {"peer": DEEPSPEED_PEER, "kwargs": rule.deepspeed}
    got = worker.open(
        peer=rule.peer, kwargs=rule.kwargs, variants=TORCH_FLAGS, others=others,
        count=size.count, n=size.n, dtype=dtype.name, seed=0, expected=expected,
    )  # fmt: skip

    def runner(variant: str) -> Any:
        return lambda k: worker.run(variant, k, evict=True)

    return [
        (v, runner(v), info["first"])
        for v in (*TORCH_FLAGS, *others)
        if (info := got.get(v)) is not None
    ]


def measure_cell(
    rule: Rule,
    size: Size,
    dtype: np.dtype[Any],
    inputs: Sequence[list[np.ndarray]],
    probe: Sequence[list[np.ndarray]],
    rounds: int,
    block: int | None,
    worker: TorchWorker | None,
    expected: str,
) -> Cell:
    """Every contender of ``rule`` at ``size``, interleaved over ``rounds``.

    ``inputs`` are ``arrays(size, dtype, 2, seed=0)``, as torch's process builds
    them; ``probe`` the probe's four arrays; ``expected`` a path for the
    reference's first step.
    """
    params, grads = inputs
    steppers: dict[str, Stepper] = {}
    first: dict[str, float] = {PROBE: 0.0}  # the probe warmed up with its arrays
    for contender in (REFERENCE, NATIVE, RAISE):
        made = make_stepper(rule, contender, params, grads)
        assert made is not None
        steppers[contender] = made
        start = time.perf_counter()
        if contender == REFERENCE:
            save_first_step(made, expected)  # its warm-up too
        else:
            made.step()
        first[contender] = time.perf_counter() - start
    runners = {
        c: local_runner(steppers[c].step, evict=True)
        for c in (NATIVE, RAISE, REFERENCE)
    }
    runners[PROBE] = local_runner(lambda: _core.traffic_pass(*probe), evict=True)
    process = dict.fromkeys(runners, "here")
    if worker is not None and rule.in_torch:
        for variant, run, took in _torch_turns(worker, rule, size, dtype, expected):
            runners[variant], process[variant] = run, TORCH_PROCESS
            first[variant] = took
    try:
        one = {c: step_seconds(first[c], runners[c]) for c in ORDER if c in runners}
        plan = plan_blocks(one, block, rounds, TABLE_BLOCK_SECONDS)
        turns = [Turn(c, runners[c], process[c], *plan[c]) for c in one]
        seconds = interleave(turns, rounds, lead_in=True)
    finally:
        if worker is not None and rule.in_torch:
            worker.close_cell()
    cell = Cell(rule.key, size.label, size.total, rule.arrays, dtype.itemsize)
    cell.seconds, cell.block = seconds, {c: k for c, (k, _) in plan.items()}
    return cell


def run_table(
    rules: Sequence[Rule],
    sizes: Sequence[Size],
    dtype: np.dtype[Any],
    rounds: int,
    block: int | None,
    worker: TorchWorker | None,
) -> list[Cell]:
    """Every rule at every size, one :class:`Cell` each, sizes outermost."""
    out: list[Cell] = []
    with tempfile.TemporaryDirectory(prefix="steepest-bench-") as tmp:
        expected = os.path.join(tmp, "expected.npy")
        for size in sizes:
            inputs = arrays(size, dtype, 2, seed=0)
            probe = arrays(size, dtype, 4, seed=1)
            _core.traffic_pass(*probe)  # page faults before the first round
            for rule in rules:
                cell = measure_cell(
                    rule, size, dtype, inputs, probe, rounds, block, worker, expected
                )
                out.append(cell)
                done = ", ".join(
                    f"{c} {s * 1e9 / cell.elements:.3g}"
                    for c in cell.seconds
                    if (s := cell.median_seconds(c)) is not None
                )
                print(f"[bench] {size.label} {rule.label}: {done} ns/el",
                      file=sys.stderr, flush=True)  # fmt: skip
    return out


def cells_json(cells: Sequence[Cell]) -> list[dict[str, Any]]:
    """The raw figures of ``--json``: per-round seconds per step of every
    contender, with what each ratio of the table was computed from."""
    out = []
    for cell in cells:
        ratios = {
            f"x {c}": cell.ratio(c) for c in cell.seconds if c not in (NATIVE, PROBE)
        }
        ratios["% roofline"] = cell.roofline_share()
        out.append({
            "rule": cell.rule, "size": cell.size, "elements": cell.elements,
            "arrays": cell.arrays, "itemsize": cell.itemsize,
            "bytes_per_step": {c: cell.bytes_per_step(c) for c in cell.seconds},
            "block": cell.block, "seconds": cell.seconds,
            "ratios": {k: None if s is None else asdict(s) for k, s in ratios.items()},
        })  # fmt: skip
    return out
