"""The data-parallel cases: one table read by the worker processes and the tests.

Twins: ``python/steepest/models/_data_parallel.py``. Each case trains one
estimator on k processes, each on its shard of one global data set, with
``shuffle=False`` so that global step j is known: the j-th ``batch`` rows of
every shard, in rank order. :func:`single_process` lays the global data out
so that one process with batch ``k*batch`` takes the same steps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import steepest
from steepest.schedules import ReduceLROnPlateau

FLOAT64_RTOL = 1e-12
FLOAT32_RTOL = 1e-5


@dataclass(frozen=True)
class Case:
    name: str
    estimator: str
    target: str  # "linear" | "binary" | "softmax" | "multilabel" | "multioutput"
    kwargs: dict[str, Any] = field(default_factory=dict)
    batch: int | None = 8
    rows: tuple[int, ...] = ()  # shard sizes per k (empty: 40 each); see shard_sizes
    validation: bool = False  # validation_data per shard (early stopping on it)
    # False: the shards are shuffled or split on each process, so only the
    # processes' agreement is checked (one process has no such twin)
    equivalent: bool = True
    weighted: bool = False  # sample_weight per row (see weights)


CASES = [
    Case("linear", "LinearRegression", "linear", {"alpha": 1e-3}),
    Case("linear_f32", "LinearRegression", "linear", {"dtype": np.float32}),
    Case("binary", "LogisticRegression", "binary", {"alpha": 1e-3, "l1_ratio": 0.5}),
    Case("softmax", "LogisticRegression", "softmax", {"optimizer": "sgd"}),
    Case("softmax_f32", "LogisticRegression", "softmax", {"dtype": np.float32}),
    Case("mlp_classifier", "MLPClassifier", "softmax", {"hidden_layer_sizes": (6,)}),
    Case("mlp_regressor", "MLPRegressor", "linear", {"hidden_layer_sizes": (5, 4)}),
    Case("full_batch", "LinearRegression", "linear", {}, batch=None, rows=(37, 23, 31)),
    # rank k-1 runs out one step before the others
    Case("uneven", "LogisticRegression", "binary", {}, batch=10, rows=(30, 30, 20)),
    Case(
        "tol",
        "LinearRegression",
        "linear",
        {"tol": 1e-2, "n_iter_no_change": 2, "max_iter": 40},
    ),
    Case(
        "early_stopping",
        "LogisticRegression",
        "softmax",
        {"early_stopping": True, "n_iter_no_change": 2, "max_iter": 30, "tol": 0.02},
        validation=True,
    ),
    Case(
        "plateau",
        "LinearRegression",
        "linear",
        {
            "reduce_on_plateau": ReduceLROnPlateau(
                lr=0.05, patience=0, factor=0.5, threshold=0.3
            ),
            "max_iter": 8,
            "optimizer": "sgd",
        },
    ),
    Case(
        "ema",
        "MLPClassifier",
        "softmax",
        {"hidden_layer_sizes": (6,), "ema_decay": 0.8},
    ),
    Case("swa", "MLPRegressor", "linear", {"hidden_layer_sizes": (4,), "swa_start": 3}),
    # 2-D y: a 0/1 indicator matrix (one sigmoid per label), several targets
    Case(
        "mlp_multilabel",
        "MLPClassifier",
        "multilabel",
        {"hidden_layer_sizes": (6,)},
        weighted=True,
    ),
    Case(
        "mlp_multioutput", "MLPRegressor", "multioutput", {"hidden_layer_sizes": (5,)}
    ),
    Case(
        "multilabel_early_stopping",
        "MLPClassifier",
        "multilabel",
        {
            "hidden_layer_sizes": (6,),
            "early_stopping": True,
            "n_iter_no_change": 2,
            "max_iter": 30,
            "tol": 0.02,
            "learning_rate": 0.01,
        },
        validation=True,
    ),
    # no random_state: the processes agree all the same (rank 0's weights)
    # main's fit options under global semantics: sample weights scaled to
    # mean 1 over every process's rows, "balanced" from the global class
    # counts, no intercept, the L1 proximal step
    Case(
        "weighted_linear", "LinearRegression", "linear", {"alpha": 1e-3}, weighted=True
    ),
    Case(
        "weighted_uneven",
        "LogisticRegression",
        "binary",
        {"optimizer": "adam"},
        batch=10,
        rows=(30, 30, 20),
        weighted=True,
    ),
    Case(
        "weighted_mlp_f32",
        "MLPRegressor",
        "linear",
        {"hidden_layer_sizes": (5,), "dtype": np.float32},
        weighted=True,
    ),
    Case(
        "weighted_full_batch",
        "MLPClassifier",
        "softmax",
        {"hidden_layer_sizes": (4,)},
        batch=None,
        rows=(37, 23, 31),
        weighted=True,
    ),
    Case(
        "balanced",
        "LogisticRegression",
        "softmax",
        {"class_weight": "balanced"},
        rows=(40, 40, 32),
        weighted=True,
    ),
    Case("balanced_mlp", "MLPClassifier", "binary", {"class_weight": "balanced"}),
    Case("no_intercept", "LinearRegression", "linear", {"fit_intercept": False}),
    Case(
        "l1_prox",
        "LogisticRegression",
        "softmax",
        {"alpha": 0.05, "l1_ratio": 1.0, "fit_intercept": False},
        weighted=True,
    ),
    Case(
        "shuffled",
        "MLPClassifier",
        "softmax",
        {"hidden_layer_sizes": (6,), "shuffle": True, "random_state": None},
        equivalent=False,
    ),
    Case(
        "validation_split",
        "MLPRegressor",
        "linear",
        {
            "hidden_layer_sizes": (6,),
            "early_stopping": True,
            "validation_fraction": 0.25,
            "n_iter_no_change": 2,
            "max_iter": 40,
            "tol": 0.05,
        },
        equivalent=False,
    ),
]
BY_NAME = {c.name: c for c in CASES}
# the cases whose result must equal one process with batch k*b
EQUIVALENT = [c.name for c in CASES if c.equivalent]
ALIKE_ONLY = [c.name for c in CASES if not c.equivalent]


def shard_sizes(case: Case, k: int) -> list[int]:
    """Every process's rows: ``rows`` cut to k (the last kept last), else 40."""
    if not case.rows:
        return [40] * k
    return [*case.rows[: k - 1], case.rows[-1]]


