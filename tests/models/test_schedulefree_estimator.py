"""The estimators with a Schedule-Free optimizer publish and score its x.

The optimizer's params hold y (where gradients are taken); the weights a
fitted estimator shows, predicts with and scores validation data on are the
evaluation weights x (``python/steepest/models/_loop.py``'s ``published_weights``).
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest

from ._estimators import B_TRUE, BACKENDS, W_TRUE, linear_data

NAMES = [("sgd_schedulefree", 0.05), ("adamw_schedulefree", 0.05)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("optimizer", "lr"), NAMES, ids=[n for n, _ in NAMES])
def test_converges_and_publishes_x(optimizer: str, lr: float, backend: str) -> None:
    X, y = linear_data(200, noise=0.01)
    est = steepest.LinearRegression(
        optimizer=optimizer, learning_rate=lr, batch_size=16, max_iter=60,
        alpha=0.0, tol=None, random_state=0, backend=backend,
    )  # fmt: skip
    est.fit(X, y)
    np.testing.assert_allclose(est.coef_, W_TRUE, atol=0.02)
    assert est.intercept_ == pytest.approx(B_TRUE, abs=0.02)
    assert est.score(X, y) > 0.999
    opt = est._optimizer
    assert opt is not None
    assert opt.train_mode  # the params stay y for more epochs
    x = opt.eval_params()
    assert np.array_equal(est.coef_, x[0])
    assert est.intercept_ == float(x[1][0])
    # y differs from x: publishing the params would show the wrong weights
    assert not np.array_equal(est.coef_, opt.params[0])


@pytest.mark.parametrize(("optimizer", "lr"), NAMES, ids=[n for n, _ in NAMES])
def test_validation_is_scored_on_x(optimizer: str, lr: float) -> None:
    X, y = linear_data(120, noise=0.5)
    Xv, yv = linear_data(40, noise=0.5, seed=1)
    est = steepest.LinearRegression(
        optimizer=optimizer, learning_rate=lr, batch_size=16, max_iter=5, tol=None,
        random_state=0, backend="reference",
    )  # fmt: skip
    est.fit(X, y, validation_data=(Xv, yv))
    assert est.validation_scores_ is not None
    assert est.validation_scores_[-1] == est.score(Xv, yv)
    # and a partial_fit continues from y, publishing x again
    est.partial_fit(X, y)
    opt = est._optimizer
    assert opt is not None
    assert np.array_equal(est.coef_, opt.eval_params()[0])


def test_early_stopping_installs_the_best_x() -> None:
    X, y = linear_data(200, noise=0.5)
    est = steepest.LinearRegression(
        optimizer="adamw_schedulefree", learning_rate=0.05, batch_size=16,
        max_iter=30, early_stopping=True, n_iter_no_change=3, random_state=0,
        backend="reference",
    )  # fmt: skip
    est.fit(X, y)
    assert est.validation_scores_ is not None
    assert est.best_validation_score_ == max(est.validation_scores_)
    assert est.score(X, y) > 0.9
