"""MLPClassifier and MLPRegressor: learning, layer shapes, activations, init.

Twin: ``python/steepest/models/mlp.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest
from sklearn.base import clone

from ._estimators import BACKENDS, blobs, weights


def _classifier(backend: str, **params: object) -> steepest.MLPClassifier:
    settings = {
        "hidden_layer_sizes": (16,),
        "learning_rate": 0.01,
        "batch_size": 16,
        "max_iter": 15,
        "tol": None,
        "random_state": 0,
        "backend": backend,
    }
    return steepest.MLPClassifier(**{**settings, **params})  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_separates_blobs(backend: str, n_classes: int) -> None:
    X, y = blobs(n_classes, 120)
    est = _classifier(backend).fit(X, y)
    assert est.score(X, y) > 0.95
    n_out = 1 if n_classes == 2 else n_classes
    assert [W.shape for W in est.coefs_] == [(2, 16), (16, n_out)]
    assert [b.shape for b in est.intercepts_] == [(16,), (n_out,)]
    assert est.n_layers_ == 3
    assert est.n_outputs_ == n_out
    assert est.out_activation_ == ("logistic" if n_classes == 2 else "softmax")
    assert est.coefs_[0].dtype == np.float32  # the MLP default
    proba = est.predict_proba(X)
    assert proba.shape == (120, n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(
        est.classes_[np.argmax(proba, axis=1)], est.predict(X)
    )


def test_classifier_learns_xor() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    est = _classifier("reference", hidden_layer_sizes=(16, 16), max_iter=40)
    assert est.fit(X, y).score(X, y) > 0.95
    assert est.n_layers_ == 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_regressor_fits_a_smooth_function(backend: str) -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (300, 1))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 0]
    est = steepest.MLPRegressor(
        hidden_layer_sizes=(32,), activation="tanh", learning_rate=0.01,
        batch_size=16, max_iter=40, tol=None, random_state=0, backend=backend,
    ).fit(X, y)  # fmt: skip
    assert est.score(X, y) > 0.98
    assert est.out_activation_ == "identity"
    assert est.predict(X).shape == (300,)


def test_regressor_outputs() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 3))
    Y = np.stack([X.sum(axis=1), X[:, 0] - X[:, 1]], axis=1)
    est = steepest.MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, tol=None,
                                backend="reference")  # fmt: skip
    assert est.fit(X, Y).predict(X).shape == (80, 2)
    assert est.n_outputs_ == 2
    est.fit(X, Y[:, :1])  # a column vector is fitted as 1-D
    assert est.predict(X).shape == (80,)
    assert est.coefs_[-1].shape == (8, 1)


def test_hidden_layer_sizes_forms() -> None:
    X, y = blobs(2, 40)
    est = _classifier("reference", max_iter=1)
    assert [W.shape for W in est.set_params(hidden_layer_sizes=5).fit(X, y).coefs_] == [
        (2, 5), (5, 1),
    ]  # fmt: skip
    assert [W.shape for W in est.set_params(hidden_layer_sizes=[]).fit(X, y).coefs_] == [
        (2, 1),
    ]  # fmt: skip


def test_logistic_is_an_alias_of_sigmoid() -> None:
    X, y = blobs(3, 60)
    a = _classifier("reference", activation="logistic", max_iter=3).fit(X, y)
    b = _classifier("reference", activation="sigmoid", max_iter=3).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_
    c = _classifier("reference", activation="tanh", max_iter=3).fit(X, y)
    assert c.loss_curve_ != a.loss_curve_


@pytest.mark.parametrize(("activation", "scheme"), [("relu", "he"), ("tanh", "xavier")])
def test_auto_init_follows_the_activation(activation: str, scheme: str) -> None:
    X, y = blobs(2, 40)
    est = _classifier("reference", activation=activation, max_iter=2)
    auto = clone(est).fit(X, y)
    explicit = clone(est).set_params(init=scheme).fit(X, y)
    other = clone(est).set_params(init="uniform").fit(X, y)
    for wa, we in zip(weights(auto), weights(explicit), strict=True):
        np.testing.assert_array_equal(wa, we)
    assert not np.array_equal(weights(auto)[0], weights(other)[0])


def test_predictions_use_the_fitted_activation() -> None:
    X, y = blobs(2, 60)
    est = _classifier("reference", activation="tanh", max_iter=3).fit(X, y)
    proba = est.predict_proba(X)
    est.set_params(activation="relu")  # not fitted yet: predictions must not change
    np.testing.assert_array_equal(est.predict_proba(X), proba)
