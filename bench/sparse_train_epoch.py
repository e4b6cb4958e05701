"""Epoch time of LogisticRegression on sparse X: native CSR vs reference CSR vs densified.

Standalone: ``python bench/sparse_train_epoch.py [--rows N] [--features D]
[--dense-rows M] [--epochs E] [--rounds R] [--dtype float64|float32]``.
Sparse text-like rows of ``bench/_sparse_data.py`` (Zipf-distributed feature
frequencies, ~50 nonzeros per row after duplicates are summed; default
100,000 x 20,000), binary labels,
``LogisticRegression(optimizer="adam", batch_size=256, tol=None)``. Contenders:
the native loop on the CSR matrix, the NumPy/scipy reference on it, and the
native loop on the densified matrix; the densified one uses only the first
``--dense-rows`` rows (100,000 x 20,000 float64 is 16 GB) and its time is
scaled to the full row count. Each round times each contender once in turn
(a fit of E + 1 epochs less a fit of 1: the shared set-up cancels), so drift
in the machine's speed hits all alike; the table gives the median seconds
per epoch, nonzeros per second and the median per-round ratio to the native
CSR time. The load average is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np
import steepest
from _sparse_data import text_like


def _fit_seconds(X: Any, y: Any, backend: str, epochs: int, dtype: str) -> float:
    est = steepest.LogisticRegression(
        optimizer="adam", learning_rate=1e-3, batch_size=256, max_iter=epochs,
        tol=None, random_state=0, backend=backend, dtype=dtype,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
    return time.perf_counter() - start


def _epoch_seconds(X: Any, y: Any, backend: str, epochs: int, dtype: str) -> float:
    one = _fit_seconds(X, y, backend, 1, dtype)
    return (_fit_seconds(X, y, backend, epochs + 1, dtype) - one) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=20_000)
    parser.add_argument("--dense-rows", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    args = parser.parse_args()
    # 100 Zipf draws per row: ~50 distinct columns once duplicates are summed
    X, y = text_like(args.rows, args.features, 100, seed=0)
    X = X.astype(args.dtype)
    m = min(args.dense_rows, args.rows)
    X_dense = X[:m].toarray()
    scale = args.rows / m
    contenders = {
        "native CSR": lambda: _epoch_seconds(X, y, "native", args.epochs, args.dtype),
        "reference CSR": lambda: _epoch_seconds(
            X, y, "reference", args.epochs, args.dtype
        ),
        f"native densified ({m} rows, scaled)": lambda: (
            scale * _epoch_seconds(X_dense, y[:m], "native", args.epochs, args.dtype)
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    print(f"load average before: {os.getloadavg()}; steepest ISA {steepest.get_isa()}")
    print(f"X {args.rows}x{args.features} {args.dtype}, {X.nnz} nonzeros "
          f"({X.nnz / args.rows:.1f} per row)")  # fmt: skip
    for _ in range(args.rounds):
        for name, run in contenders.items():
            times[name].append(run())
    base = np.array(times["native CSR"])
    print("| contender | s/epoch | nnz/s | ratio to native CSR (median, spread) |")
    print("|---|---|---|---|")
    for name, t in times.items():
        arr = np.array(t)
        ratio = arr / base
        print(
            f"| {name} | {np.median(arr):.3f} | {X.nnz / np.median(arr):.3g} | "
            f"{np.median(ratio):.2f} ({ratio.min():.2f}-{ratio.max():.2f}) |"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
