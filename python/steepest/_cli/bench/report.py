"""The Markdown report of ``python -m steepest bench``: header, tables, targets.

The environment every figure depends on (build, ISA, threads, versions, CPU),
the optimizer table with the benchmark issue's targets checked on what was
measured, and the ``train`` section's table with its own targets. The command
line that measures and prints them is :mod:`steepest._cli.bench`.
"""

from __future__ import annotations

import importlib
import os
import platform
from collections.abc import Sequence
from typing import Any

import numpy as np

from ... import _core
from ..._openmp import wait_policy
from . import train as bt
from .measure import DEEPSPEED, NATIVE, REFERENCE, RULES, Rule, Size
from .rounds import (
    BLOCK_SECONDS,
    SETTLE_SECONDS,
    SLOW_ROUNDS,
    SLOW_SECONDS,
    SPREAD,
    TABLE_BLOCK_SECONDS,
    ratio_text,
)
from .table import ORDER, PROBE, Cell
from .torch_client import TorchWorker
from .torch_worker import evict_bytes
from .train_torch import TORCH_GEMMS

# Targets of the benchmark and catalogue issues, float32: every rule's share
# of its own roofline at 5e7 and its 1e3 step are the catalogue's, stricter
# than the first benchmark issue's (85 %, 3 µs, Adam only).
ROOFLINE_SHARE = 0.90
ADAM_REFERENCE_SPEEDUP = 10.0
LIST_NS_PER_ELEMENT = 0.5
SMALL_MICROSECONDS = 2.0


# -- reporting ---------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(worker: TorchWorker | None, torch_note: str) -> dict[str, Any]:
    """What every figure depends on: build, ISA, threads, versions, CPU."""
    try:
        pools = importlib.import_module("threadpoolctl").threadpool_info()
    except ImportError:
        pools = "threadpoolctl not installed"
    torch = None if worker is None else worker.info
    runtime = _core.build_info()["openmp_runtime"]
    return {
        "cpu": f"{_cpu_model()} ({os.cpu_count()} logical CPUs)",
        "threads": _core.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "wait_policy": None if runtime is None else wait_policy(runtime["library"]),
        "build_info": dict(_core.build_info()),
        "versions": f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {torch_note if torch is None else torch['version']}",
        "threadpools": pools,
        "torch": torch,  # how the torch process ran, from itself
    }


def _torch_line(torch: dict[str, Any] | None) -> str:
    if torch is None:
        return "- torch: not measured"
    policy = torch["omp_wait_policy"] or "(unset: libgomp's default, spin then sleep)"
    return (
        "- torch: measured in a process of its own that never imports steepest, "
        f"with {torch['threads']} threads and OMP_WAIT_POLICY={policy} "
        f"({torch['wait_policy_source']}); each variant's first step is checked "
        "against the reference's (rtol 1e-6, atol 1e-6) before timing"
    )


def _deepspeed_lines(torch: dict[str, Any] | None, absent: dict[str, str]) -> list[str]:
    """What the deepspeed column is, or why it is missing; nothing without torch."""
    if torch is None:
        return []
    version = torch.get("deepspeed")
    if not version:
        return ["- deepspeed: not installed (its CPU Adam is an optional contender)"]
    line = (
        f"- deepspeed {version}: DeepSpeedCPUAdam (adamw_mode for AdamW, its op "
        "built by torch's cpp_extension on first use) in torch's process, for "
        "the Adam and AdamW rows, its first step checked as torch's"
    )
    if DEEPSPEED in absent:
        line += f"; absent from this run: {absent[DEEPSPEED]}"
    return [line]


