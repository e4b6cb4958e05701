"""The data sets of issue 12 the SGD epoch benchmarks share.

Sparse text-like rows (Zipf-distributed feature frequencies, ~50 nonzeros
per row, 100,000 features) and dense 100,000 x 100, both with a linear
binary target; deterministic in ``seed``. Imported by ``bench/sgd_epoch.py``
and ``bench/sgd_batch_epoch.py`` (run as scripts: ``bench`` is on the path).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


def text_like(n: int, d: int, nnz: int, seed: int) -> tuple[Any, Any]:
    """``n x d`` CSR rows of ``nnz`` draws each (duplicates summed), 0/1 labels."""
    rng = np.random.default_rng(seed)
    cols = np.minimum(rng.zipf(1.2, size=(n, nnz)), d) - 1
    rows = np.repeat(np.arange(n), nnz)
    data = rng.integers(1, 4, size=n * nnz).astype(np.float64)
    X = sp.csr_matrix((data, (rows, cols.ravel())), shape=(n, d))
    X.sum_duplicates()
    # a sparse true weight vector: a few features carry the label
    w = rng.standard_normal(d) * (rng.random(d) < 0.05)
    y = (X @ w + 0.1 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def dense(n: int, d: int, seed: int) -> tuple[Any, Any]:
    """``n x d`` standard-normal rows, 0/1 labels of a random hyperplane."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) > 0).astype(int)
    return X, y


def issue12_cases(rows: int) -> dict[str, tuple[Any, Any]]:
    """Both data sets by table label, the sparse one with ``rows`` rows."""
    return {
        f"sparse {rows}x100000": text_like(rows, 100_000, 50, seed=0),
        "dense 100000x100": dense(100_000, 100, seed=0),
    }
