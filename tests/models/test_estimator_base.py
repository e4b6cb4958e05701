"""The shared fit loop: scikit-learn API, inputs untouched, determinism, errors.

Twins: ``python/steepest/models/_base.py`` (fit, partial_fit),
``python/steepest/models/_loop.py`` (the epochs) and
``python/steepest/models/_surface.py`` (data checks, predictions).
"""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from steepest.reference.schedules import MultiStepLR

from ._estimators import BACKENDS, ESTIMATORS, blobs, small_case, weights


@pytest.fixture(params=ESTIMATORS)
def case(request: pytest.FixtureRequest) -> tuple[Any, Any, Any]:
    return small_case(request.param)


def test_import_steepest_does_not_import_sklearn() -> None:
    script = textwrap.dedent(
        """
        import sys
        import steepest
        print("before:", "sklearn" in sys.modules)
        cls = steepest.MLPClassifier
        print("after:", "sklearn" in sys.modules, cls.__module__)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        "before:", "False", "after:", "True", "steepest.models.mlp",
    ]  # fmt: skip


def test_estimator_types() -> None:
    assert is_regressor(steepest.LinearRegression())
    assert is_regressor(steepest.MLPRegressor())
    assert is_classifier(steepest.LogisticRegression())
    assert is_classifier(steepest.MLPClassifier())
    assert issubclass(steepest.DivergenceError, ArithmeticError)


def test_init_only_stores_arguments() -> None:
    est = steepest.MLPClassifier(optimizer="nope", batch_size=-3, activation=1)
    assert est.get_params()["optimizer"] == "nope"
    assert not [k for k in vars(est) if k.endswith("_")]  # nothing learned yet
    with pytest.raises(ValueError, match="optimizer must be one of"):
        est.fit(*blobs(2, 20))


def test_clone_get_params_set_params_round_trip(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    params = est.get_params()
    twin = clone(est)
    assert twin is not est
    assert twin.get_params().keys() == params.keys()
    assert all(twin.get_params()[k] is params[k] or twin.get_params()[k] == params[k]
               for k in params)  # fmt: skip
    twin.set_params(max_iter=3, alpha=0.0)
    assert twin.get_params()["max_iter"] == 3
    assert est.get_params()["max_iter"] == 10
    twin.fit(X, y)
    assert twin.n_iter_ == 3
    with pytest.raises(NotFittedError):
        est.predict(X)
    refit = clone(twin)  # a clone of a fitted estimator is not fitted
    with pytest.raises(NotFittedError):
        refit.predict(X)


@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
def test_fit_leaves_inputs_unchanged(
    case: tuple[Any, Any, Any], model_dtype: type
) -> None:
    est, X, y = case
    X = np.asfortranarray(X)  # float64, not C-ordered: converted by fit
    X.setflags(write=False)
    X_copy, y_copy = X.copy(), y.copy()
    est.set_params(dtype=model_dtype, early_stopping=True)
    est.fit(X, y)
    est.predict(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert y.dtype == y_copy.dtype
    assert all(w.dtype == model_dtype for w in weights(est) if w.ndim)  # not a float


def test_same_random_state_same_result(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    a = clone(est).fit(X, y)
    b = clone(est).fit(X, y)
    c = clone(est).set_params(random_state=1).fit(X, y)
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.loss_curve_ == b.loss_curve_
    assert a.loss_curve_ != c.loss_curve_
    assert any(
        not np.array_equal(wa, wc)
        for wa, wc in zip(weights(a), weights(c), strict=True)
    )


def test_generator_random_state_is_used() -> None:
    est, X, y = small_case("LinearRegression")
    a = clone(est).set_params(random_state=np.random.default_rng(5)).fit(X, y)
    b = clone(est).set_params(random_state=5).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_


def test_predict_before_fit_raises(case: tuple[Any, Any, Any]) -> None:
    est, X, _ = case
    with pytest.raises(NotFittedError, match="not fitted"):
        est.predict(X)


def test_predict_with_other_feature_count_raises(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    est.fit(X, y)
    with pytest.raises(ValueError, match=f"expecting {X.shape[1]} features"):
        est.predict(X[:, :-1])


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda X, y: (np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X), y),
         "NaN"),
        (lambda X, y: (X, np.where(np.arange(y.size) == 2, np.inf, y)), "infinity|inf"),
        (lambda X, y: (X, y[:-1]), "inconsistent numbers of samples"),
        (lambda X, y: (X[:, 0], y), "Expected 2D array"),
    ],
    ids=["nan-X", "inf-y", "length", "1d-X"],
)  # fmt: skip
def test_bad_data_raises(case: tuple[Any, Any, Any], mutate: Any, match: str) -> None:
    est, X, y = case
    X_bad, y_bad = mutate(X, y.astype(float))
    if is_classifier(est) and match != "infinity|inf":
        y_bad = y_bad.astype(int)
    with pytest.raises(ValueError, match=match):
        est.fit(X_bad, y_bad)


@pytest.mark.parametrize("name", ["LogisticRegression", "MLPClassifier"])
def test_classifier_label_errors(name: str) -> None:
    est, X, _ = small_case(name)
    with pytest.raises(ValueError, match="at least 2 classes"):
        est.fit(X, np.full(X.shape[0], "a"))
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, np.linspace(0, 1, X.shape[0]))
    y = np.arange(X.shape[0]) % 2
    with pytest.raises(ValueError, match="not among the classes"):
        est.fit(X, y, validation_data=(X[:5], np.full(5, 7)))


def test_validation_data_shape_errors() -> None:
    est, X, y = small_case("LinearRegression")
    with pytest.raises(ValueError, match="pair"):
        est.fit(X, y, validation_data=X)
    with pytest.raises(ValueError, match="5 rows in X but 4 in y"):
        est.fit(X, y, validation_data=(X[:5], y[:4]))


@pytest.mark.parametrize("name", ["LinearRegression", "MLPRegressor"])
def test_divergence_keeps_last_completed_epoch(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(optimizer="sgd", batch_size=20, learning_rate=0.01)
    steps_per_epoch = math.ceil(X.shape[0] / 20)
    # the learning rate explodes at the first step of epoch 3
    boom = MultiStepLR(lr=0.01, milestones=[2 * steps_per_epoch], gamma=1e300)
    two_epochs = clone(est).set_params(max_iter=2).fit(X, y)
    with pytest.raises(
        steepest.DivergenceError, match=r"epoch 3 .*learning rate 1e\+298"
    ):
        est.set_params(learning_rate=boom).fit(X, y)
    assert est.n_iter_ == 2
    assert est.loss_curve_ == two_epochs.loss_curve_
    for w, w2 in zip(weights(est), weights(two_epochs), strict=True):
        assert np.all(np.isfinite(w))
        np.testing.assert_array_equal(w, w2)
    np.testing.assert_array_equal(est.predict(X), two_epochs.predict(X))


def test_divergence_message_suggests_a_lower_learning_rate() -> None:
    X, y = blobs(2, 40)
    est = steepest.LinearRegression(learning_rate=1e200, backend="reference")
    with pytest.raises(steepest.DivergenceError, match=r"epoch 1.*lower learning_rate"):
        est.fit(X, y.astype(float))
    np.testing.assert_array_equal(est.coef_, 0.0)  # the initial weights


@pytest.mark.parametrize("name", ESTIMATORS)
def test_warm_start_continues(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(max_iter=5)
    cold = clone(est).fit(X, y)
    warm = clone(est).set_params(warm_start=True).fit(X, y)
    first = warm.loss_curve_
    warm.fit(X, y)
    assert warm.t_ == 2 * cold.t_  # the optimizer kept counting
    assert warm.loss_curve_[0] < first[0]
    assert warm.loss_curve_[0] <= first[-1] * 1.5
    again = clone(cold).fit(X, y).fit(X, y)  # warm_start=False restarts
    assert again.loss_curve_ == cold.loss_curve_
    assert again.t_ == cold.t_


def test_warm_start_refuses_another_model() -> None:
    est, X, y = small_case("MLPClassifier")
    est.set_params(warm_start=True, max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True needs the classes"):
        est.fit(X, y + 1)
    with pytest.raises(ValueError, match="model changed"):
        est.set_params(hidden_layer_sizes=(4,)).fit(X, y)


def test_verbose_prints_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    est, X, y = small_case("LogisticRegression")
    est.set_params(max_iter=3, verbose=True).fit(X, y, validation_data=(X, y))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("LogisticRegression epoch 1: loss ")
    assert "validation score" in lines[0]
    assert "lr 0.1" in lines[0]


def test_pipeline_and_cross_val_score() -> None:
    X, y = blobs(3, 90)
    pipe = make_pipeline(
        StandardScaler(),
        steepest.LogisticRegression(learning_rate=0.1, max_iter=10, tol=None,
                                    random_state=0, backend="reference"),
    )  # fmt: skip
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9
    est, Xr, yr = small_case("LinearRegression")
    assert cross_val_score(est, Xr, yr, cv=3).min() > 0.9  # R²


@pytest.mark.parametrize("name", ESTIMATORS)
def test_native_and_reference_backends_agree(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(max_iter=3, dtype=np.float64)
    ref = clone(est).fit(X, y)
    nat = clone(est).set_params(backend="native").fit(X, y)
    np.testing.assert_allclose(nat.loss_curve_, ref.loss_curve_, rtol=1e-9)
    for wn, wr in zip(weights(nat), weights(ref), strict=True):
        np.testing.assert_allclose(wn, wr, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_both_backends_learn(backend: str) -> None:
    est, X, y = small_case("MLPClassifier")
    est.set_params(backend=backend, max_iter=20).fit(X, y)
    assert est.score(X, y) > 0.95


@pytest.mark.parametrize("name", ESTIMATORS)
def test_pickle_round_trip_keeps_the_optimizer_state(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(optimizer="adam", max_iter=2, warm_start=True).fit(X, y)
    copy = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(copy.predict(X), est.predict(X))
    assert copy._optimizer.step_count == est._optimizer.step_count
    # a warm start continues identically from the restored Adam moments
    est.fit(X, y)
    copy.fit(X, y)
    assert copy.loss_curve_ == est.loss_curve_
    for wc, we in zip(weights(copy), weights(est), strict=True):
        np.testing.assert_array_equal(wc, we)


def test_reference_exports_models_and_train() -> None:
    assert steepest.reference.models.mlp.loss_and_grad is not None
    assert steepest.reference.train.run_epoch is not None
    assert {"models", "train"} <= set(steepest.reference.__all__)