def header_lines(env: dict[str, Any], dtype: np.dtype[Any]) -> list[str]:
    pools = env["threadpools"]
    if not isinstance(pools, str):
        pools = "; ".join(
            f"{d.get('internal_api')} {d.get('version')} "
            f"threads={d.get('num_threads')} ({os.path.basename(d.get('filepath', ''))})"
            for d in pools
        )
    build = ", ".join(f"{k}={v}" for k, v in env["build_info"].items())
    return [
        "# steepest optimizer benchmark",
        "",
        f"- CPU: {env['cpu']}; {env['versions']}",
        f"- steepest (native, reference, roofline): {env['threads']} threads, "
        + f"OMP_WAIT_POLICY={env['omp_wait_policy']}"
        + (f" ({env['wait_policy']['note']})" if env["wait_policy"] else "")
        + (
            f"; optimizer steps' threads: {env['wait_policy']['step_threads']}"
            if env["wait_policy"]
            else ""
        ),
        _torch_line(env["torch"]),
        *_deepspeed_lines(env["torch"], env.get("absent", {})),
        f"- build_info: {build}",
        f"- threadpoolctl: {pools}",
        f"- {dtype.name}; each figure: median over rounds after a warm-up step",
        *([env["timing"]] if "timing" in env else []),
        # other processes on the machine are the main source of noise
        "- load average (1 min) before, after: {:.2f}, {:.2f}".format(*env["load"]),
    ]


def _cell(cell: Cell, contender: str) -> str:
    """Median ns per element (GB/s) over the rounds; n/a where not measured."""
    seconds = cell.median_seconds(contender)
    if seconds is None:
        return "n/a"
    gbps = cell.bytes_per_step(contender) / seconds / 1e9
    return f"{seconds / cell.elements * 1e9:.3g} ({gbps:.3g})"


TABLE_CAPTION = (
    "Cells: ns per element (GB/s moved), the median over rounds. All but "
    "`native raise` use nonfinite='ignore'. Every contender of a row is timed "
    "in turns, round by round (native, native raise, reference, probe, torch's "
    "variants, deepspeed where installed, then again), and each ratio is "
    "formed per round: `x C` is C's "
    "time over native's (above 1: native is faster), `% roofline` native's "
    "GB/s over the probe's of the same round; shown as the median [{spread}]. "
    "† marks a ratio whose spread crosses 1.0 or is wider than its distance "
    "from 1.0 (log scale: high/low against median or 1/median): not a measured "
    "difference. The torch columns come from torch's "
    "own process (see above)."
)


def timing_line(rounds: int, block: int | None) -> str:
    """How the table was timed, for the header."""
    blocks = (
        "single steps (block 1)"
        if block == 1
        else f"blocks of {block} consecutive steps"
        if block
        else f"blocks of consecutive steps lasting ~{BLOCK_SECONDS * 1e3:g} ms for "
        f"the row's fastest contender (at most {TABLE_BLOCK_SECONDS * 1e3:g} ms each)"
    )
    return (
        f"- table: {rounds} interleaved rounds, each contender timed over {blocks} "
        f"per turn; a contender slower than {SLOW_SECONDS:g} s per step in the "
        f"first {SLOW_ROUNDS} rounds only; before every turn a "
        f"{SETTLE_SECONDS * 1e3:g} ms pause and, in the process that runs it, a "
        f"read of {evict_bytes() >> 20} MB (twice the last-level cache, 64-256 MB), so that "
        "every contender starts with sleeping threads and its arrays out of the "
        "caches"
    )


