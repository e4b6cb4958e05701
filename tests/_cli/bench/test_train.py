"""Smoke tests of the ``train`` section of the benchmark (``_cli.bench.train``).

Tiny problems and one timed epoch per figure: the figures mean nothing here,
only that every row is measured, positive and reported. torch is left out
by asking the torch process for a module that does not exist, which is what
a machine without torch looks like (importing torch would cost seconds; the
torch path runs in ``python -m steepest bench --sections train --quick``).
"""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from steepest._cli import bench
from steepest._cli.bench.report import reach_lines, train_lines, train_target_lines
from steepest._cli.bench.rounds import Spread, Turn
from steepest._cli.bench.train import (
    ACTIVE,
    GEMMS,
    IN_ORDER,
    MIXED_ACTIVE,
    MIXED_PASSIVE,
    MLP_BATCH,
    MLP_CLASSIFIER,
    NATIVE,
    REFERENCE,
    SGD_CLASSIFIER,
    TORCH,
    TORCH_FUSED,
    TRAIN_SETTLE_SECONDS,
    TrainReport,
    TrainRow,
    TrainSizes,
    interleaved_rows,
    measure_mlp,
    measure_train,
)
from steepest._cli.bench.train_torch import TORCH_GEMMS, torch_gemm_epoch

TINY = TrainSizes(logistic_rows=300, logistic_features=8, mlp_rows=300, gemm_n=128)
NO_TORCH = "steepest_test_no_such_torch_module"
MLP_CONTENDERS = [
    NATIVE,
    TORCH,
    TORCH_FUSED,
    REFERENCE,
    MLP_CLASSIFIER,
    GEMMS,
    TORCH_GEMMS,
]
EXPECTED_ROWS = [
    ("logistic", 1, "float64", NATIVE),
    ("logistic", 1, "float64", SGD_CLASSIFIER),
    ("logistic", 32, "float64", NATIVE),
    ("logistic", 32, "float64", REFERENCE),
    ("logistic", 256, "float64", NATIVE),
    ("logistic", 256, "float64", REFERENCE),
    ("logistic", 256, "float64", IN_ORDER),
    *(("mlp", MLP_BATCH, "float32", c) for c in MLP_CONTENDERS),
    *(("mlp", MLP_BATCH, "float64", c) for c in MLP_CONTENDERS),
    ("mlp", MLP_BATCH, "float32", ACTIVE),
    ("mlp", MLP_BATCH, "float32", MIXED_PASSIVE),
    ("mlp", MLP_BATCH, "float32", MIXED_ACTIVE),
]
ROUNDS = 2


@pytest.fixture(scope="module")
def report() -> TrainReport:
    return measure_train(TINY, rounds=ROUNDS, torch_module=NO_TORCH, repeats=1)


def test_every_row_is_measured_and_positive(report: TrainReport) -> None:
    got = [(r.model, r.batch, r.dtype, r.contender) for r in report.rows]
    assert got == EXPECTED_ROWS
    for row in report.rows:
        if row.contender in (TORCH, TORCH_FUSED, TORCH_GEMMS):
            assert row.seconds is None
            assert row.note == "torch not installed"
        else:
            assert row.seconds is not None
            assert row.seconds > 0, row
        if row.contender in (TORCH, TORCH_FUSED, TORCH_GEMMS, ACTIVE, MIXED_PASSIVE,
                             MIXED_ACTIVE):  # fmt: skip
            assert row.ratio is None  # not measured, or not interleaved
        elif row.contender == NATIVE:
            assert len(row.per_round) == ROUNDS
            assert row.ratio is None
        else:
            # interleaved with native: one ratio per round, their spread
            assert len(row.per_round) == ROUNDS
            assert row.ratio is not None
            assert row.ratio.rounds == ROUNDS
            assert 0 < row.ratio.low <= row.ratio.median <= row.ratio.high
    assert report.gemm_peak > 0
    assert report.mlp_params == 100 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert report.threads >= 1
    assert report.blas_threads >= 1
    # each spin-wait child really ran with its policy
    spin = report.info["spin"]
    assert spin[ACTIVE]["omp_wait_policy"] == "active"
    assert spin[MIXED_PASSIVE]["omp_wait_policy"] == "passive"
    assert spin[MIXED_ACTIVE]["omp_wait_policy"] == "active"


def test_table_has_a_line_per_row_and_the_targets(report: TrainReport) -> None:
    lines = train_lines(report)
    table = [line for line in lines if line.startswith("| ") and "---" not in line]
    assert len(table) == 1 + len(EXPECTED_ROWS)  # the header, then the rows
    for (model, batch, dtype, contender), line in zip(
        EXPECTED_ROWS, table[1:], strict=True
    ):
        assert line.startswith(f"| {model} | {batch} | {dtype} | {contender} | ")
    assert sum("torch not installed" in line for line in table) == 6
    assert any(line.startswith("Spin-wait: ") for line in lines)
    targets = [line for line in lines if line.startswith(("- met: ", "- MISSED: "))]
    # the torch targets need torch: logistic at 1 and 256, MLPClassifier and
    # the GEMMs in each dtype, the GEMM peak
    assert len(targets) == 7


