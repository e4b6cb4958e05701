"""The optimizer benchmark behind ``python -m steepest bench`` and ``bench/run.py``.

For every optimizer and size it times one step of the native kernels, of the
NumPy reference and, when torch imports, of ``torch.optim`` (default, foreach,
fused), each set against a memory roofline measured in the same run at the
same size (:mod:`steepest._bench_measure`). torch runs in a process of its
own that never loads steepest's extension, so steepest's
``OMP_WAIT_POLICY=passive`` does not slow torch's parallel regions
(:mod:`steepest._bench_torch`). Above ~1e6 elements every rule is
bandwidth-bound, so the figure of merit is bytes moved per second relative to
that roofline; below, per-call overhead. Two optional sections break the
per-call overhead down at 1e3 elements and scan the parallel grain
(:mod:`steepest._bench_tuning`), and ``--sections train`` times whole training
epochs against scikit-learn, torch and a GEMM peak (:mod:`steepest._bench_train`);
``--sections torch`` times ``steepest.torch.Adam`` against ``torch.optim.Adam``
(:mod:`steepest._bench_torch_optim`).
This module holds the command line and the Markdown report.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import platform
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from . import _bench_torch_optim as bto
from . import _bench_train as bt
from . import _core
from ._bench_measure import (
    CONTENDERS,
    NATIVE,
    REFERENCE,
    RULES,
    RULES_BY_KEY,
    Measurement,
    Rule,
    Size,
    parse_size,
    run_table,
)
from ._bench_torch import TorchWorker
from ._bench_tuning import grain_lines, grain_scan, overhead_lines, overhead_rows

DEFAULT_SECTIONS = ["table"]  # train adds ~1 min to a run of ~4: opt-in
DEFAULT_BUDGET, QUICK_BUDGET = 0.2, 0.02  # seconds of samples per figure
DEFAULT_SIZES = "1e3,1e5,1e6,1e7,5e7,100x1e4"
QUICK_SIZES = "1e3,1e5,1e6,10x1e4"
DESCRIPTION = (
    "Time one step of every optimizer, native against the NumPy reference, "
    "torch.optim and a memory roofline, and print a Markdown table."
)

# Targets of the benchmark issue, float32.
ADAM_ROOFLINE_SHARE, OTHER_ROOFLINE_SHARE = 0.90, 0.85
ADAM_REFERENCE_SPEEDUP = 10.0
LIST_NS_PER_ELEMENT = 0.5
SMALL_MICROSECONDS = 3.0


def _sizes(text: str) -> list[Size]:
    return [parse_size(s) for s in text.split(",")]


def _rules(text: str) -> list[Rule]:
    unknown = [k for k in text.split(",") if k not in RULES_BY_KEY]
    if unknown:
        msg = f"unknown optimizer(s) {unknown}; known: {','.join(RULES_BY_KEY)}"
        raise argparse.ArgumentTypeError(msg)
    return [RULES_BY_KEY[k] for k in text.split(",")]


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
    return {
        "cpu": f"{_cpu_model()} ({os.cpu_count()} logical CPUs)",
        "threads": _core.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
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
        + f"OMP_WAIT_POLICY={env['omp_wait_policy']}",
        _torch_line(env["torch"]),
        f"- build_info: {build}",
        f"- threadpoolctl: {pools}",
        f"- {dtype.name}; each figure: median over repeated steps after a warm-up",
        # other processes on the machine are the main source of noise
        "- load average (1 min) before, after: {:.2f}, {:.2f}".format(*env["load"]),
    ]


def _cell(m: Measurement | None) -> str:
    if m is None or m.seconds is None:
        return "n/a"
    return f"{m.ns_per_element:.3g} ({m.gbps:.3g})"


def _ratio(slow: Measurement | None, fast: Measurement | None) -> str:
    if slow is None or fast is None or not slow.seconds or not fast.seconds:
        return "n/a"
    return f"{slow.seconds / fast.seconds:.3g}x"


def table_lines(
    results: Sequence[Measurement], rules: Sequence[Rule], sizes: Sequence[Size]
) -> list[str]:
    """The Markdown table: one row per rule and size."""
    find = {(m.rule, m.size, m.contender): m for m in results}
    cols = ["optimizer", "size", "roofline GB/s", NATIVE, "% roofline", "µs/step",
            *CONTENDERS[1:], "x reference", "x torch", "x torch fused"]  # fmt: skip
    lines = [
        "",
        "Cells: ns per element (GB/s moved). All but `native raise` use nonfinite="
        + "'ignore'; `x C` is C's time over native's (above 1: native is faster). "
        + "The torch columns come from torch's own process (see above).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for rule in rules:
        for size in sizes:
            roof = find.get(("roofline", size.label, NATIVE))
            nat = find[(rule.key, size.label, NATIVE)]
            share = f"{nat.gbps / roof.gbps:.0%}" if roof else "n/a"
            row = [rule.label, size.label, f"{roof.gbps:.3g}" if roof else "n/a",
                   _cell(nat), share, f"{(nat.seconds or math.nan) * 1e6:.3g}"]  # fmt: skip
            row += [_cell(find.get((rule.key, size.label, c))) for c in CONTENDERS[1:]]
            row += [_ratio(find.get((rule.key, size.label, c)), nat)
                    for c in (REFERENCE, "torch", "torch fused")]  # fmt: skip
            lines.append("| " + " | ".join(row) + " |")
    return lines


def target_lines(results: Sequence[Measurement]) -> list[str]:
    """The issue's targets, checked on whatever this run measured."""
    get = {(m.rule, m.size, m.contender): m for m in results if m.seconds}
    checks: list[tuple[bool, str]] = []
    roof = get.get(("roofline", "5e7", NATIVE))
    for rule in RULES:
        if roof and (m := get.get((rule.key, "5e7", NATIVE))):
            goal = ADAM_ROOFLINE_SHARE if rule.key == "adam" else OTHER_ROOFLINE_SHARE
            got = m.gbps / roof.gbps
            text = (
                f"{rule.label} at 5e7: {got:.1%} of the roofline (target ≥ {goal:.0%})"
            )
            checks.append((got >= goal, text))
    ratios = [("5e7", "torch fused", 1.0), ("1e7", REFERENCE, ADAM_REFERENCE_SPEEDUP)]
    for size, other, goal in ratios:
        m, o = get.get(("adam", size, NATIVE)), get.get(("adam", size, other))
        if m and o and m.seconds and o.seconds:
            r = o.seconds / m.seconds
            text = f"Adam at {size}: {r:.2f}x the speed of {other} (target ≥ {goal:g}x)"
            checks.append((r >= goal, text))
    if m := get.get(("adam", "100x1e4", NATIVE)):
        ns, goal = m.ns_per_element, LIST_NS_PER_ELEMENT
        text = f"Adam on 100x1e4: {ns:.3g} ns/element (target ≤ {goal})"
        checks.append((ns <= goal, text))
    if m := get.get(("adam", "1e3", NATIVE)):
        us, goal = (m.seconds or math.nan) * 1e6, SMALL_MICROSECONDS
        checks.append((us <= goal, f"Adam at 1e3: {us:.3g} µs/step (target ≤ {goal})"))
    lines = ["", "Targets of the benchmark issue:", ""] if checks else []
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
        f"{s.mlp_rows} x {bt.MLP_FEATURES} float32 -> {hidden} (relu) -> "
        f"{bt.MLP_CLASSES} (softmax), {report.mlp_params} params"
    )
    head = [
        f"steepest: n_threads={report.threads} (steepest.get_num_threads()), "
        + f"BLAS threads={report.blas_threads} (build_info), OMP_WAIT_POLICY={policy}",
        _train_torch_note(report.info.get("torch")),
        f"float32 GEMM peak: {report.gemm_peak / 1e9:.4g} GFLOP/s (_core._gemm, "
        + f"{s.gemm_n}x{s.gemm_n}, best of {bt.GEMM_PEAK_REPEATS})",
        f"logistic: {s.logistic_rows} x {s.logistic_features} float64, labels of a "
        + f"noisy random linear model, SGD lr {bt.SGD_LR}, L2 alpha {bt.ALPHA}",
        f"MLP: {mlp}, batch {bt.MLP_BATCH}, Adam lr {bt.ADAM_LR}, "
        + f"L2 alpha {bt.ALPHA} (torch: none)",
        "each figure: median over the epochs timed after a warm-up epoch; each "
        + "epoch draws its own shuffle; scikit-learn: one partial_fit per epoch "
        + "after a first one told the classes",
    ]
    caption = (
        "`x native`: the row's time over native's (above 1: native is faster). "
        "GFLOP/s: 6 x samples x params / epoch time. `GEMMs only`: the epoch's "
        "8 GEMMs per batch (3 forward, 3 weight- and 2 input-gradient) alone "
        "through _core._gemm. The reference is not run at batch 1."
    )
    lines = ["", "## Training epochs", "", *(f"- {h}" for h in head), "", caption, ""]
    lines += [
        "| model | batch | contender | s/epoch | x native | GFLOP/s | % GEMM peak |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        native = report.seconds(r.model, r.batch, bt.NATIVE)
        cells = [r.note or "n/a"] + ["n/a"] * 3
        if r.seconds:
            cells = [f"{r.seconds:.4g}", "n/a", "", ""]
            if native:
                cells[1] = f"{r.seconds / native:.3g}x"
            if r.model == "mlp":
                flops = report.mlp_flops() / r.seconds
                cells[2:] = [f"{flops / 1e9:.3g}", f"{flops / report.gemm_peak:.1%}"]
        row = [r.model, str(r.batch), r.contender, *cells]
        lines.append(f"| {' | '.join(row)} |")
    active = report.seconds("mlp", bt.MLP_BATCH, bt.ACTIVE)
    native = report.seconds("mlp", bt.MLP_BATCH, bt.NATIVE)
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
    """The issue's targets, each met or missed with the figure measured."""
    checks: list[tuple[bool, str]] = []
    for model, batch, other, goal in bt.SPEED_TARGETS:
        mine = report.seconds(model, batch, bt.NATIVE)
        theirs = report.seconds(model, batch, other)
        if mine and theirs:
            r = theirs / mine
            text = (
                f"{model} batch {batch}: native {r:.3g}x the speed of {other} "
                f"(target ≥ {goal:g}x)"
            )
            checks.append((r >= goal, text))
    if native := report.seconds("mlp", bt.MLP_BATCH, bt.NATIVE):
        share = report.mlp_flops() / native / report.gemm_peak
        goal = bt.GEMM_PEAK_SHARE
        text = f"MLP: {share:.1%} of the GEMM peak (target ≥ {goal:.0%})"
        checks.append((share >= goal, text))
    lines = ["", "Targets of the training benchmark:", ""] if checks else []
    return lines + [f"- {'met' if ok else 'MISSED'}: {text}" for ok, text in checks]


# -- command line ------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m steepest bench`` and ``bench/run.py``."""
    add = parser.add_argument
    add("--sizes", type=_sizes, help="comma-separated, like 1e7 or 100x1e4 (a list "
        f"of arrays); default {DEFAULT_SIZES}, with --quick {QUICK_SIZES}")  # fmt: skip
    add("--optimizers", type=_rules, default=RULES, metavar="NAMES",
        help=f"comma-separated subset of {','.join(RULES_BY_KEY)}")  # fmt: skip
    add("--threads", type=int, help="steepest.set_num_threads (torch gets the same)")
    add("--dtype", choices=["float32", "float64"], default="float32")
    add("--quick", action="store_true", help="small sizes, short timings (smoke run)")
    add("--repeats", type=int, help="timed samples per figure (default: adaptive; "
        f"train: {bt.EPOCH_REPEATS} epochs)")  # fmt: skip
    add("--sections", nargs="+",
        choices=["table", "overhead", "grain", "train", "torch"],
        default=DEFAULT_SECTIONS,
        help=f"what to measure (default: {' '.join(DEFAULT_SECTIONS)})")  # fmt: skip
    add("--no-torch", action="store_true", help="leave torch out even if installed")
    add("--json", metavar="PATH", help="also write the raw results to PATH")


def run(args: argparse.Namespace) -> int:
    """Measure and print what ``args`` asks for; returns the exit status."""
    rules = args.optimizers
    sizes = args.sizes or _sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    budget = QUICK_BUDGET if args.quick else DEFAULT_BUDGET
    load_before = os.getloadavg()[0]
    if args.threads is not None:
        _core.set_num_threads(args.threads)
    dtype = np.dtype(args.dtype)
    wants_torch = {"table", "overhead"} & set(args.sections)
    worker, note = None, "not measured (--no-torch)" if args.no_torch else "not needed"
    if not wants_torch and "train" in args.sections and not args.no_torch:
        note = "see the train section"
    if wants_torch and not args.no_torch:
        # the same thread count for both, whatever the defaults
        worker = TorchWorker(_core.get_num_threads())
        if not worker.ok:
            note = "not installed"
            worker.close()
            worker = None
    env = environment(worker, note)
    lines: list[str] = []
    raw: dict[str, Any] = {"environment": env}
    try:
        if "table" in args.sections:
            results = run_table(rules, sizes, dtype, budget, args.repeats, worker)
            lines += table_lines(results, rules, sizes) + target_lines(results)
            raw["results"] = [asdict(m) for m in results]
        if "overhead" in args.sections:
            rows = overhead_rows(budget, args.repeats, worker)
            lines += overhead_lines(rows)
            raw["overhead_us"] = dict(rows)
    finally:
        if worker is not None:
            worker.close()
    if "grain" in args.sections:
        scan = grain_scan(budget, args.repeats)
        lines += grain_lines(scan, _core.get_num_threads())
        raw["grain_seconds"] = {str(n): row for n, row in scan.items()}
    if "train" in args.sections:
        # whole epochs: a fixed count of them, not a time budget
        train = bt.measure_train(
            bt.QUICK if args.quick else bt.DEFAULT, args.repeats or bt.EPOCH_REPEATS,
            budget, None if args.no_torch else "torch",
        )  # fmt: skip
        lines += train_lines(train)
        raw["train"] = asdict(train)
    if "torch" in args.sections and not args.no_torch:
        # steepest.torch.Adam and torch.optim.Adam, one child with torch loaded first
        report = bto.measure(_core.get_num_threads(), quick=args.quick,
                             budget=budget, repeats=args.repeats)  # fmt: skip
        lines += bto.report_lines(report)
        raw["torch_optim"] = report
    env["load"] = (load_before, os.getloadavg()[0])
    print("\n".join(header_lines(env, dtype) + lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(raw, f, indent=1, default=str)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bench/run.py``: parse ``argv``, then :func:`run`."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
