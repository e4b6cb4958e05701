"""SGDClassifier / SGDRegressor with steepest's own extras: optimizer, batch_size.

Twins: ``python/steepest/models/_sgd_batch.py`` (the mini-batch epochs) on
both backends. Checks: native = reference bit for bit (dense and CSR, several
rules), full-batch plain SGD = gradient descent computed by hand, sparse =
densified to rounding, scikit-learn's checks on a mini-batch configuration,
held-out accuracy of Adam against scikit-learn's default, clear errors.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import steepest
from sklearn import linear_model as sk
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from .test_sgd_estimators import IRIS_X, IRIS_Y, text_like


def _fit(cls: Any, X: Any, y: Any, backend: str, **kw: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        return cls(backend=backend, **kw).fit(X, y)


def _same_bits(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_


CLF_SETTINGS = [
    {"optimizer": "adam", "loss": "log_loss", "penalty": "l2"},
    {"optimizer": "lamb", "loss": "hinge", "penalty": "elasticnet"},
    {"optimizer": "momentum", "loss": "modified_huber", "penalty": "l1"},
    {"optimizer": "adagrad", "loss": "squared_hinge", "penalty": None},
    {"optimizer": "sgd", "loss": "perceptron", "learning_rate": "invscaling"},
    {"optimizer": "rmsprop", "loss": "log_loss", "fit_intercept": False},
    {"optimizer": "sgd", "loss": "hinge", "learning_rate": "optimal"},
]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "kw", CLF_SETTINGS, ids=lambda kw: f"{kw['optimizer']}-{kw['loss']}"
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_classifier_native_equals_reference(
    kw: dict[str, Any], sparse: bool, dtype: Any
) -> None:
    X, y = make_classification(n_samples=300, n_features=12, n_informative=6,
                               n_classes=3, random_state=0)  # fmt: skip
    X = sp.csr_matrix(X) if sparse else X
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=y.shape[0])
    rate = {"learning_rate": "constant"} | kw
    common = dict(rate, batch_size=32, max_iter=6, tol=None, random_state=3,
                  class_weight={0: 1.0, 1: 2.0, 2: 0.5}, eta0=0.01,
                  dtype=dtype)  # fmt: skip
    fits = []
    for backend in ("native", "reference"):
        est = steepest.SGDClassifier(backend=backend, **common)
        fits.append(est.fit(X, y, sample_weight=sw))
    _same_bits(*fits)
    assert np.abs(fits[0].coef_).max() > 0
    assert fits[0].coef_.dtype == dtype


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "kw",
    [
        {"optimizer": "adam", "loss": "huber", "penalty": "elasticnet"},
        {"optimizer": "lamb", "loss": "squared_error", "learning_rate": "adaptive"},
        {"optimizer": "nadam", "loss": "epsilon_insensitive"},
        {"optimizer": "adamw", "loss": "squared_epsilon_insensitive",
         "optimizer_params": {"weight_decay": 0.1}},
    ],
    ids=lambda kw: f"{kw['optimizer']}-{kw['loss']}",
)  # fmt: skip
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_regressor_native_equals_reference(
    kw: dict[str, Any], sparse: bool, dtype: Any
) -> None:
    X, y = make_regression(n_samples=200, n_features=10, noise=0.1, random_state=0)
    y = y / y.std()
    X = sp.csr_matrix(X) if sparse else X
    rate = {"learning_rate": "invscaling"} | kw
    common = dict(
        rate, batch_size=16, max_iter=8, random_state=2, eta0=0.05, dtype=dtype
    )
    _same_bits(*(_fit(steepest.SGDRegressor, X, y, b, **common)
                 for b in ("native", "reference")))  # fmt: skip


def test_full_batch_plain_sgd_is_gradient_descent() -> None:
    """batch_size = n, plain SGD, constant rate: W <- W - eta (mean grad + alpha W)."""
    X, y = IRIS_X, (IRIS_Y == 1).astype(np.int64)
    n, eta, alpha, epochs = X.shape[0], 0.1, 0.01, 7
    est = steepest.SGDClassifier(
        loss="log_loss", learning_rate="constant", eta0=eta, alpha=alpha,
        batch_size=n, max_iter=epochs, tol=None, shuffle=False,
    ).fit(X, y)  # fmt: skip
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        p = X @ w + b
        r = 1.0 / (1.0 + np.exp(-p)) - y  # d log_loss / dp
        w, b = w - eta * (X.T @ r / n + alpha * w), b - eta * r.mean()
    np.testing.assert_allclose(est.coef_[0], w, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(est.intercept_[0], b, rtol=1e-12, atol=1e-14)
    assert est.n_iter_ == epochs
    assert est.t_ == epochs * n + 1


@pytest.mark.parametrize("optimizer", ["adam", "lamb", "momentum"])
def test_sparse_equals_densified(optimizer: str) -> None:
    X = text_like(400, 300, 20, seed=0)
    s = np.asarray(X[:, 3:].sum(axis=1)).ravel()
    y = s > np.median(s)
    kw = {"optimizer": optimizer, "learning_rate": "constant", "batch_size": 64,
              "max_iter": 5, "tol": None, "random_state": 0, "penalty": "elasticnet"}  # fmt: skip
    a = _fit(steepest.SGDClassifier, X, y, "native", **kw)
    b = _fit(steepest.SGDClassifier, X.toarray(), y, "native", **kw)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-9, atol=1e-12)
    # every weight moves (dense-equivalent), not only the batch's columns
    assert np.count_nonzero(a.coef_) > 0


def test_adam_accuracy_matches_scikit_learns_default() -> None:
    X, y = make_classification(n_samples=6000, n_features=40, n_informative=15,
                               n_classes=3, random_state=0)  # fmt: skip
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)
    ours = _fit(steepest.SGDClassifier, X_tr, y_tr, "native", optimizer="adam",
                batch_size=256, learning_rate="constant", eta0=0.01,
                random_state=0)  # fmt: skip
    theirs = sk.SGDClassifier(random_state=0).fit(X_tr, y_tr)
    assert ours.score(X_te, y_te) >= theirs.score(X_te, y_te) - 0.02


def test_strong_l1_gives_zeros() -> None:
    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    est = _fit(steepest.SGDClassifier, X, y, "native", optimizer="adam",
               learning_rate="constant", penalty="l1", alpha=10.0, batch_size=20,
               max_iter=20, tol=None, random_state=0)  # fmt: skip
    assert np.count_nonzero(est.coef_) == 0


def test_partial_fit_continues_the_optimizer() -> None:
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    kw = {
        "optimizer": "adam",
        "learning_rate": "constant",
        "batch_size": 10,
        "shuffle": False,
    }
    est = steepest.SGDClassifier(**kw)
    est.partial_fit(X[:50], y[:50], classes=[0, 1]).partial_fit(X[50:], y[50:])
    assert est._sgd_optimizer.step_count == 10
    first = est.coef_.copy()
    est.partial_fit(X[:50], y[:50])
    # the published coef_ is not the optimizer's own array
    assert not np.shares_memory(first, est._sgd_optimizer.params[0])
    assert not np.array_equal(first, est.coef_)
    # fit starts again
    assert est.fit(X, y)._sgd_optimizer.step_count == est.n_iter_ * 10


def test_optimizer_class_and_partial_are_accepted() -> None:
    X, y = make_classification(n_samples=120, n_features=5, random_state=0)
    kw = {
        "learning_rate": "constant",
        "batch_size": 8,
        "max_iter": 3,
        "tol": None,
        "random_state": 0,
    }
    by_name = _fit(steepest.SGDClassifier, X, y, "native", optimizer="momentum",
                   optimizer_params={"momentum": 0.5}, **kw)  # fmt: skip
    by_partial = _fit(steepest.SGDClassifier, X, y, "native",
                      optimizer=functools.partial(steepest.SGD, momentum=0.5), **kw)  # fmt: skip
    _same_bits(by_name, by_partial)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"optimizer": "adam"}, "learning_rate='optimal' is scikit-learn's rate"),
        ({"optimizer": "adam", "learning_rate": "constant", "average": True},
         "average must be False with mini-batches"),
        ({"batch_size": 0}, "batch_size"),
        ({"optimizer": "nope", "learning_rate": "constant"}, "optimizer must be one of"),
        ({"optimizer": "adam", "learning_rate": "constant",
          "optimizer_params": {"lr": 1.0}}, "must not set 'lr'"),
    ],
)  # fmt: skip
def test_bad_settings_are_refused(kw: dict[str, Any], match: str) -> None:
    X, y = make_classification(n_samples=40, n_features=4, random_state=0)
    with pytest.raises(ValueError, match=match):
        steepest.SGDClassifier(**kw).fit(X, y)


_CHECKED = [
    cls(backend=b, optimizer="adam", learning_rate="constant", batch_size=16)
    for b in ("native", "reference")
    for cls in (steepest.SGDClassifier, steepest.SGDRegressor)
]


# as for the per-sample algorithm: a row's weight 2 scales its gradient in
# one batch, a repeated row lands in another batch (another step)
_WEIGHT_EQUIVALENCE = {
    f"check_sample_weight_equivalence_on_{kind}_data": "mini-batch SGD: weight 2 is "
    "not the row repeated"
    for kind in ("dense", "sparse")
}


@parametrize_with_checks(_CHECKED, expected_failed_checks=lambda e: _WEIGHT_EQUIVALENCE)
def test_sklearn_estimator_checks_mini_batch(estimator: Any, check: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        check(estimator)


def test_native_runs_one_call_per_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from steepest import _core

    calls = []
    real = _core.sgd_batch_epoch

    def counted(*args: Any) -> Any:
        calls.append(args[5].shape[0])
        return real(*args)

    monkeypatch.setattr(_core, "sgd_batch_epoch", counted)
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    est = _fit(steepest.SGDClassifier, X, y, "native", optimizer="adam",
               learning_rate="constant", batch_size=10, max_iter=4, tol=None)  # fmt: skip
    assert calls == [100] * 4
    assert est._sgd_optimizer.step_count == 40


@pytest.mark.parametrize(
    "kw",
    [
        {"tol": 1e-3, "max_iter": 60},
        {"early_stopping": True, "validation_fraction": 0.2, "max_iter": 30},
        {"tol": 1e-2, "learning_rate": "adaptive", "max_iter": 40},
        {"tol": 1e-3, "penalty": None, "max_iter": 60},
        {"tol": 1e-3, "penalty": "elasticnet", "fit_intercept": False, "max_iter": 60},
    ],
    ids=["tol", "early-stopping", "adaptive", "no-penalty", "elasticnet-no-intercept"],
)
def test_stopping_native_equals_reference(kw: dict[str, Any]) -> None:
    """Models that stop at different epochs keep their weights on both backends."""
    common = dict({"learning_rate": "constant"} | kw, optimizer="adam", batch_size=8,
                  random_state=0, eta0=0.05)  # fmt: skip
    fits = [_fit(steepest.SGDClassifier, IRIS_X, IRIS_Y, b, **common)
            for b in ("native", "reference")]  # fmt: skip
    _same_bits(*fits)
    assert fits[0].n_iter_ < common["max_iter"]


def test_interrupted_partial_fit_restores_the_kept_optimizer(monkeypatch: Any) -> None:
    """A partial_fit that fails after an epoch moved the optimizer leaves the
    kept optimizer (moments, step count) as the estimator's weights: as before."""
    from steepest.models import _sgd_batch

    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    est = steepest.SGDClassifier(optimizer="adam", learning_rate="constant", batch_size=10,
                                 shuffle=False, backend="reference")  # fmt: skip
    est.partial_fit(X, y, classes=[0, 1])
    before = est._sgd_optimizer.state_dict()
    coef = est.coef_.copy()
    real = _sgd_batch.ref.sgd_batch_epoch

    def interrupted(*args: Any, **kw: Any) -> Any:
        real(*args, **kw)  # the epoch's steps run, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(_sgd_batch.ref, "sgd_batch_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(X, y)
    after = est._sgd_optimizer.state_dict()
    assert after["step"] == before["step"]
    for name, arrays in before["state"].items():
        for a, b in zip(arrays, after["state"][name], strict=True):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(est.coef_, coef)


def test_schedule_is_indexed_by_step() -> None:
    # StepLR halving after each epoch's 4 steps = two constant-rate calls
    X, y = make_classification(n_samples=64, n_features=5, random_state=0)
    kw = {"optimizer": "momentum", "batch_size": 16, "shuffle": False, "tol": None,
          "penalty": None}  # fmt: skip
    for backend in ("native", "reference"):
        sched = steepest.schedules.StepLR(lr=0.1, step_size=4, gamma=0.5)
        a = steepest.SGDClassifier(learning_rate=sched, eta0=123.0, max_iter=2,
                                   backend=backend, **kw).fit(X, y)  # fmt: skip
        b = steepest.SGDClassifier(learning_rate="constant", eta0=0.1, max_iter=1,
                                   backend=backend, **kw).fit(X, y)  # fmt: skip
        b.set_params(eta0=0.05).partial_fit(X, y)
        np.testing.assert_array_equal(a.coef_, b.coef_)
        np.testing.assert_array_equal(a.intercept_, b.intercept_)
        b.partial_fit(X, y)  # stays at 0.05: a third epoch of a would use 0.025
        a.partial_fit(X, y)
        assert not np.array_equal(a.coef_, b.coef_)
