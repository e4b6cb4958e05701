"""LinearRegression: recovers known weights, sklearn shapes, multi-target.

Twin: ``python/steepest/models/linear.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest

from ._estimators import B_TRUE, BACKENDS, W_TRUE, linear_data


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("batch_size", "learning_rate", "max_iter"),
    [(None, 0.3, 150), (16, 0.05, 40), (1, 0.01, 8)],
    ids=["full-batch", "mini-batch", "sgd"],
)
def test_recovers_the_generating_weights(
    backend: str, batch_size: int | None, learning_rate: float, max_iter: int
) -> None:
    X, y = linear_data(200, noise=0.01)
    est = steepest.LinearRegression(
        batch_size=batch_size, learning_rate=learning_rate, max_iter=max_iter,
        alpha=0.0, tol=None, random_state=0, backend=backend,
    )  # fmt: skip
    est.fit(X, y)
    np.testing.assert_allclose(est.coef_, W_TRUE, atol=0.02)
    assert est.intercept_ == pytest.approx(B_TRUE, abs=0.02)
    assert isinstance(est.intercept_, float)
    assert est.coef_.shape == (4,)
    assert est.n_features_in_ == 4
    assert est.n_outputs_ == 1
    assert est.score(X, y) > 0.999
    assert est.loss_curve_[-1] < 1e-3 < est.loss_curve_[0]


def test_tiny_learning_rate_barely_moves() -> None:
    X, y = linear_data(50)
    est = steepest.LinearRegression(learning_rate=1e-9, max_iter=2, tol=None,
                                    backend="reference").fit(X, y)  # fmt: skip
    assert np.abs(est.coef_).max() < 1e-6
    assert est.score(X, y) < 0.1


@pytest.mark.parametrize("backend", BACKENDS)
def test_multiple_targets(backend: str) -> None:
    X, y = linear_data(150)
    Y = np.stack([y, -2.0 * y + 1.0], axis=1)
    est = steepest.LinearRegression(
        batch_size=None, learning_rate=0.3, max_iter=200, alpha=0.0, tol=None,
        backend=backend,
    ).fit(X, Y)  # fmt: skip
    assert est.coef_.shape == (2, 4)
    assert est.intercept_.shape == (2,)
    assert est.n_outputs_ == 2
    np.testing.assert_allclose(est.coef_, [W_TRUE, -2.0 * W_TRUE], atol=0.05)
    np.testing.assert_allclose(est.intercept_, [B_TRUE, -2.0 * B_TRUE + 1.0], atol=0.05)
    assert est.predict(X).shape == (150, 2)


def test_column_target_keeps_sklearn_layout() -> None:
    X, y = linear_data(60)
    est = steepest.LinearRegression(max_iter=5, tol=None, backend="reference")
    est.fit(X, y[:, None])
    assert est.coef_.shape == (1, 4)
    assert est.intercept_.shape == (1,)
    assert est.predict(X).shape == (60, 1)


def test_predict_uses_the_public_attributes() -> None:
    X, y = linear_data(60)
    est = steepest.LinearRegression(max_iter=5, tol=None, backend="reference").fit(X, y)
    np.testing.assert_allclose(est.predict(X), X @ est.coef_ + est.intercept_)
    est.coef_ = np.zeros(4)
    est.intercept_ = 2.5
    np.testing.assert_array_equal(est.predict(X), np.full(60, 2.5))


def test_float32_model() -> None:
    X, y = linear_data(100)
    est = steepest.LinearRegression(
        dtype=np.float32, learning_rate=0.05, max_iter=30, alpha=0.0, tol=None,
        backend="reference",
    ).fit(X, y)  # fmt: skip
    assert est.coef_.dtype == np.float32
    # predictions follow scikit-learn's promotion: float64 X gives float64
    assert est.predict(X).dtype == np.float64
    assert est.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est.coef_, W_TRUE, atol=0.05)
