"""Data sets and the backend parametrisation shared by the estimator tests.

Twins: ``python/steepest/models/{linear,logistic,mlp}.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import steepest

BACKENDS = ["reference", "native"]

W_TRUE = np.array([1.5, -2.0, 0.5, 3.0])
B_TRUE = 0.7


def linear_data(n: int = 200, seed: int = 0, noise: float = 0.01) -> tuple[Any, Any]:
    """X (n, 4) standard normal, y = X @ W_TRUE + B_TRUE + noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, W_TRUE.shape[0]))
    return X, X @ W_TRUE + B_TRUE + noise * rng.standard_normal(n)


def blobs(n_classes: int, n: int = 150, seed: int = 0) -> tuple[Any, Any]:
    """Well separated Gaussian blobs in 2-D, labels 0..n_classes-1 (balanced)."""
    rng = np.random.default_rng(seed)
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.arange(n) % n_classes
    return centres[y] + 0.5 * rng.standard_normal((n, 2)), y


# One small, fast configuration per estimator, on data it can learn quickly.
def small_case(name: str) -> tuple[Any, Any, Any]:
    """``(estimator, X, y)`` with settings that train in well under a second."""
    common: dict[str, Any] = {"backend": "reference", "random_state": 0, "tol": None}
    if name == "LinearRegression":
        X, y = linear_data(100)
        est = steepest.LinearRegression(learning_rate=0.05, max_iter=10, **common)
    elif name == "LogisticRegression":
        X, y = blobs(3, 90)
        est = steepest.LogisticRegression(learning_rate=0.1, max_iter=10, **common)
    elif name == "MLPClassifier":
        X, y = blobs(2, 80)
        est = steepest.MLPClassifier(
            hidden_layer_sizes=(8,), learning_rate=0.01, batch_size=16, max_iter=10,
            **common,
        )  # fmt: skip
    else:
        X, y = linear_data(80)
        est = steepest.MLPRegressor(
            hidden_layer_sizes=(8,), learning_rate=0.01, batch_size=16, max_iter=10,
            **common,
        )  # fmt: skip
    return est, X, y


ESTIMATORS = ["LinearRegression", "LogisticRegression", "MLPClassifier", "MLPRegressor"]


def weights(est: Any) -> list[Any]:
    """Every fitted weight array of ``est`` (copies)."""
    if hasattr(est, "coefs_"):
        return [a.copy() for a in (*est.coefs_, *est.intercepts_)]
    return [np.array(est.coef_, copy=True), np.array(est.intercept_, copy=True)]
