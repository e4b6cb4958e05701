"""LogisticRegression: binary and multinomial, labels, probabilities, shapes.

Twin: ``python/steepest/models/logistic.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest
from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

from ._estimators import BACKENDS, blobs


def _fit(X: np.ndarray, y: np.ndarray, backend: str) -> steepest.LogisticRegression:
    est = steepest.LogisticRegression(learning_rate=0.1, max_iter=15, tol=None,
                                      random_state=0, backend=backend)  # fmt: skip
    return est.fit(X, y)


@pytest.mark.parametrize("backend", BACKENDS)
def test_binary_with_string_labels(backend: str) -> None:
    X, y = blobs(2, 120)
    labels = np.array(["cat", "dog"])[y]
    est = _fit(X, labels, backend)
    assert est.classes_.tolist() == ["cat", "dog"]
    assert est.coef_.shape == (1, 2)
    assert est.intercept_.shape == (1,)
    assert est.score(X, labels) > 0.95
    z = est.decision_function(X)
    assert z.shape == (120,)
    np.testing.assert_allclose(z, X @ est.coef_[0] + est.intercept_[0])
    np.testing.assert_array_equal(est.predict(X), np.where(z > 0, "dog", "cat"))
    proba = est.predict_proba(X)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1.0 / (1.0 + np.exp(-z)))
    np.testing.assert_allclose(est.predict_log_proba(X), np.log(proba))


@pytest.mark.parametrize("backend", BACKENDS)
def test_three_classes_use_softmax(backend: str) -> None:
    X, y = blobs(3, 150)
    est = _fit(X, y + 10, backend)
    assert est.classes_.tolist() == [10, 11, 12]
    assert est.coef_.shape == (3, 2)
    assert est.intercept_.shape == (3,)
    assert est.score(X, y + 10) > 0.95
    Z = est.decision_function(X)
    assert Z.shape == (150, 3)
    np.testing.assert_array_equal(est.predict(X), 10 + np.argmax(Z, axis=1))
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argmax(proba, axis=1), np.argmax(Z, axis=1))


def test_agrees_with_sklearn_on_separable_data() -> None:
    X, y = blobs(3, 150, seed=3)
    ours = _fit(X, y, "reference").predict(X)
    theirs = SklearnLogisticRegression().fit(X, y).predict(X)
    assert np.mean(ours == theirs) > 0.95


def test_validation_scores_are_accuracies() -> None:
    X, y = blobs(2, 100)
    X_val, y_val = blobs(2, 40, seed=1)
    est = steepest.LogisticRegression(learning_rate=0.1, max_iter=4, tol=None,
                                      random_state=0, backend="reference")  # fmt: skip
    est.fit(X, y, validation_data=(X_val, y_val))
    assert len(est.validation_scores_) == 4
    assert all(s * 40 == round(s * 40) for s in est.validation_scores_)
    assert est.validation_scores_[-1] == est.score(X_val, y_val)
