"""fit_intercept of LinearRegression and LogisticRegression, on both backends.

Twins: ``Network.fit_intercept`` in ``python/steepest/models/_epoch.py``
(the reference zeroes the output bias's gradient) and ``network::fixed_bias``
in ``cpp/include/steepest/model/dense.hpp``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression as SkLinearRegression
from steepest.models._options import OPTIMIZERS

from ._estimators import BACKENDS, blobs, linear_data, small_case, weights

LINEAR = ["LinearRegression", "LogisticRegression"]


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", LINEAR)
def test_the_intercept_stays_exactly_zero_under_every_rule(
    name: str, backend: str, optimizer: str
) -> None:
    est, X, y = small_case(name)
    est.set_params(
        backend=backend, optimizer=optimizer, fit_intercept=False, batch_size=None,
        learning_rate=0.01, max_iter=3, alpha=1e-3, l1_ratio=0.5,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        est.fit(X + 3.0, y)  # an offset an intercept would absorb
    assert np.all(np.asarray(est.intercept_) == 0.0)
    assert np.any(est.coef_ != 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_intercept_scikit_learns_least_squares(backend: str) -> None:
    X, y = linear_data(200, noise=0.3)
    est = steepest.LinearRegression(
        fit_intercept=False, batch_size=None, learning_rate=0.1, max_iter=2000,
        tol=None, alpha=0.0, backend=backend, random_state=0,
    ).fit(X, y)  # fmt: skip
    theirs = SkLinearRegression(fit_intercept=False).fit(X, y)
    assert est.intercept_ == 0.0
    np.testing.assert_allclose(est.coef_, theirs.coef_, rtol=1e-8)
    with_intercept = clone(est).set_params(fit_intercept=True).fit(X, y)
    assert abs(with_intercept.intercept_ - 0.7) < 0.1


@pytest.mark.parametrize("name", LINEAR)
def test_native_matches_reference_without_intercept(name: str) -> None:
    fits = []
    for backend in BACKENDS:
        est, X, y = small_case(name)
        est.set_params(
            backend=backend, fit_intercept=False, optimizer="adam", batch_size=8
        )
        fits.append(est.fit(X, y))
    ref, nat = fits
    for a, b in zip(weights(nat), weights(ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multi_output_intercepts_stay_zero(backend: str) -> None:
    X, labels = blobs(3, 90)
    common: dict[str, Any] = {
        "fit_intercept": False, "backend": backend, "max_iter": 5, "tol": None,
        "learning_rate": 0.1, "batch_size": 16, "random_state": 0,
    }  # fmt: skip
    clf = steepest.LogisticRegression(**common).fit(X + 1.0, labels)
    np.testing.assert_array_equal(clf.intercept_, np.zeros(3))
    Y = np.stack([X[:, 0] + 2.0, X[:, 1] - 1.0], axis=1)
    reg = steepest.LinearRegression(**common).fit(X, Y)
    np.testing.assert_array_equal(reg.intercept_, np.zeros(2))


def test_fit_intercept_must_be_a_bool() -> None:
    est, X, y = small_case("LinearRegression")
    with pytest.raises(TypeError, match="fit_intercept must be a bool"):
        est.set_params(fit_intercept="no").fit(X, y)
