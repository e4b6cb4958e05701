"""The benchmark's tuning sections: per-call overhead by layer, parallel grain.

``--sections overhead`` breaks the cost of one Adam step at
``OVERHEAD_ELEMENTS`` float32 elements down from a bare pybind11 call to the
public class (and torch's fused Adam, in its own process, for scale);
``--sections grain`` scans the size below which a call stays on one thread.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np

from ... import _core, optim
from ...functional import adam_step as functional_adam_step
from .measure import (
    REFERENCE,
    RULES_BY_KEY,
    Size,
    arrays,
    make_stepper,
    measure_torch,
    save_first_step,
    short,
)
from .torch_client import TorchWorker
from .torch_worker import time_call

GRAIN_SIZES = (8192, 16384, 32768, 65536, 131072, 262144)
GRAINS = (8192, 16384, 32768, 65536, 131072, 262144, 524288)  # the last: all serial
OVERHEAD_ELEMENTS = 1000
TORCH_FUSED = "torch fused"


def overhead_rows(
    budget: float, repeats: int | None, worker: TorchWorker | None
) -> list[tuple[str, float]]:
    """Microseconds per call at ``OVERHEAD_ELEMENTS`` float32 elements, by layer."""
    size, f32 = Size(1, OVERHEAD_ELEMENTS), np.dtype(np.float32)
    p, g, m, v = arrays(size, f32, 4, seed=2)
    tp, tg, tm, tv = (a[0] for a in arrays(size, f32, 4, seed=2))  # gets scribbled on
    e0, e1, e2, e3 = (np.zeros(0, f32) for _ in range(4))
    hyper = (1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, "ignore")
    opt = optim.Adam([p[0].copy()], nonfinite="ignore")
    opt_raise = optim.Adam([p[0].copy()])
    calls: list[tuple[str, Callable[[], object]]] = [
        ("pybind11 call without work (_core.get_num_threads)", _core.get_num_threads),
        ("_core.adam_step, 0 elements (checks and driver only)",
         lambda: _core.adam_step(e0, e1, e2, e3, None, 2, *hyper)),
        ("_core.traffic_pass, single arrays", lambda: _core.traffic_pass(tp, tg, tm, tv)),
        ("_core.adam_step, single arrays",
         lambda: _core.adam_step(p[0], g[0], m[0], v[0], None, 2, *hyper)),
        ("_core.adam_step, lists of one array",
         lambda: _core.adam_step(p, g, m, v, None, 2, *hyper)),
        ("functional.adam_step (keywords), lists",
         lambda: functional_adam_step(p, g, m, v, step=2, nonfinite="ignore")),
        ("Adam.step([g]), nonfinite='ignore'", lambda: opt.step(g)),
        ("Adam.step([g]), nonfinite='raise'", lambda: opt_raise.step(g)),
    ]  # fmt: skip
    rows = [(name, time_call(fn, budget, repeats)[0] * 1e6) for name, fn in calls]
    if worker is not None:
        adam = RULES_BY_KEY["adam"]
        params, grads = arrays(size, f32, 2, seed=2)
        reference = make_stepper(adam, REFERENCE, params, grads)
        assert reference is not None
        with tempfile.TemporaryDirectory(prefix="steepest-bench-") as tmp:
            expected = os.path.join(tmp, "expected.npy")
            save_first_step(reference, expected)
            got = measure_torch(worker, adam, size, f32, 2, expected, budget,
                                repeats, variants=(TORCH_FUSED,))  # fmt: skip
        seconds = got[TORCH_FUSED][0]
        if seconds is not None:
            name = "torch.optim.Adam(fused=True), .grad + step(), own process"
            rows.append((name, seconds * 1e6))
    return rows


def overhead_lines(rows: Sequence[tuple[str, float]]) -> list[str]:
    n = short(OVERHEAD_ELEMENTS)
    lines = ["", f"Per-call cost, Adam float32, {n} elements:", ""]
    lines += ["| call | µs/call |", "|---|---|"]
    return lines + [f"| {name} | {us:.3g} |" for name, us in rows]


def grain_scan(budget: float, repeats: int | None) -> dict[int, dict[int, float]]:
    """Seconds per Adam step (float32, through the class) by size and grain."""
    old = _core.get_parallel_grain()
    out: dict[int, dict[int, float]] = {}
    try:
        for n in GRAIN_SIZES:
            p, g = arrays(Size(1, n), np.dtype(np.float32), 2, seed=3)
            opt = optim.Adam(p, nonfinite="ignore")
            out[n] = {}
            for grain in GRAINS:
                _core.set_parallel_grain(grain)
                out[n][grain] = time_call(partial(opt.step, g), budget, repeats)[0]
    finally:
        _core.set_parallel_grain(old)
    return out


def grain_lines(scan: dict[int, dict[int, float]], threads: int) -> list[str]:
    """µs per step by size (rows) and grain (columns), each row's best in bold.

    Sizes at or above the grain run on all threads. The last row is each
    grain's geometric-mean slowdown over the per-size best: pick the lowest.
    """
    head = " | ".join(f"grain {g}" for g in GRAINS)
    policy = os.environ.get("OMP_WAIT_POLICY", "(unset)")
    title = f"Adam float32, {threads} threads, OMP_WAIT_POLICY={policy} (µs per step)"
    lines = ["", f"Parallel grain, {title}:", ""]
    lines += [f"| size | {head} |", "|---|" + "---|" * len(GRAINS)]
    for n, row in scan.items():
        best = min(row.values())
        cells = (
            f"**{t * 1e6:.3g}**" if t == best else f"{t * 1e6:.3g}"
            for t in row.values()
        )
        lines.append(f"| {n} | {' | '.join(cells)} |")
    logs = [[math.log(r[g] / min(r.values())) for r in scan.values()] for g in GRAINS]
    slow = " | ".join(f"{math.exp(statistics.fmean(x)):.3f}" for x in logs)
    return [*lines, f"| slowdown (geomean) | {slow} |"]
