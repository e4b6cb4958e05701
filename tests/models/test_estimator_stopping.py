"""tol, ConvergenceWarning, early stopping, plateau decay and SWA, on and off.

Twin: ``python/steepest/models/_stopping.py`` (and the loop in ``_loop.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import steepest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from steepest.models._stopping import NoImprovement
from steepest.reference.schedules import ExponentialLR, ReduceLROnPlateau

from ._estimators import ESTIMATORS, linear_data, small_case, weights


def test_tol_stops_before_max_iter() -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(tol=1e-3, n_iter_no_change=3, max_iter=300).fit(X, y)
    assert 3 < est.n_iter_ < 300
    assert len(est.loss_curve_) == est.n_iter_
    # replay scikit-learn's rule on the curve: it first fires at the last epoch
    best, bad, fired = np.inf, 0, []
    for loss in est.loss_curve_:
        bad = bad + 1 if loss > best - 1e-3 else 0
        best = min(best, loss)
        fired.append(bad >= 3)
    assert fired.index(True) == est.n_iter_ - 1
    assert est.best_loss_ == min(est.loss_curve_)


def test_tol_none_runs_every_epoch() -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(tol=None, max_iter=40).fit(X, y)
    assert est.n_iter_ == 40
    assert len(est.loss_curve_) == len(est.lr_curve_) == 40


@pytest.mark.parametrize("name", ESTIMATORS)
def test_convergence_warning_at_max_iter(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(tol=1e-12, max_iter=3)
    with pytest.warns(steepest.ConvergenceWarning, match="max_iter=3"):
        est.fit(X, y)
    assert est.n_iter_ == 3
    assert issubclass(steepest.ConvergenceWarning, SklearnConvergenceWarning)
    with warnings.catch_warnings():
        # a filter written for scikit-learn's warning silences steepest's
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        est.fit(X, y)


def test_early_stopping_restores_the_best_epoch() -> None:
    X, y = linear_data(120, noise=0.5)
    X_val, y_val = linear_data(60, seed=1, noise=0.5)
    est = steepest.LinearRegression(
        learning_rate=0.2, batch_size=4, tol=1e-4, n_iter_no_change=4, max_iter=100,
        early_stopping=True, random_state=0, backend="reference",
    )  # fmt: skip
    est.fit(X, y, validation_data=(X_val, y_val))
    scores = est.validation_scores_
    assert est.n_iter_ < 100
    assert len(scores) == est.n_iter_
    assert est.best_validation_score_ == max(scores)
    assert scores.index(max(scores)) < est.n_iter_ - 1  # the last epoch was worse...
    assert est.score(X_val, y_val) == pytest.approx(max(scores), abs=1e-12)  # ...undone
    assert est.best_loss_ is None

    plain = clone(est).set_params(early_stopping=False, tol=None, max_iter=est.n_iter_)
    plain.fit(X, y, validation_data=(X_val, y_val))
    assert plain.validation_scores_ == scores  # same trajectory, scored alike
    assert plain.score(X_val, y_val) == pytest.approx(scores[-1], abs=1e-12)
    assert plain.best_validation_score_ is None


@pytest.mark.parametrize("name", ESTIMATORS)
def test_early_stopping_holds_out_a_split(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(early_stopping=True, validation_fraction=0.2, tol=None, max_iter=4)
    est.fit(X, y)
    assert len(est.validation_scores_) == 4
    assert est.t_ == 4 * -(
        -int(np.ceil(0.8 * X.shape[0])) // est.get_params()["batch_size"]
    )
    plain = clone(est).set_params(early_stopping=False).fit(X, y)
    assert plain.validation_scores_ is None


def test_plateau_decays_the_learning_rate_and_stops() -> None:
    est, X, y = small_case("LinearRegression")
    # every epoch after the first is "bad": decay each epoch until min_lr, then stop
    plateau = ReduceLROnPlateau(lr=1.0, factor=0.5, patience=0, threshold=1e9,
                                threshold_mode="abs", min_lr=0.25)  # fmt: skip
    est.set_params(reduce_on_plateau=plateau, max_iter=50).fit(X, y)
    assert est.lr_curve_ == [0.05, 0.05, 0.025, 0.0125]
    assert est.n_iter_ == 4
    assert plateau.lr == 1.0  # the given object is untouched
    assert plateau.last_epoch == 0
    off = clone(est).set_params(reduce_on_plateau=None).fit(X, y)
    assert off.lr_curve_ == [0.05] * 50


def test_plateau_follows_the_training_loss() -> None:
    est, X, y = small_case("LinearRegression")
    plateau = ReduceLROnPlateau(lr=0.05, factor=0.5, patience=2)
    est.set_params(reduce_on_plateau=plateau, max_iter=60, learning_rate=0.05)
    est.fit(X, y)
    decays = [i for i in range(1, 60) if est.lr_curve_[i] < est.lr_curve_[i - 1]]
    assert decays  # the loss flattens out on this easy problem
    replay = ReduceLROnPlateau(lr=0.05, factor=0.5, patience=2)
    expected = [0.05] + [0.05 * replay.update(loss) for loss in est.loss_curve_[:-1]]
    np.testing.assert_allclose(est.lr_curve_, expected)


def _trajectory(
    est: steepest.LinearRegression, X: np.ndarray, y: np.ndarray, n: int
) -> list:
    """Weights at the end of epochs 1..n (shorter fits replay the same epochs)."""
    return [
        weights(clone(est).set_params(max_iter=k).fit(X, y)) for k in range(1, n + 1)
    ]


@pytest.mark.parametrize("name", ["LinearRegression", "MLPRegressor"])
def test_swa_averages_the_epochs_from_swa_start(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(max_iter=8, dtype=np.float64)
    path = _trajectory(est, X, y, 8)
    swa = clone(est).set_params(swa_start=5).fit(X, y)
    assert swa.n_swa_ == 3
    for i, w in enumerate(weights(swa)):
        np.testing.assert_allclose(
            w, np.mean([p[i] for p in path[5:]], axis=0), rtol=1e-12
        )
    off = clone(est).fit(X, y)
    assert off.n_swa_ == 0
    for w, last in zip(weights(off), path[-1], strict=True):
        np.testing.assert_array_equal(w, last)
    late = clone(est).set_params(swa_start=8).fit(X, y)  # never reached
    assert late.n_swa_ == 0
    assert late.loss_curve_ == off.loss_curve_


def test_swa_lr_float_and_schedule() -> None:
    est, X, y = small_case("LinearRegression")  # 4 steps per epoch, lr 0.05
    est.set_params(max_iter=5, swa_start=3)
    fixed = clone(est).set_params(swa_lr=0.01).fit(X, y)
    assert fixed.lr_curve_ == [0.05, 0.05, 0.05, 0.01, 0.01]
    sched = ExponentialLR(lr=0.02, gamma=0.5)
    restarted = clone(est).set_params(swa_lr=sched).fit(X, y)
    assert restarted.lr_curve_ == [0.05, 0.05, 0.05, sched(0), sched(4)]
    kept = clone(est).fit(X, y)
    assert kept.lr_curve_ == [0.05] * 5
    # a warm start goes back to learning_rate
    fixed.set_params(warm_start=True, swa_start=None, max_iter=1).fit(X, y)
    assert fixed.lr_curve_ == [0.05]


# -- validation sets too small to score (issue 12) -------------------------------


@pytest.mark.parametrize("name", ESTIMATORS)
def test_early_stopping_on_two_samples_is_an_error(name: str) -> None:
    # the case: two samples hold out one row, whose R² is NaN on every
    # epoch (before: 200 epochs, best_validation_score_ = -inf); scikit-learn's
    # MLP refuses a validation set of fewer than 2 rows, for both kinds
    est, X, y = small_case(name)
    X2, y2 = X[[0, 1]], y[[0, 1]]
    if est._classifier:
        y2 = np.array([0, 1])
    est.set_params(early_stopping=True, tol=1e-4, max_iter=200)
    with pytest.raises(ValueError, match=r"holds out 1 row, too few to score"):
        est.fit(X2, y2)
    assert not hasattr(est, "n_iter_")


@pytest.mark.parametrize("backend", ["reference", "native"])
def test_one_row_of_regression_validation_data_is_an_error(backend: str) -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(backend=backend)
    with pytest.raises(ValueError, match="validation_data must hold at least 2 rows"):
        est.fit(X, y, validation_data=(X[:1], y[:1]))
    # two rows score, and a classifier's one-row accuracy is defined
    est.fit(X, y, validation_data=(X[:2], y[:2]))
    assert np.isfinite(est.validation_scores_).all()
    clf, Xc, yc = small_case("LogisticRegression")
    clf.set_params(backend=backend).fit(Xc, yc, validation_data=(Xc[:1], yc[:1]))
    assert clf.validation_scores_[0] in (0.0, 1.0)


def test_a_nan_validation_score_is_no_improvement() -> None:
    params = [np.zeros(2)]
    stopper = NoImprovement(1e-3, 3, by_score=True)
    fired = [stopper.update(0.5, float("nan"), params) for _ in range(3)]
    assert fired == [False, False, True]
    assert stopper.best_score == -np.inf
    assert stopper.best_params is None
    # a NaN after a good epoch is a bad one, and the best stays the last good
    stopper = NoImprovement(1e-3, 2, by_score=True)
    assert not stopper.update(0.5, 0.8, params)
    assert not stopper.update(0.5, float("nan"), params)
    assert stopper.update(0.5, 0.8, params)  # no better than 0.8 + tol
    assert stopper.best_score == 0.8
