"""Epoch time of SGDClassifier(optimizer="adam", batch_size=256): native vs reference.

Standalone: ``python bench/sgd_batch_epoch.py [--rows N] [--epochs E] [--rounds R]``.
The data sets of ``bench/_sparse_data.py`` (sparse text-like rows, 100,000
features, ~50 nonzeros per row; dense 100,000 x 100). Each round fits each
backend once (``max_iter=E, tol=None``, shuffled, ``learning_rate="constant"``,
log_loss) in turn, less a fit of one epoch (the shared set-up); the table gives the median seconds per epoch, nonzeros per
second and the median per-round ratio (reference / native). Both backends fit
the same bits (tests/models/test_sgd_batch.py); the load average is printed
beside it.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np
import steepest
from _sparse_data import issue12_cases


def _fit_seconds(X: Any, y: Any, backend: str, epochs: int) -> float:
    est = steepest.SGDClassifier(
        loss="log_loss", optimizer="adam", batch_size=256, learning_rate="constant",
        max_iter=epochs, tol=None, random_state=0, backend=backend,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        start = time.perf_counter()
        est.fit(X, y)
    return time.perf_counter() - start


def _epoch_seconds(X: Any, y: Any, backend: str, epochs: int) -> float:
    # a fit of 1 epoch subtracted: what is left is epochs, not the set-up
    # (validation, CSR canonicalisation) both backends share
    one = _fit_seconds(X, y, backend, 1)
    return (_fit_seconds(X, y, backend, epochs + 1) - one) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=200_000, help="rows of the sparse data"
    )
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cases = issue12_cases(args.rows)
    print(f"load average before: {os.getloadavg()}; steepest ISA {steepest.get_isa()}")
    print("| data | native s/epoch | reference s/epoch | ratio (ref/native) | "
          "native nnz/s |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name, (X, y) in cases.items():
        nnz = X.nnz if hasattr(X, "nnz") else X.size
        times: dict[str, list[float]] = {"native": [], "reference": []}
        for _ in range(args.rounds):
            for backend, spent in times.items():
                spent.append(_epoch_seconds(X, y, backend, args.epochs))
        nat, ref = np.median(times["native"]), np.median(times["reference"])
        ratio = np.median(np.array(times["reference"]) / np.array(times["native"]))
        print(f"| {name} | {nat:.3f} | {ref:.3f} | {ratio:.1f}x | {nnz / nat:.3g} |")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
