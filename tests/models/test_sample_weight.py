"""sample_weight in fit and partial_fit of the four estimators, on both backends.

Twins: ``python/steepest/models/_weights.py`` (checks, scaling to mean 1),
the weighted losses of ``python/steepest/nn/_losses.py`` and
``cpp/include/steepest/model/losses.hpp``, and the loops that pass each
batch's weights (``reference/train.py``, ``train/loop.hpp``).
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from steepest.models._epoch import Network, run_epoch
from steepest.models._stopping import split_validation
from steepest.nn import logistic, mlp

from ._estimators import BACKENDS, ESTIMATORS, small_case, weights


def _outputs(est: Any, X: Any) -> Any:
    return est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)


def _case(name: str, backend: str, **params: Any) -> tuple[Any, Any, Any]:
    est, X, y = small_case(name)
    return est.set_params(backend=backend, **params), X, y


# -- checks ------------------------------------------------------------------------

BAD = [
    (np.ones(5), ValueError, r"sample_weight must have shape \(100,\).*got shape \(5,\)"),
    (np.ones((100, 1)), ValueError, r"must have shape \(100,\).*got shape \(100, 1\)"),
    (np.r_[-1.0, np.ones(99)], ValueError, r"sample_weight must be >= 0, got -1.0 at index 0"),
    (np.r_[np.ones(3), np.nan, np.ones(96)], ValueError, r"must be finite, got nan at index 3"),
    (np.r_[np.inf, np.ones(99)], ValueError, r"sample_weight must be finite, got inf"),
    (np.zeros(100), ValueError, r"sample_weight must have a positive sum"),
    (np.array(["a"] * 100), TypeError, r"sample_weight must hold real numbers"),
]  # fmt: skip


@pytest.mark.parametrize(("w", "error", "match"), BAD)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_sample_weight_is_refused(
    w: Any, error: type, match: str, method: str
) -> None:
    est, X, y = _case("LinearRegression", "reference")
    X, y = X[:100], y[:100]
    with pytest.raises(error, match=match):
        getattr(est, method)(X, y, sample_weight=w)
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("name", ESTIMATORS)
def test_every_estimator_checks_sample_weight(name: str) -> None:
    est, X, y = _case(name, "native")
    w = np.ones(X.shape[0])
    w[2] = -0.5
    with pytest.raises(ValueError, match=rf"{name}: sample_weight must be >= 0"):
        est.fit(X, y, sample_weight=w)
    extra = {"classes": np.unique(y)} if est._classifier else {}
    with pytest.raises(ValueError, match=r"sample_weight must have shape"):
        est.partial_fit(X, y, sample_weight=w[:-1], **extra)


def test_the_callers_weights_are_not_modified() -> None:
    est, X, y = _case("LinearRegression", "native", batch_size=7)
    w = np.linspace(0.5, 2.0, X.shape[0])
    w.flags.writeable = False  # a write would raise
    est.fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(w, np.linspace(0.5, 2.0, X.shape[0]))


def _held_out(n: int, fraction: float) -> Any:
    """The rows early stopping holds out with random_state=0 (zeros init: no
    draw comes before the split)."""
    return split_validation(np.random.default_rng(0), n, fraction, "fit")[1]


def test_all_zero_training_weights_after_the_split_are_an_error() -> None:
    est, X, y = _case("LinearRegression", "reference", early_stopping=True)
    w = np.zeros(X.shape[0])
    w[_held_out(X.shape[0], 0.1)] = 1.0  # weight only on the validation rows
    with pytest.raises(ValueError, match="training rows must have a positive sum"):
        est.fit(X, y, sample_weight=w)


# -- meaning -----------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_equal_weights_train_exactly_as_none(name: str, backend: str) -> None:
    est, X, y = _case(name, backend, batch_size=16)
    plain = clone(est).fit(X, y)
    for w in (np.ones(X.shape[0]), np.full(X.shape[0], 3.5), 2.0):
        weighted = clone(est).fit(X, y, sample_weight=w)
        for a, b in zip(weights(weighted), weights(plain), strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_full_batch_integer_weights_are_repeated_rows(name: str, backend: str) -> None:
    # one batch of every row: the objective is the weighted mean, which
    # repeating row i w_i times gives too (weight 0: the row removed)
    est, X, y = _case(name, backend, batch_size=None, dtype=np.float64)
    w = np.random.default_rng(0).integers(0, 4, X.shape[0])
    assert (w == 0).any()
    weighted = clone(est).fit(X, y, sample_weight=w)
    repeated = clone(est).fit(np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))
    np.testing.assert_allclose(
        _outputs(weighted, X), _outputs(repeated, X), rtol=1e-10, atol=1e-12
    )


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_float32_full_batch_weights_are_repeated_rows_to_rounding(name: str) -> None:
    # scikit-learn's check at its default float32 (xfailed there for its
    # rtol of 1e-7): equal to float32 rounding
    est, X, y = _case(name, "native", batch_size=None, dtype=np.float32)
    w = np.random.default_rng(1).integers(0, 4, X.shape[0])
    weighted = clone(est).fit(X, y, sample_weight=w)
    repeated = clone(est).fit(np.repeat(X, w, axis=0), np.repeat(y, w, axis=0))
    np.testing.assert_allclose(
        _outputs(weighted, X), _outputs(repeated, X), rtol=2e-5, atol=1e-6
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_native_weighted_epochs_match_reference(name: str, dtype: type) -> None:
    # the parity bar of test_native_parity.py: float64 1e-9, float32 1e-4
    tol = 1e-9 if dtype == np.float64 else 1e-4
    w = np.random.default_rng(2).uniform(0.0, 3.0, 100)
    fits = []
    for backend in BACKENDS:
        est, X, y = _case(name, backend, batch_size=7, dtype=dtype)
        fits.append(est.fit(X, y, sample_weight=w[: X.shape[0]]))
    ref, nat = fits
    np.testing.assert_allclose(nat.loss_curve_, ref.loss_curve_, rtol=tol)
    for a, b in zip(weights(nat), weights(ref), strict=True):
        scale = float(np.max(np.abs(b)))
        assert float(np.max(np.abs(a.astype(np.float64) - b))) <= tol * scale


@pytest.mark.parametrize("backend", BACKENDS)
def test_weights_act_at_batch_size_1_and_only_relative_to_each_other(
    backend: str,
) -> None:
    est, X, y = _case("LinearRegression", backend, batch_size=1)
    w = np.random.default_rng(3).uniform(0.1, 2.0, X.shape[0])
    a = clone(est).fit(X, y, sample_weight=w)
    b = clone(est).fit(X, y, sample_weight=4.0 * w)  # same mean-1 weights
    plain = clone(est).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-12)
    assert np.max(np.abs(a.coef_ - plain.coef_)) > 1e-4


@pytest.mark.parametrize("backend", BACKENDS)
def test_heavier_rows_pull_the_fit(backend: str) -> None:
    # two clusters with opposite targets: the weighted mean is the target
    X = np.zeros((20, 1))
    y = np.r_[np.zeros(10), np.ones(10)]
    w = np.r_[np.ones(10), np.full(10, 3.0)]
    est = steepest.LinearRegression(
        batch_size=None, learning_rate=0.5, max_iter=200, tol=None, alpha=0.0,
        backend=backend,
    ).fit(X, y, sample_weight=w)  # fmt: skip
    assert est.intercept_ == pytest.approx(0.75, abs=1e-9)
    assert est.loss_curve_[-1] == pytest.approx(0.5 * 0.1875, rel=1e-6)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_partial_fit_with_weights_is_one_epoch_of_fit(name: str) -> None:
    est, X, y = _case(name, "native", batch_size=8, max_iter=1)
    w = np.random.default_rng(4).uniform(0.0, 2.0, X.shape[0])
    fitted = clone(est).fit(X, y, sample_weight=w)
    extra = {"classes": np.unique(y)} if est._classifier else {}
    streamed = clone(est).partial_fit(X, y, sample_weight=w, **extra)
    for a, b in zip(weights(streamed), weights(fitted), strict=True):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_scores_the_held_out_rows_by_weight() -> None:
    est, X, y = _case("LogisticRegression", "reference", early_stopping=True)
    est.set_params(validation_fraction=0.3, max_iter=3, learning_rate=0.001)
    w = np.random.default_rng(5).uniform(0.0, 2.0, X.shape[0])
    est.fit(X, y, sample_weight=w)
    held = _held_out(X.shape[0], 0.3)
    # the published weights are the best epoch's: its weighted accuracy
    hit = est.predict(X[held]) == y[held]
    assert est.best_validation_score_ == np.average(hit, weights=w[held])
    assert max(est.validation_scores_) == est.best_validation_score_


# -- scikit-learn's MLP: the same full-batch objective ----------------------------


@pytest.mark.parametrize("sk_cls", [SkMLPRegressor, SkMLPClassifier])
def test_full_batch_gradient_is_scikit_learns_mlp(sk_cls: type) -> None:
    # scikit-learn's MLP (1.7+) divides each batch by its weight sum; for a
    # full batch that is the mean-1 scaling here. Compared on its _backprop
    rng = np.random.default_rng(6)
    X = rng.standard_normal((30, 3))
    y = rng.integers(0, 3, 30) if sk_cls is SkMLPClassifier else rng.standard_normal(30)
    w = rng.uniform(0.0, 2.0, 30)
    theirs = sk_cls(hidden_layer_sizes=(4,), activation="tanh", alpha=0.0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X, y)
    Y = (
        theirs._label_binarizer.transform(y)
        if sk_cls is SkMLPClassifier
        else y[:, None]
    )
    layers = [3, 4, Y.shape[1]]
    acts: list[Any] = [X, None, None]
    deltas: list[Any] = [None, None]
    coef_grads = [np.empty((a, b)) for a, b in itertools.pairwise(layers)]
    int_grads = [np.empty(b) for b in layers[1:]]
    sk_loss, coef_grads, int_grads = theirs._backprop(
        X, Y, w, acts, deltas, coef_grads, int_grads
    )
    params = [
        p for pair in zip(theirs.coefs_, theirs.intercepts_, strict=True) for p in pair
    ]
    loss = "log_loss" if sk_cls is SkMLPClassifier else "squared_error"
    scaled = w * (30 / w.sum())
    ours, grads = mlp.loss_and_grad(
        params, X, y, activation="tanh", loss=loss, sample_weight=scaled
    )
    assert ours == pytest.approx(sk_loss, rel=1e-12)
    expected = [g for pair in zip(coef_grads, int_grads, strict=True) for g in pair]
    for a, b in zip(grads, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


@pytest.mark.usefixtures("split_everything")
@pytest.mark.parametrize("family", ["logistic", "mlp"])
def test_split_epochs_weigh_rows_as_the_reference(family: str) -> None:
    # each thread's rows carry their own weights (gathered, or read in place)
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 5))
    y = rng.integers(0, 3, 40).astype(np.intp)
    w = rng.uniform(0.0, 2.0, 40)
    net = Network(family, "log_loss", activation="tanh", alpha=1e-3)
    out = []
    for backend in BACKENDS:
        init = np.random.default_rng(1)
        params = (
            logistic.init_params("xavier", 5, 3, rng=init)
            if family == "logistic"
            else mlp.init_params("xavier", 5, (6,), 3, rng=init)
        )
        opt = steepest.Adam(params, lr=0.01, nonfinite="ignore", backend=backend)
        perms = np.random.default_rng(2)
        losses = [
            run_epoch(backend, net, params, opt, X, y, perm, 13, sample_weight=w)[0]
            for perm in (perms.permutation(40), np.arange(40))
        ]
        out.append((losses, params))
    (loss_n, params_n), (loss_r, params_r) = out
    np.testing.assert_allclose(loss_n, loss_r, rtol=1e-9)
    for a, b in zip(params_n, params_r, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
