"""Epoch time of steepest.SGDClassifier vs scikit-learn's, at their defaults.

Standalone: ``python bench/sgd_epoch.py [--rows N] [--epochs E] [--rounds R]``.
Two data sets of issue 12: sparse text-like rows (Zipf-distributed feature
frequencies, ~50 nonzeros per row, 100,000 features; ``--rows`` scales it
down on a loaded machine) and dense 100,000 x 100; losses hinge and
log_loss. Each round fits each contender once (``max_iter=E, tol=None``,
shuffled, everything else default) in turn, so drift in the machine's speed
hits both alike; the table gives the median seconds per epoch, nonzeros per
second, and the median and spread of the per-round ratio. The load average is
printed beside it (the figures mean little above the core count).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import scipy.sparse as sp
import steepest
from _sparse_data import issue12_cases
from sklearn import linear_model as sk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=200_000, help="rows of the sparse data"
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cases = issue12_cases(args.rows)
    print(f"load average before: {os.getloadavg()}; steepest ISA {steepest.get_isa()}")
    print("| data | loss | steepest s/epoch | sklearn s/epoch | ratio (sk/ours) | spread | "
          "steepest nnz/s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, (X, y) in cases.items():
        nnz = X.nnz if sp.issparse(X) else X.size
        for loss in ("hinge", "log_loss"):
            times: dict[str, list[float]] = {"steepest": [], "sklearn": []}
            for r in range(args.rounds):
                for label, cls in (("steepest", steepest.SGDClassifier),
                                   ("sklearn", sk.SGDClassifier)):  # fmt: skip
                    est = cls(loss=loss, max_iter=args.epochs, tol=None, random_state=r)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        start = time.perf_counter()
                        est.fit(X, y)
                        times[label].append((time.perf_counter() - start) / args.epochs)
            ours, theirs = np.array(times["steepest"]), np.array(times["sklearn"])
            ratio = theirs / ours
            print(
                f"| {name} | {loss} | {np.median(ours):.3f} | {np.median(theirs):.3f} | "
                f"{np.median(ratio):.2f} | {ratio.min():.2f}-{ratio.max():.2f} | "
                f"{nnz / np.median(ours):.3g} |"
            )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