def test_reach_line_sets_the_fused_target_against_both_gemm_floors() -> None:
    report = TrainReport(TINY)
    for contender, seconds in ((TORCH_FUSED, 1.0), (GEMMS, 0.5), (TORCH_GEMMS, 0.25)):
        report.rows.append(TrainRow("mlp", 64, contender, seconds, dtype="float64"))
    line = (
        "- reach: MLP float64 batch 64: 2.5x torch fused asks for an epoch of 0.4 s; "
        "the GEMMs alone take 0.5 s (steepest's BLAS), 0.25 s (torch's; its fused "
        "epoch is 4x that)"
    )
    assert reach_lines(report) == [line]
    report.rows.pop()  # without torch's GEMMs there is nothing to compare
    assert reach_lines(report) == []


def test_reach_line_sets_the_logistic_target_against_rows_in_order() -> None:
    report = TrainReport(TINY)
    for contender, seconds in ((REFERENCE, 0.04), (IN_ORDER, 0.006)):
        report.rows.append(
            TrainRow("logistic", 256, contender, seconds, dtype="float64")
        )
    line = (
        "- reach: logistic float64 batch 256: 8x the reference asks for an epoch of "
        "0.005 s (its shuffle drawn); native on rows in order (no gather, no shuffle "
        "drawn) takes 0.006 s"
    )
    assert reach_lines(report) == [line]


def _mlp_cell(peer_seconds: float, ratio: float) -> TrainReport:
    """A float32 batch-64 MLP cell: torch's fused epoch and both GEMM floors."""
    report = TrainReport(TINY)
    fused = TrainRow("mlp", 64, TORCH_FUSED, peer_seconds, dtype="float32")
    fused.ratio = Spread(ratio, ratio, ratio, 5)
    report.rows += [
        fused,
        TrainRow("mlp", 64, GEMMS, 0.5, dtype="float32"),
        TrainRow("mlp", 64, TORCH_GEMMS, 0.3, dtype="float32"),
    ]
    return report


def test_a_missed_target_below_the_gemm_floor_says_so() -> None:
    # 2.5x a 0.5 s epoch asks for 0.2 s; torch's GEMMs alone take 0.3 s
    (line,) = [t for t in train_target_lines(_mlp_cell(0.5, 1.2)) if "MISSED" in t]
    assert line.endswith(
        "; out of reach with either BLAS: it asks for an epoch of 0.2 s, "
        "the GEMMs alone take 0.3 s (torch's)"
    )
    # 2.5x a 1 s epoch asks for 0.4 s, above both floors: missed, not out of reach
    (line,) = [t for t in train_target_lines(_mlp_cell(1.0, 2.0)) if "MISSED" in t]
    assert "out of reach" not in line


def test_torch_gemm_epoch_runs_every_shape_of_a_ragged_epoch() -> None:
    torch = pytest.importorskip("torch")
    # 10 rows at batch 4: two full batches and a tail of 2, three layers
    # (out= raises on any shape that does not match the products)
    epoch = torch_gemm_epoch(torch, "float64", 10, (3, 5, 4, 2), 4, seed=0)
    assert epoch() == 0.0


def test_no_torch_is_reported_as_not_measured() -> None:
    rows, _ = measure_mlp(TINY, 1, "float32", MLP_BATCH, torch=None)
    notes = [r.note for r in rows if r.contender in (TORCH, TORCH_FUSED, TORCH_GEMMS)]
    assert notes == ["not measured (--no-torch)"] * 3


def test_train_is_a_section_of_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    assert parser.parse_args(["--sections", "train"]).sections == ["train"]
    assert parser.parse_args([]).train_batches == (MLP_BATCH,)
    got = parser.parse_args(["--train-batches", "32,256,1024"]).train_batches
    assert got == (32, 256, 1024)


def test_every_turn_starts_after_the_blas_pools_sleep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an OpenBLAS pool spins ~105 ms after a call on the project's VMs: a
    # turn right after a BLAS-threaded one ran on half the machine
    from steepest._cli.bench import rounds, train

    slept: list[float] = []
    real = rounds.interleave

    def spy(turns: list[Turn], n: int, **kw: Any) -> dict[str, list[float | None]]:
        return real(turns, n, **{**kw, "sleep": slept.append})

    monkeypatch.setattr(train, "interleave", spy)
    turns = {NATIVE: Turn("", lambda k: 1.0), REFERENCE: Turn("", lambda k: 2.0)}
    rows = interleaved_rows("mlp", 256, "float32", turns, 3)
    assert TRAIN_SETTLE_SECONDS >= 0.2
    assert slept == [TRAIN_SETTLE_SECONDS] * 6  # before each of 2 turns x 3 rounds
    assert [r.contender for r in rows] == [NATIVE, REFERENCE]
