"""Smoke tests of the ``train`` section of the benchmark (``_cli.bench.train``).

Tiny problems and one timed epoch per figure: the figures mean nothing here,
only that every row is measured, positive and reported. torch is left out
by asking the torch process for a module that does not exist, which is what
a machine without torch looks like (importing torch would cost seconds; the
torch path runs in ``python -m steepest bench --sections train --quick``).
"""

from __future__ import annotations

import argparse

import pytest
from steepest._cli import bench
from steepest._cli.bench.report import train_lines
from steepest._cli.bench.train import (
    ACTIVE,
    GEMMS,
    MIXED_ACTIVE,
    MIXED_PASSIVE,
    MLP_BATCH,
    MLP_CLASSIFIER,
    NATIVE,
    REFERENCE,
    SGD_CLASSIFIER,
    TORCH,
    TORCH_FUSED,
    TrainReport,
    TrainSizes,
    measure_mlp,
    measure_train,
)

TINY = TrainSizes(logistic_rows=300, logistic_features=8, mlp_rows=300, gemm_n=128)
NO_TORCH = "steepest_test_no_such_torch_module"
MLP_CONTENDERS = [NATIVE, TORCH, TORCH_FUSED, REFERENCE, MLP_CLASSIFIER, GEMMS]
EXPECTED_ROWS = [
    ("logistic", 1, "float64", NATIVE),
    ("logistic", 1, "float64", SGD_CLASSIFIER),
    ("logistic", 32, "float64", NATIVE),
    ("logistic", 32, "float64", REFERENCE),
    ("logistic", 256, "float64", NATIVE),
    ("logistic", 256, "float64", REFERENCE),
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
        if row.contender in (TORCH, TORCH_FUSED):
            assert row.seconds is None
            assert row.note == "torch not installed"
        else:
            assert row.seconds is not None
            assert row.seconds > 0, row
        if row.contender in (TORCH, TORCH_FUSED, ACTIVE, MIXED_PASSIVE, MIXED_ACTIVE):
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
    assert sum("torch not installed" in line for line in table) == 4
    assert any(line.startswith("Spin-wait: ") for line in lines)
    targets = [line for line in lines if line.startswith(("- met: ", "- MISSED: "))]
    # the torch targets need torch: logistic at 1 and 256, MLPClassifier and
    # the GEMMs in each dtype, the GEMM peak
    assert len(targets) == 7


def test_no_torch_is_reported_as_not_measured() -> None:
    rows, _ = measure_mlp(TINY, 1, "float32", MLP_BATCH, torch=None)
    notes = [r.note for r in rows if r.contender in (TORCH, TORCH_FUSED)]
    assert notes == ["not measured (--no-torch)"] * 2


def test_train_is_a_section_of_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    assert parser.parse_args(["--sections", "train"]).sections == ["train"]
    assert parser.parse_args([]).train_batches == (MLP_BATCH,)
    got = parser.parse_args(["--train-batches", "32,256,1024"]).train_batches
    assert got == (32, 256, 1024)