def table_lines(
    cells: Sequence[Cell], rules: Sequence[Rule], sizes: Sequence[Size]
) -> list[str]:
    """The Markdown table: one row per rule and size."""
    find = {(c.rule, c.size): c for c in cells}
    # an optional contender's columns only where it ran (deepspeed installed)
    ran = {c for cell in cells for c in cell.seconds}
    others = [c for c in ORDER[1:] if c != PROBE and (c != DEEPSPEED or c in ran)]
    versus = [REFERENCE, "torch", "torch fused"] + [DEEPSPEED] * (DEEPSPEED in ran)
    cols = ["optimizer", "size", "roofline GB/s", NATIVE, "% roofline", "µs/step",
            *others, *(f"x {c}" for c in versus)]  # fmt: skip
    lines = [
        "",
        TABLE_CAPTION.format(spread=SPREAD),
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for rule in rules:
        for size in sizes:
            cell = find.get((rule.key, size.label))
            if cell is None:
                continue
            probe = cell.median_seconds(PROBE)
            roof = f"{cell.bytes_per_step(PROBE) / probe / 1e9:.3g}" if probe else "n/a"
            native = cell.median_seconds(NATIVE)
            row = [rule.label, size.label, roof, _cell(cell, NATIVE),
                   ratio_text(cell.roofline_share(), percent=True),
                   f"{native * 1e6:.3g}" if native else "n/a"]  # fmt: skip
            row += [_cell(cell, c) for c in others]
            row += [ratio_text(cell.ratio(c)) for c in versus]
            lines.append("| " + " | ".join(row) + " |")
    return lines


def target_lines(cells: Sequence[Cell]) -> list[str]:
    """The issue's targets, checked on whatever this run measured (medians)."""
    get = {(c.rule, c.size): c for c in cells}
    checks: list[tuple[bool, str]] = []
    for rule in RULES:
        cell = get.get((rule.key, "5e7"))
        share = None if cell is None else cell.roofline_share()
        if share is not None:
            goal = ROOFLINE_SHARE
            text = (
                f"{rule.label} at 5e7: {ratio_text(share, percent=True)} of the "
                f"roofline (target ≥ {goal:.0%})"
            )
            checks.append((share.median >= goal, text))
    ratios = [("5e7", "torch fused", 1.0), ("1e7", REFERENCE, ADAM_REFERENCE_SPEEDUP)]
    for size, other, goal in ratios:
        cell = get.get(("adam", size))
        r = None if cell is None else cell.ratio(other)
        if r is not None:
            text = (
                f"Adam at {size}: {ratio_text(r)} the speed of {other} "
                f"(target ≥ {goal:g}x)"
            )
            checks.append((r.median >= goal, text))
    cell = get.get(("adam", "100x1e4"))
    if cell is not None and (seconds := cell.median_seconds(NATIVE)):
        ns, goal = seconds / cell.elements * 1e9, LIST_NS_PER_ELEMENT
        text = f"Adam on 100x1e4: {ns:.3g} ns/element (target ≤ {goal})"
        checks.append((ns <= goal, text))
    for rule in RULES:
        cell = get.get((rule.key, "1e3"))
        if cell is not None and (seconds := cell.median_seconds(NATIVE)):
            us, goal = seconds * 1e6, SMALL_MICROSECONDS
            text = f"{rule.label} at 1e3: {us:.3g} µs/step (target ≤ {goal:g})"
            checks.append((us <= goal, text))
    lines = ["", "Targets of the benchmark and catalogue issues:", ""] if checks else []
    return lines + [f"- {'PASS' if ok else 'FAIL'} {text}" for ok, text in checks]


# -- the train section ------------------------------------------------------


def _train_torch_note(info: dict[str, Any] | None) -> str:
    if info is None:
        return "torch: not measured"
    policy = info["omp_wait_policy"] or "(unset)"
    return (
        f"torch {info['version']}: in a process of its own that never imports "
        f"steepest, {info['threads']} threads, OMP_WAIT_POLICY={policy} "
        f"({info['wait_policy_source']})"
    )


def train_lines(report: bt.TrainReport) -> list[str]:
    """The section's header, its Markdown table and the spin-wait line."""
    s = report.sizes
    policy = os.environ.get("OMP_WAIT_POLICY", "(unset)")
    hidden = ", ".join(map(str, bt.MLP_HIDDEN))
    mlp = (
        f"{s.mlp_rows} x {bt.MLP_FEATURES} -> {hidden} (relu) -> "
        f"{bt.MLP_CLASSES} (softmax), {report.mlp_params} params"
    )
    batches = sorted({r.batch for r in report.rows if r.model == "mlp"})
    rounds = max((len(r.per_round) for r in report.rows), default=0)
    head = [
        f"steepest: n_threads={report.threads} (steepest.get_num_threads()), "
        + f"BLAS threads={report.blas_threads} (build_info), OMP_WAIT_POLICY={policy}",
        _train_torch_note(report.info.get("torch")),
        f"float32 GEMM peak: {report.gemm_peak / 1e9:.4g} GFLOP/s (_core._gemm, "
        + f"{s.gemm_n}x{s.gemm_n}, best of {bt.GEMM_PEAK_REPEATS})",
        f"logistic: {s.logistic_rows} x {s.logistic_features} float64, labels of a "
        + f"noisy random linear model, SGD lr {bt.SGD_LR}, L2 alpha {bt.ALPHA}",
        f"MLP: {mlp}, {' and '.join(bt.MLP_DTYPES)}, batch "
        + f"{', '.join(map(str, batches))}, Adam lr {bt.ADAM_LR}, "
        + f"L2 alpha {bt.ALPHA} (torch: none)",
        "interleaved: the contenders of a row group take turns, one epoch each, "
        + f"for {rounds} rounds after a warm-up epoch each, each turn after a "
        + f"{bt.TRAIN_SETTLE_SECONDS * 1e3:.0f} ms pause (no BLAS pool of the "
        + "turn before still spinning); each epoch draws its own shuffle; "
        + "scikit-learn: one partial_fit per epoch after a first one told the classes",
    ]
    caption = (
        "s/epoch: median over the rounds. `x native`: median of the row's "
        f"per-round time over native's in the same round [{SPREAD}] (above 1: "
        "native is faster; † the spread is wider than the effect). GFLOP/s: "
        "6 x samples x params / epoch time. `GEMMs only`: the epoch's 8 GEMMs "
        "per batch (3 forward, 3 weight- and 2 input-gradient) alone through "
        "_core._gemm; `torch GEMMs only`: the same calls as nn.Linear and autograd "
        "make them (addmm, mm) in torch's process. The reference is not run at "
        "batch 1. Spin-wait rows: "
        "medians of epochs in child processes, not interleaved."
    )
    lines = ["", "## Training epochs", "", *(f"- {h}" for h in head), "", caption, ""]
    lines += [
        "| model | batch | dtype | contender | s/epoch | x native | GFLOP/s | % GEMM peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        cells = [r.note or "n/a"] + ["n/a"] * 3
        if r.seconds:
            cells = [f"{r.seconds:.4g}", "", "", ""]
            if r.ratio is not None:
                cells[1] = ratio_text(r.ratio)
            elif r.contender != bt.NATIVE:
                native = report.seconds(r.model, r.batch, bt.NATIVE, r.dtype)
                cells[1] = f"{r.seconds / native:.3g}x (medians)" if native else "n/a"
            if r.model == "mlp":
                flops = 6.0 * s.mlp_rows * report.mlp_params / r.seconds
                cells[2] = f"{flops / 1e9:.3g}"
                if r.dtype == "float32":
                    cells[3] = f"{flops / report.gemm_peak:.1%}"
        row = [r.model, str(r.batch), r.dtype, r.contender, *cells]
        lines.append(f"| {' | '.join(row)} |")
    active = report.seconds("mlp", bt.MLP_BATCH, bt.ACTIVE)
    native = report.seconds("mlp", bt.MLP_BATCH, bt.NATIVE, "float32")
    if active and native:
        spin = (
            f"Spin-wait: the native MLP epoch takes {active:.4g} s in a child "
            f"started with OMP_WAIT_POLICY=active, {native:.4g} s here "
            f"(OMP_WAIT_POLICY={policy}): active/here = {active / native:.3g}x."
        )
        lines += ["", spin]
    mixed = [
        report.seconds("mlp", bt.MLP_BATCH, c)
        for c in (bt.MIXED_PASSIVE, bt.MIXED_ACTIVE)
    ]
    if mixed[0] and mixed[1]:
        mixed_line = (
            f"Mixed loop (no split batches; BLAS threads for the GEMMs, OpenMP threads for "
            f"each update): {mixed[0]:.4g} s passive, {mixed[1]:.4g} s active "
            f"(active/passive = {mixed[1] / mixed[0]:.3g}x)."
        )
        lines += ["", mixed_line]
    return lines + train_target_lines(report)


def train_target_lines(report: bt.TrainReport) -> list[str]:
    """The issue's targets, each met or missed with the median ratio measured.

    A target is met when the median of the per-round ratios reaches it; the
    spread is shown next to it. A missed MLP target that asks for an epoch
    shorter than the faster of its two GEMMs-only epochs (:func:`gemm_floor`)
    says it is out of reach with either BLAS.
    """
    checks: list[tuple[bool, str]] = []
    for model, batch, other, goal in bt.SPEED_TARGETS:
        for r in report.rows:
            if (r.model, r.contender) != (model, other) or r.ratio is None:
                continue
            if batch is not None and r.batch != batch:
                continue
            what = (
                f"the GEMMs alone take {r.ratio.median:.0%} of the epoch "
                f"[{r.ratio.low:.0%}, {r.ratio.high:.0%}] (target ≥ {goal:.0%})"
                if other == bt.GEMMS
                else f"native {ratio_text(r.ratio)} the speed of {other} "
                f"(target ≥ {goal:g}x)"
            )
            text = f"{model} {r.dtype} batch {r.batch}: {what}"
            met = r.ratio.median >= goal
            floor = gemm_floor(report, r.batch, r.dtype) if model == "mlp" else None
            if not met and other != bt.GEMMS and floor and r.seconds:
                asked = r.seconds / goal
                if asked < floor[0]:
                    text += (
                        f"; out of reach with either BLAS: it asks for an epoch of "
                        f"{asked:.4g} s, the GEMMs alone take {floor[0]:.4g} s ({floor[1]})"
                    )
            checks.append((met, text))
    if native := report.seconds("mlp", bt.MLP_BATCH, bt.NATIVE, "float32"):
        share = report.mlp_flops() / native / report.gemm_peak
        goal = bt.GEMM_PEAK_SHARE
        text = f"MLP float32 batch {bt.MLP_BATCH}: {share:.1%} of the GEMM peak (target ≥ {goal:.0%})"
        checks.append((share >= goal, text))
    lines = ["", "Targets of the training benchmark:", ""] if checks else []
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for ok, text in checks]
    return lines + reach_lines(report)


def gemm_floor(
    report: bt.TrainReport, batch: int, dtype: str
) -> tuple[float, str] | None:
    """The faster of the MLP cell's two GEMMs-only epochs and whose BLAS it is.

    No epoch of this MLP runs below it with either library's GEMMs (None:
    neither was measured).
    """
    floors = [
        (seconds, label)
        for contender, label in (
            (bt.GEMMS, "steepest's BLAS"),
            (TORCH_GEMMS, "torch's"),
        )
        if (seconds := report.seconds("mlp", batch, contender, dtype))
    ]
    return min(floors) if floors else None


def reach_lines(report: bt.TrainReport) -> list[str]:
    """Per MLP cell: the epoch the fused-torch target asks for, and the GEMMs' floor;
    for logistic regression: the epoch the reference target asks for, and
    native's on rows in order (no gather).

    An epoch cannot take less than its GEMMs; when torch's fused epoch over
    the target ratio is below both BLASes' GEMMs alone, the target asks for
    GEMMs faster than either library's at these shapes.
    """
    goal = next(
        g for m, _, o, g in bt.SPEED_TARGETS if (m, o) == ("mlp", bt.TORCH_FUSED)
    )
    lines = []
    for r in report.rows:
        if (r.model, r.contender) != ("mlp", bt.TORCH_FUSED) or not r.seconds:
            continue
        ours = report.seconds("mlp", r.batch, bt.GEMMS, r.dtype)
        theirs = report.seconds("mlp", r.batch, TORCH_GEMMS, r.dtype)
        if not (ours and theirs):
            continue
        lines.append(
            f"- reach: MLP {r.dtype} batch {r.batch}: {goal:g}x torch fused asks for an "
            f"epoch of {r.seconds / goal:.4g} s; the GEMMs alone take {ours:.4g} s "
            f"(steepest's BLAS), {theirs:.4g} s (torch's; its fused epoch is "
            f"{r.seconds / theirs:.3g}x that)"
        )
    batch = bt.LOGISTIC_TARGET_BATCH
    reference = report.seconds("logistic", batch, bt.REFERENCE, "float64")
    in_order = report.seconds("logistic", batch, bt.IN_ORDER, "float64")
    if reference and in_order:
        goal = next(
            g
            for m, b, o, g in bt.SPEED_TARGETS
            if (m, b, o) == ("logistic", batch, bt.REFERENCE)
        )
        lines.append(
            f"- reach: logistic float64 batch {batch}: {goal:g}x the reference asks for "
            f"an epoch of {reference / goal:.4g} s (its shuffle drawn); native on rows "
            f"in order (no gather, no shuffle drawn) takes {in_order:.4g} s"
        )
    return lines