def global_data(case: Case, n: int, seed: int) -> tuple[Any, Any]:
    """X (n, 5) and targets of the case's kind."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    z = X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.3 * rng.standard_normal(n)
    if case.target == "linear":
        return X, z
    if case.target in ("multilabel", "multioutput"):
        Z = np.stack([z, X @ np.array([0.5, 1.0, -1.0, 2.0, 0.0]), X[:, 3]], axis=1)
        Z += 0.3 * rng.standard_normal(Z.shape)
        return X, (Z > 0).astype(int) if case.target == "multilabel" else Z
    if case.target == "binary":
        return X, np.where(z > 0, "yes", "no")
    return X, np.digitize(z, [-1.0, 1.0])


def estimator(case: Case, **more: Any) -> Any:
    kwargs: dict[str, Any] = {
        "batch_size": case.batch, "max_iter": 6, "shuffle": False,
        "random_state": 0, "tol": None, **case.kwargs, **more,
    }  # fmt: skip
    if case.estimator.startswith("Logistic") or case.estimator.startswith("Linear"):
        kwargs.setdefault("learning_rate", 0.05)
    cls = getattr(steepest, case.estimator)
    return cls(**kwargs)


def shards(case: Case, k: int, seed: int = 0) -> list[tuple[Any, Any]]:
    """The k training shards (consecutive rows of the global data)."""
    sizes = shard_sizes(case, k)
    X, y = global_data(case, sum(sizes), seed)
    cut = np.cumsum([0, *sizes])
    return [(X[a:b], y[a:b]) for a, b in itertools.pairwise(cut)]


def weights(case: Case, k: int) -> list[Any]:
    """Each shard's sample weights (None each unless ``case.weighted``):
    uneven, every 7th row 0 (a removed row)."""
    sizes = shard_sizes(case, k)
    if not case.weighted:
        return [None] * k
    w = np.random.default_rng(7).uniform(0.0, 3.0, sum(sizes))
    w[::7] = 0.0
    cut = np.cumsum([0, *sizes])
    return [w[a:b] for a, b in itertools.pairwise(cut)]


def single_process(case: Case, k: int) -> tuple[Any, Any, int | None, Any]:
    """``(X, y, batch, sample_weight)``: the global batches laid end to end,
    for one process."""
    parts = shards(case, k)
    ws = [
        np.ones(p[0].shape[0]) if w is None else w
        for p, w in zip(parts, weights(case, k), strict=True)
    ]
    sw = np.concatenate(ws) if case.weighted else None
    if case.batch is None:
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            None,
            sw,
        )
    rows_x, rows_y, rows_w = [], [], []
    longest = max(p[0].shape[0] for p in parts)
    for s in range(0, longest, case.batch):
        for (Xs, ys), w in zip(parts, ws, strict=True):
            rows_x.append(Xs[s : s + case.batch])
            rows_y.append(ys[s : s + case.batch])
            rows_w.append(w[s : s + case.batch])
    sw = np.concatenate(rows_w) if case.weighted else None
    return np.concatenate(rows_x), np.concatenate(rows_y), k * case.batch, sw


def encoded(est: Any, y: Any) -> Any:
    """Targets as the estimator's scores read them (class indices or floats)."""
    if est._classifier and not est._multilabel:
        return np.searchsorted(est.classes_, y)
    return np.asarray(y, dtype=est._params[0].dtype)


def validation(case: Case, k: int) -> list[tuple[Any, Any]]:
    """Each process's validation rows (their union validates one process)."""
    return shards(case, k, seed=1)


__all__ = [
    "ALIKE_ONLY",
    "BY_NAME",
    "CASES",
    "EQUIVALENT",
    "FLOAT32_RTOL",
    "FLOAT64_RTOL",
    "Case",
    "encoded",
    "estimator",
    "shard_sizes",
    "shards",
    "single_process",
    "validation",
    "weights",
]
