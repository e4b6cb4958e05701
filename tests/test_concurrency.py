"""Thread safety: several Python threads using steepest at once get the
results they would get one after another (the GIL is released inside every
native call, so these calls really overlap)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import steepest


def _optimizer_run(kind: str, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = [
        rng.standard_normal(50_000).astype(np.float32),
        rng.standard_normal((30, 7)),
    ]
    cls: Any = {
        "adam": steepest.Adam,
        "sgd": steepest.SGD,
        "rmsprop": steepest.RMSprop,
    }[kind]
    opt = cls(params, lr=0.01, **({"momentum": 0.9} if kind == "sgd" else {}))
    for _ in range(200):
        opt.step([np.sin(p) for p in params])
    return params


def test_threads_stepping_different_optimizers_match_sequential_runs() -> None:
    jobs = [(kind, seed) for seed in range(2) for kind in ("adam", "sgd", "rmsprop")]
    sequential = [_optimizer_run(*job) for job in jobs]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        concurrent = list(pool.map(lambda job: _optimizer_run(*job), jobs))
    for seq, con in zip(sequential, concurrent, strict=True):
        for a, b in zip(seq, con, strict=True):
            np.testing.assert_array_equal(a, b)


def _fit(name: str, n_threads: int | None) -> Any:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 20))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    if name == "mlp":
        est: Any = steepest.MLPClassifier(hidden_layer_sizes=(64,), batch_size=64)
    else:
        est = steepest.LogisticRegression(batch_size=256)
    est.set_params(max_iter=8, tol=None, random_state=0, n_threads=n_threads)
    return est.fit(X, y)


@pytest.mark.parametrize("n_threads", [1, None], ids=["1thread", "all-cores"])
def test_two_estimators_fitting_at_once_match_sequential_fits(
    n_threads: int | None,
) -> None:
    names = ["mlp", "logistic", "mlp"]
    sequential = [_fit(name, n_threads) for name in names]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        concurrent = list(pool.map(lambda name: _fit(name, n_threads), names))
    for seq, con in zip(sequential, concurrent, strict=True):
        assert seq.loss_curve_ == con.loss_curve_
        for a, b in zip(_weights(seq), _weights(con), strict=True):
            np.testing.assert_array_equal(a, b)


def _weights(est: Any) -> list[np.ndarray]:
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [np.asarray(est.coef_), np.asarray(est.intercept_)]
