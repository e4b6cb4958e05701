"""The SGDClassifier / SGDRegressor data-parallel cases (``comm=``).

Twins: ``python/steepest/models/_sgd_parallel.py``. Read by the worker
(mode ``sgd``) and ``test_sgd_data_parallel.py``; the data, shards and the
one-process layout are those of :mod:`._cases` (``shuffle=False``, so global
step j is the j-th ``batch`` rows of every shard, in rank order).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

try:
    from ._cases import Case, shards, single_process, weights
except ImportError:  # the worker process imports this file as a top-level module
    from _cases import Case, shards, single_process, weights  # type: ignore[no-redef]

SGD_CASES = [
    # the default rate of each (optimal / invscaling), optimizer "sgd"
    Case("hinge", "SGDClassifier", "binary", {}, batch=4),
    Case(
        "log_binary",
        "SGDClassifier",
        "binary",
        {"loss": "log_loss", "penalty": "elasticnet", "alpha": 1e-3},
    ),
    Case(
        "log_ovr",
        "SGDClassifier",
        "softmax",
        {"loss": "log_loss", "class_weight": "balanced"},
        rows=(40, 40, 32),
    ),
    Case("squared", "SGDRegressor", "linear", {}),
    Case(
        "huber",
        "SGDRegressor",
        "linear",
        {"loss": "huber", "penalty": "elasticnet", "l1_ratio": 0.5},
    ),
    Case(
        "weighted",
        "SGDClassifier",
        "softmax",
        {"learning_rate": "constant", "eta0": 0.05, "optimizer": "momentum"},
        weighted=True,
    ),
    # rank k-1 runs out one step before the others
    Case(
        "uneven",
        "SGDRegressor",
        "linear",
        {"optimizer": "adam", "learning_rate": "constant"},
        batch=10,
        rows=(30, 30, 20),
        weighted=True,
    ),
    Case(
        "tol",
        "SGDRegressor",
        "linear",
        {
            "tol": 1e-3,
            "n_iter_no_change": 2,
            "max_iter": 60,
            "learning_rate": "adaptive",
            "eta0": 0.05,
        },
    ),
    Case(
        "l1_no_intercept",
        "SGDClassifier",
        "binary",
        {
            "penalty": "l1",
            "alpha": 0.3,
            "fit_intercept": False,
            "learning_rate": "constant",
            "eta0": 0.05,
        },
    ),
    # float32 weights, data and all-reduce buffer (within FLOAT32_RTOL)
    Case(
        "float32",
        "SGDClassifier",
        "softmax",
        {
            "loss": "log_loss",
            "optimizer": "adam",
            "learning_rate": "constant",
            "eta0": 0.01,
            "dtype": np.float32,
        },
        weighted=True,
    ),
    # CSR shards (and one CSR process); a constant rate: "optimal"'s first
    # steps are large enough to grow the sums' rounding past 1e-12 here
    Case(
        "sparse",
        "SGDClassifier",
        "softmax",
        {"loss": "modified_huber", "learning_rate": "constant", "eta0": 0.02},
    ),
    # each shard split or shuffled on its own: the processes agree, no twin
    Case(
        "early_stopping",
        "SGDClassifier",
        "softmax",
        {
            "early_stopping": True,
            "n_iter_no_change": 2,
            "max_iter": 40,
            "tol": 0.01,
            "validation_fraction": 0.25,
        },
        equivalent=False,
    ),
    Case(
        "shuffled",
        "SGDRegressor",
        "linear",
        {"shuffle": True, "random_state": None},
        equivalent=False,
    ),
]
SGD_BY_NAME = {c.name: c for c in SGD_CASES}
SGD_EQUIVALENT = [c.name for c in SGD_CASES if c.equivalent]
SGD_ALIKE_ONLY = [c.name for c in SGD_CASES if not c.equivalent]


def sgd_estimator(case: Case, **more: Any) -> Any:
    import steepest

    kwargs: dict[str, Any] = {
        "batch_size": case.batch,
        "max_iter": 6,
        "shuffle": False,
        "random_state": 0,
        "tol": None,
        **case.kwargs,
        **more,
    }
    return getattr(steepest, case.estimator)(**kwargs)


def as_input(case: Case, X: Any) -> Any:
    return sp.csr_matrix(X) if case.name == "sparse" else X


def sgd_shard(case: Case, k: int, r: int) -> tuple[Any, Any, Any]:
    X, y = shards(case, k)[r]
    return as_input(case, X), y, weights(case, k)[r]


def sgd_one_process(case: Case, k: int, backend: str) -> Any:
    """One process trained with batch k*b over the same global batches."""
    X, y, batch, sw = single_process(case, k)
    one = sgd_estimator(case, backend=backend, batch_size=batch)
    return one.fit(as_input(case, X), y, sample_weight=sw)


def sgd_result(est: Any) -> dict[str, Any]:
    opt = getattr(est, "_sgd_optimizer", None)
    return {
        "coef": np.array(est.coef_, copy=True),
        "intercept": np.array(est.intercept_, copy=True),
        "n_iter": est.n_iter_,
        "t": est.t_,
        "classes": getattr(est, "classes_", None),
        "state": {}
        if opt is None
        else {
            name: [np.array(a, copy=True) for a in arrays]
            for name, arrays in opt.state.items()
        },
    }


# a rank whose own weights are all 0 (rank 0), for SGD* and the four others
ZERO_CASES = [
    Case("zero_sgd", "SGDRegressor", "linear", {"learning_rate": "constant"}),
    Case("zero_linear", "LinearRegression", "linear", {"alpha": 1e-3}),
]


def zero_weights(case: Case, k: int) -> list[Any]:
    """Rank 0's weights all 0, the others' uneven (every process's rows 40)."""
    rng = np.random.default_rng(5)
    return [np.zeros(40)] + [rng.uniform(0.5, 2.0, 40) for _ in range(k - 1)]


def zero_one_process(case: Case, k: int, backend: str) -> Any:
    """One process with batch k*b over the same global batches and weights."""
    parts, ws, b = shards(case, k), zero_weights(case, k), case.batch
    assert b is not None
    order = [(p, w, s) for s in range(0, 40, b) for p, w in zip(parts, ws, strict=True)]
    X = np.concatenate([p[0][s : s + b] for p, _, s in order])
    y = np.concatenate([p[1][s : s + b] for p, _, s in order])
    sw = np.concatenate([w[s : s + b] for _, w, s in order])
    return sgd_estimator(case, backend=backend, batch_size=k * b).fit(
        X, y, sample_weight=sw
    )


__all__ = [
    "SGD_ALIKE_ONLY",
    "SGD_BY_NAME",
    "SGD_CASES",
    "SGD_EQUIVALENT",
    "ZERO_CASES",
    "as_input",
    "sgd_estimator",
    "sgd_one_process",
    "sgd_result",
    "sgd_shard",
    "zero_one_process",
    "zero_weights",
]
