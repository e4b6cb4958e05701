"""pytest-benchmark cases: one training epoch, native loop vs NumPy reference.

Run with ``python -m pytest bench --benchmark-only`` (see bench/conftest.py).
The models are those of ``python -m steepest bench --sections train`` on
smaller data: logistic regression (float64, SGD) at batch 1, 32 and 256, and
the 100 -> 256 -> 128 -> 10 relu MLP (float32, Adam) at batch 256. One group
per model and batch; the reference runs where an epoch of it is cheap (not at
batch 1, ~1e4 Python-level steps). Before timing, every case trains one epoch
on both backends from the same start and batches and checks the native params
against the reference's, with the tolerances of
``tests/models/test_native_parity.py`` (GEMMs and reductions round
differently from NumPy's). Each timed round is one more epoch of the same
model, after a warm-up epoch. scikit-learn and torch are compared in the
``train`` section of ``python -m steepest bench``, where torch gets a
process of its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from steepest._cli.bench.train import (
    NATIVE,
    REFERENCE,
    Trainer,
    logistic_data,
    logistic_trainer,
    mlp_trainer,
)
from steepest._cli.bench.train_torch import mlp_data

LOGISTIC_ROWS, LOGISTIC_FEATURES = 10_000, 100
# batch 1 is checked on fewer rows: the reference steps one row at a time
PARITY_ROWS_BATCH_1 = 500
MLP_ROWS = 6_000
ROUNDS = 5
TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def assert_close(native: list[Any], reference: list[Any]) -> None:
    """Every array within the dtype's tolerance of the largest reference value."""
    rtol = TOLERANCE[reference[0].dtype]
    scale = max(float(np.max(np.abs(r))) for r in reference)
    for i, (a, b) in enumerate(zip(native, reference, strict=True)):
        err = float(np.max(np.abs(a.astype(np.float64) - b))) / scale
        assert err <= rtol, f"params[{i}]: relative difference {err:.3g} > {rtol}"


def check_and_time(benchmark: Any, make: Any, backend: str, group: str) -> None:
    """Parity of one epoch from ``make(backend)`` and ``make(REFERENCE)``, then time."""
    model: Trainer = make(backend)
    if backend != REFERENCE:
        reference: Trainer = make(REFERENCE)
        model.epoch()
        reference.epoch()
        assert_close(model.params, reference.params)
    benchmark.group = group
    benchmark.pedantic(model.epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def logistic_set() -> tuple[np.ndarray, np.ndarray]:
    return logistic_data(LOGISTIC_ROWS, LOGISTIC_FEATURES)


@pytest.fixture(scope="module")
def mlp_set() -> tuple[np.ndarray, np.ndarray]:
    return mlp_data(MLP_ROWS, 100, 10, seed=0)


def test_logistic_batch_1(benchmark: Any, logistic_set: Any) -> None:
    X, y = logistic_set
    n = PARITY_ROWS_BATCH_1
    native = logistic_trainer(NATIVE, X[:n], y[:n], 1)
    reference = logistic_trainer(REFERENCE, X[:n], y[:n], 1)
    native.epoch()
    reference.epoch()
    assert_close(native.params, reference.params)
    model = logistic_trainer(NATIVE, X, y, 1)
    benchmark.group = f"logistic {LOGISTIC_ROWS}x{LOGISTIC_FEATURES} batch 1"
    benchmark.pedantic(model.epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("backend", [NATIVE, REFERENCE])
@pytest.mark.parametrize("batch", [32, 256], ids=lambda b: f"batch{b}")
def test_logistic(benchmark: Any, logistic_set: Any, batch: int, backend: str) -> None:
    X, y = logistic_set
    group = f"logistic {LOGISTIC_ROWS}x{LOGISTIC_FEATURES} batch {batch}"
    check_and_time(
        benchmark, lambda b: logistic_trainer(b, X, y, batch), backend, group
    )


@pytest.mark.parametrize("backend", [NATIVE, REFERENCE])
def test_mlp(benchmark: Any, mlp_set: Any, backend: str) -> None:
    X, y = mlp_set
    group = f"MLP {MLP_ROWS}x100 float32 batch 256"
    check_and_time(benchmark, lambda b: mlp_trainer(b, X, y), backend, group)
