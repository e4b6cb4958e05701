"""The L1 part of the penalty as a proximal step: exact zeros, both backends alike.

Twins: ``python/steepest/models/_epoch.py`` (``shrink_l1`` and the reference
epoch) and ``cpp/include/steepest/model/penalty.hpp`` (``shrink``, called by
``train/loop.hpp``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone
from sklearn.linear_model import SGDClassifier
from steepest.models._epoch import Network, run_epoch, shrink_l1
from steepest.reference.models import logistic

from ._estimators import BACKENDS, linear_data


def _sparse_problem() -> tuple[Any, Any]:
    """4 informative features among 20; the other 16 are noise."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 20))
    w = np.zeros(20)
    w[:4] = [2.0, -1.5, 1.0, -2.5]
    return X, (X @ w + 0.3 * rng.standard_normal(600) > 0).astype(int)


def test_shrink_l1_is_soft_thresholding() -> None:
    w = np.array([0.75, -0.75, 0.25, -0.25, 0.0, np.nan, 2.0])
    shrink_l1([w], 0.5, 0.5)  # threshold 0.25
    expected = np.array([0.5, -0.5, 0.0, 0.0, 0.0, np.nan, 1.75])
    np.testing.assert_array_equal(w, expected)
    untouched = np.array([0.05, -0.0])
    shrink_l1([untouched], 0.5, 0.0)  # no L1: not even -0.0 -> 0.0
    assert np.signbit(untouched[1])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_strong_l1_ends_with_exact_zeros_and_a_finite_loss(
    backend: str, optimizer: str
) -> None:
    # the case: a subgradient step of alpha=1e5 threw the weights to
    # |coef| ~ 1e4 (loss 6e9); scikit-learn's stay at 0, and so do these
    X, y = _sparse_problem()
    est = steepest.LogisticRegression(
        alpha=1e5, l1_ratio=1, optimizer=optimizer, backend=backend, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(est.coef_, 0.0)
    assert np.isfinite(est.loss_curve_).all()
    assert est.loss_curve_[-1] < 1.0  # cross-entropy near log 2, no penalty left


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("alpha", [0.03, 0.05])
def test_l1_zeros_the_features_scikit_learns_sgd_zeros(
    backend: str, alpha: float
) -> None:
    X, y = _sparse_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = SGDClassifier(
            loss="log_loss", penalty="l1", alpha=alpha, random_state=0, tol=1e-4
        ).fit(X, y)
    # full batch: the proximal gradient method, which converges to the lasso
    ours = steepest.LogisticRegression(
        alpha=alpha, l1_ratio=1, batch_size=None, learning_rate=0.5, max_iter=300,
        tol=1e-6, backend=backend, random_state=0,
    ).fit(X, y)  # fmt: skip
    kept = np.flatnonzero(ours.coef_[0])
    np.testing.assert_array_equal(kept, np.flatnonzero(theirs.coef_[0]))
    np.testing.assert_array_equal(kept, [0, 1, 2, 3])
    assert ours.score(X, y) > 0.9


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adagrad"])
def test_native_zeros_are_the_reference_zeros(optimizer: str) -> None:
    X, y = linear_data(120, noise=0.5)
    X = np.hstack([X, np.random.default_rng(3).standard_normal((120, 6))])
    est = steepest.LinearRegression(
        alpha=0.5, l1_ratio=0.9, optimizer=optimizer, batch_size=8, max_iter=20,
        tol=None, learning_rate=0.05, random_state=0,
    )  # fmt: skip
    fits = [clone(est).set_params(backend=b).fit(X, y) for b in BACKENDS]
    ref, nat = (f.coef_ for f in fits)
    assert (ref == 0).sum() >= 3
    np.testing.assert_array_equal(nat == 0, ref == 0)
    np.testing.assert_allclose(nat, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_threshold_is_lr_times_alpha_for_every_rule(
    backend: str, optimizer: str
) -> None:
    # X = 0: the data gradient of coef is 0, so SGD and Adam leave coef
    # where it is and only the proximal step moves it, by lr * alpha * l1_ratio
    # whatever the rule's preconditioning (decoupled, as AdamW's decay)
    X, y = np.zeros((10, 5)), np.ones(10)
    common: dict[str, Any] = {
        "init": "normal", "optimizer": optimizer, "batch_size": None, "max_iter": 1,
        "tol": None, "learning_rate": 0.1, "backend": backend, "random_state": 0,
    }  # fmt: skip
    start = steepest.LinearRegression(alpha=0.0, **common).fit(X, y).coef_
    alpha = float(np.median(np.abs(start))) / 0.1  # zeros about half of them
    est = steepest.LinearRegression(alpha=alpha, l1_ratio=1.0, **common).fit(X, y)
    thr = 0.1 * alpha
    expected = np.where(np.abs(start) <= thr, 0.0, start - np.copysign(thr, start))
    np.testing.assert_array_equal(est.coef_, expected)
    assert (est.coef_ == 0).any()
    assert (est.coef_ != 0).any()


@pytest.mark.usefixtures("split_everything")
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [(steepest.SGD, {"lr": 0.05}), (steepest.Lamb, {"lr": 0.05})],
    ids=["sgd", "lamb-two-pass"],
)
def test_split_epochs_shrink_as_the_reference(
    cls: type, kwargs: dict[str, Any]
) -> None:
    # the split epoch shrinks each thread's share after its update, and after
    # thread 0's update for a two-pass rule (LAMB)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = rng.integers(0, 3, 40).astype(np.intp)
    net = Network("logistic", "log_loss", alpha=0.5, l1_ratio=1.0)
    out = []
    for backend in ("native", "reference"):
        params = logistic.init_params("xavier", 6, 3, rng=np.random.default_rng(1))
        opt = cls(params, **kwargs, nonfinite="ignore", backend=backend)
        perms = np.random.default_rng(2)
        for _ in range(3):
            run_epoch(backend, net, params, opt, X, y, perms.permutation(40), 16)
        out.append(params)
    (coef_n, b_n), (coef_r, b_r) = out
    assert (coef_r == 0).sum() >= 3
    np.testing.assert_array_equal(coef_n == 0, coef_r == 0)
    np.testing.assert_allclose(coef_n, coef_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b_n, b_r, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["LinearRegression", "LogisticRegression"])
def test_l1_with_a_moving_average_matches_reference(name: str) -> None:
    # both backends average the step's weights before the proximal step
    # (native: in the rule's own pass); the published average agrees
    X, y = _sparse_problem()
    est = (
        steepest.LogisticRegression if name == "LogisticRegression" else steepest.LinearRegression
    )(
        alpha=0.05, l1_ratio=1.0, ema_decay=0.9, batch_size=16, max_iter=4, tol=None,
        learning_rate=0.05, random_state=0,
    )  # fmt: skip
    fits = [clone(est).set_params(backend=b).fit(X, y.astype(float)) for b in BACKENDS]
    ref, nat = fits
    np.testing.assert_allclose(nat.coef_, ref.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(nat.intercept_, ref.intercept_, rtol=1e-9, atol=1e-12)
