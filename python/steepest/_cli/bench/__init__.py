"""The optimizer benchmark behind ``python -m steepest bench`` and ``bench/run.py``.

For every optimizer and size it times one step of the native kernels, of the
NumPy reference and, when torch imports, of ``torch.optim`` (default, foreach,
fused) and, for Adam and AdamW where deepspeed is installed, of DeepSpeed's CPU
Adam, and a memory-roofline probe, taking turns in interleaved rounds so that
every ratio is formed from two timings of the same round and reported as the
median over rounds with its spread (:mod:`steepest._cli.bench.table`,
:mod:`steepest._cli.bench.rounds`); ``--plot`` draws ns per element against
size (:mod:`steepest._cli.bench.figure`). torch runs in a process of its
own that never loads steepest's extension, so steepest's
``OMP_WAIT_POLICY=passive`` does not slow torch's parallel regions
(:mod:`steepest._cli.bench.torch_worker`). Above ~1e6 elements every rule is
bandwidth-bound, so the figure of merit is bytes moved per second relative to
that roofline; below, per-call overhead. Two optional sections break the
per-call overhead down at 1e3 elements and scan the parallel grain
(:mod:`steepest._cli.bench.tuning`), and ``--sections train`` times whole training
epochs against scikit-learn, torch and a GEMM peak (:mod:`steepest._cli.bench.train`);
``--sections torch`` times ``steepest.torch.Adam`` against ``torch.optim.Adam``
(:mod:`steepest._cli.bench.torch_optim`); ``--sections ema`` times
``steepest.EMA`` fused into the step against a separate average pass
(:mod:`steepest._cli.bench.ema`).
This module holds the command line; :mod:`steepest._cli.bench.report` the
Markdown report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from ... import _core
from ...plot._common import matplotlib_classes
from . import ema as bema
from . import torch_optim as bto
from . import train as bt
from .figure import plot_cells
from .measure import RULES, RULES_BY_KEY, Rule, Size, parse_size
from .report import (
    environment,
    header_lines,
    table_lines,
    target_lines,
    timing_line,
    train_lines,
)
from .rounds import SPREAD
from .table import cells_json, run_table
from .torch_client import TorchWorker
from .tuning import grain_lines, grain_scan, overhead_lines, overhead_rows

DEFAULT_SECTIONS = ["table"]  # train adds ~1 min to a run of ~2: opt-in
DEFAULT_BUDGET, QUICK_BUDGET = 0.2, 0.02  # seconds of samples per figure
# The default covers the four regimes of a step (per-call overhead, in cache,
# bandwidth-bound beyond the caches, a list of arrays) in ~2 minutes for all
# 20 rules on a quiet machine; ``--sizes all`` adds 1e4, 1e6 and 5e7 (where
# the roofline targets are checked), ~5 minutes.
DEFAULT_SIZES = "1e3,1e5,1e7,100x1e4"
ALL_SIZES = "1e3,1e4,1e5,1e6,1e7,5e7,100x1e4"
QUICK_SIZES = "1e3,1e5,1e6,10x1e4"
DEFAULT_ROUNDS, QUICK_ROUNDS = 7, 3
DESCRIPTION = (
    "Time one step of every optimizer, native against the NumPy reference, "
    "torch.optim and a memory roofline, and print a Markdown table."
)


def _sizes(text: str) -> list[Size]:
    """``--sizes``: a comma-separated list, or ``all`` for :data:`ALL_SIZES`."""
    text = ALL_SIZES if text.strip().lower() == "all" else text
    return [parse_size(s) for s in text.split(",")]


def _batches(text: str) -> tuple[int, ...]:
    return tuple(_positive(part) for part in text.split(","))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = f"expected a positive integer, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _rules(text: str) -> list[Rule]:
    unknown = [k for k in text.split(",") if k not in RULES_BY_KEY]
    if unknown:
        msg = f"unknown optimizer(s) {unknown}; known: {','.join(RULES_BY_KEY)}"
        raise argparse.ArgumentTypeError(msg)
    return [RULES_BY_KEY[k] for k in text.split(",")]


# -- command line ------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m steepest bench`` and ``bench/run.py``."""
    add = parser.add_argument
    add("--sizes", type=_sizes, help="comma-separated, like 1e7 or 100x1e4 (a list "
        f"of arrays), or 'all' for {ALL_SIZES} (~5 min for the table; the "
        f"roofline targets are checked at 5e7); default {DEFAULT_SIZES} (~2 min: "
        "per-call overhead, in cache, beyond the caches at the memory limit, a "
        f"list of arrays), with --quick {QUICK_SIZES} (ema: {bema.EMA_SIZES}, "
        f"with --quick {bema.QUICK_EMA_SIZES})")  # fmt: skip
    add("--optimizers", type=_rules, default=RULES, metavar="NAMES",
        help=f"comma-separated subset of {','.join(RULES_BY_KEY)}")  # fmt: skip
    add("--threads", type=int, help="steepest.set_num_threads (torch gets the same)")
    add("--dtype", choices=["float32", "float64"], default="float32")
    add("--quick", action="store_true", help="small sizes, short timings (smoke run)")
    add("--rounds", type=_positive, help="table, torch, ema: interleaved rounds per cell "
        f"(default {DEFAULT_ROUNDS}, with --quick {QUICK_ROUNDS})")  # fmt: skip
    add("--block", type=_positive, help="table, torch, ema: consecutive steps per turn, 1 for "
        "single steps (default: as many as last ~2 ms for the fastest contender); "
        "a table turn starts after a pause with the caches emptied, whichever "
        "contender ran before it")  # fmt: skip
    add("--repeats", type=int, help="timed samples per figure of the other "
        f"sections (default: adaptive; train: {bt.EPOCH_ROUNDS} interleaved "
        "rounds of one epoch per contender)")  # fmt: skip
    add("--train-batches", type=_batches, default=(bt.MLP_BATCH,), metavar="SIZES",
        help="train: the MLP's batch sizes, comma-separated, like 32,256,1024 "
        f"(default {bt.MLP_BATCH})")  # fmt: skip
    add("--sections", nargs="+",
        choices=["table", "overhead", "grain", "train", "torch", "ema"],
        default=DEFAULT_SECTIONS,
        help=f"what to measure (default: {' '.join(DEFAULT_SECTIONS)})")  # fmt: skip
    add("--no-torch", action="store_true", help="leave torch out even if installed")
    add("--json", metavar="PATH", help="also write the raw results (the table's "
        "per-round seconds) to PATH")  # fmt: skip
    add("--plot", metavar="PATH", help="also draw the table's ns/element against "
        "size, one panel per optimizer, as a PNG (needs matplotlib)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Measure and print what ``args`` asks for; returns the exit status."""
    if args.plot:
        if "table" not in args.sections:
            sys.exit("bench: --plot draws the table: add table to --sections")
        matplotlib_classes()  # no matplotlib: fail now, not after the table
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
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    try:
        if "table" in args.sections:
            env["timing"] = timing_line(rounds, args.block)
            cells = run_table(rules, sizes, dtype, rounds, args.block, worker)
            env["absent"] = {} if worker is None else dict(worker.notes)
            lines += table_lines(cells, rules, sizes) + target_lines(cells)
            raw["table"] = {"rounds": rounds, "block": args.block, "spread": SPREAD,
                            "dtype": dtype.name, "cells": cells_json(cells)}  # fmt: skip
            if args.plot:
                plot_cells(cells, rules, sizes, args.plot)
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
            bt.QUICK if args.quick else bt.DEFAULT, args.repeats or bt.EPOCH_ROUNDS,
            None if args.no_torch else "torch", args.train_batches,
        )  # fmt: skip
        lines += train_lines(train)
        raw["train"] = asdict(train)
    if "torch" in args.sections and not args.no_torch:
        # steepest.torch.Adam and torch.optim.Adam, one child with torch loaded first
        report = bto.measure(_core.get_num_threads(), quick=args.quick,
                             rounds=rounds, block=args.block)  # fmt: skip
        lines += bto.report_lines(report)
        raw["torch_optim"] = report
    if "ema" in args.sections:
        ema_sizes = args.sizes or bema.default_sizes(args.quick)
        ema = bema.measure_ema(ema_sizes, dtype, rounds, args.block)
        lines += bema.ema_lines(ema, dtype)
        raw["ema"] = bema.ema_json(ema)
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
