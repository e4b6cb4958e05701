"""partial_fit: one epoch per chunk, state kept across calls, fit interplay, errors.

Twins: ``python/steepest/models/_base.py`` (``_partial_fit``) and
``python/steepest/models/_loop.py`` (``_train_chunk``).
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest
import steepest
from sklearn.base import clone, is_classifier
from steepest.reference.schedules import ExponentialLR, ReduceLROnPlateau

from ._estimators import BACKENDS, ESTIMATORS, blobs, linear_data, small_case, weights


def _call(est: Any, X: Any, y: Any, classes: Any = None) -> Any:
    if is_classifier(est):
        return est.partial_fit(X, y, classes=classes)
    return est.partial_fit(X, y)


def _chunks(X: Any, y: Any, n: int) -> list[tuple[Any, Any]]:
    return list(zip(np.array_split(X, n), np.array_split(y, n), strict=True))


def _same_weights(a: Any, b: Any) -> None:
    for wa, wb in zip(weights(a), weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)


@pytest.fixture(params=[(n, b) for n in ESTIMATORS for b in BACKENDS],
                ids=lambda p: f"{p[0]}-{p[1]}")  # fmt: skip
def case(request: pytest.FixtureRequest) -> tuple[Any, Any, Any]:
    name, backend = request.param
    est, X, y = small_case(name)
    return est.set_params(backend=backend), X, y


def test_one_call_equals_fit_for_one_epoch(case: tuple[Any, Any, Any]) -> None:
    # same generator, same order: initial weights, then one permutation
    est, X, y = case
    fitted = clone(est).set_params(max_iter=1).fit(X, y)
    streamed = _call(clone(est), X, y, classes=np.unique(y))
    _same_weights(streamed, fitted)
    assert streamed.loss_curve_ == fitted.loss_curve_
    assert (streamed.n_iter_, streamed.t_) == (1, fitted.t_)


def test_k_calls_equal_fit_for_k_epochs(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    est.set_params(optimizer="adam", learning_rate=ExponentialLR(lr=0.02, gamma=0.99))
    fitted = clone(est).set_params(max_iter=4).fit(X, y)
    streamed = clone(est)
    for _ in range(4):
        _call(streamed, X, y, classes=np.unique(y))
    _same_weights(streamed, fitted)
    assert streamed.loss_curve_ == fitted.loss_curve_
    assert streamed.lr_curve_ == fitted.lr_curve_  # the schedule kept its position
    assert (streamed.n_iter_, streamed.t_) == (4, fitted.t_)


def test_partial_fit_after_fit_continues_it(case: tuple[Any, Any, Any]) -> None:
    # fit keeps its generator: one more call is fit's next epoch
    est, X, y = case
    three = clone(est).set_params(max_iter=3).fit(X, y)
    two_plus_one = clone(est).set_params(max_iter=2).fit(X, y)
    _call(two_plus_one, X, y)  # classes_ known from fit
    _same_weights(two_plus_one, three)
    assert two_plus_one.loss_curve_ == three.loss_curve_
    assert two_plus_one.n_iter_ == 3
    assert two_plus_one.t_ == three.t_


def test_fit_after_partial_fit_starts_over(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    fresh = clone(est).fit(X, y)
    mixed = clone(est)
    _call(mixed, X, y, classes=np.unique(y))
    mixed.fit(X, y)
    _same_weights(mixed, fresh)
    assert mixed.loss_curve_ == fresh.loss_curve_
    warm = clone(est).set_params(warm_start=True)
    _call(warm, X, y, classes=np.unique(y))
    before = warm.t_
    warm.fit(X, y)
    assert warm.t_ == before + fresh.t_  # warm_start continues from partial_fit


def test_pickling_mid_stream_changes_nothing(case: tuple[Any, Any, Any]) -> None:
    est, X, y = case
    est.set_params(optimizer="adam")
    chunks = _chunks(X, y, 4)
    classes = np.unique(y)
    plain, pickled = clone(est), clone(est)
    for i, (Xc, yc) in enumerate(chunks):
        _call(plain, Xc, yc, classes=classes)
        _call(pickled, Xc, yc, classes=classes)
        if i == 1:
            pickled = pickle.loads(pickle.dumps(pickled))
    _same_weights(pickled, plain)
    assert pickled.loss_curve_ == plain.loss_curve_
    assert pickled.t_ == plain.t_


@pytest.mark.parametrize("name", ESTIMATORS)
def test_chunks_learn(name: str) -> None:
    est, X, y = small_case(name)
    est.set_params(batch_size=4)
    classes = np.unique(y)
    for _ in range(10):
        for Xc, yc in _chunks(X, y, 5):
            _call(est, Xc, yc, classes=classes)
    assert len(est.loss_curve_) == est.n_iter_ == 50
    assert est.loss_curve_[-5] < est.loss_curve_[0] / 2  # both on the first chunk
    assert est.score(X, y) > (0.95 if is_classifier(est) else 0.9)


def test_curves_and_counters_advance() -> None:
    est, X, y = small_case("LinearRegression")
    est.set_params(batch_size=10)
    for i, (Xc, yc) in enumerate(_chunks(X, y, 4), start=1):
        est.partial_fit(Xc, yc)
        assert est.n_iter_ == len(est.loss_curve_) == len(est.lr_curve_) == i
        assert est.t_ == 3 * i  # 25 rows in batches of 10
        assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None
    assert est.n_swa_ == 0


@pytest.mark.parametrize("name", ["LogisticRegression", "MLPClassifier"])
def test_classes(name: str) -> None:
    est = small_case(name)[0]
    X, y = blobs(3, 60)
    labels = np.array(["a", "b", "c"])[y]
    with pytest.raises(ValueError, match="first call to partial_fit needs classes="):
        est.partial_fit(X, labels)
    assert not hasattr(est, "classes_")
    only_ab = labels != "c"
    est.partial_fit(X[only_ab], labels[only_ab], classes=["c", "a", "b"])
    assert est.classes_.tolist() == ["a", "b", "c"]
    est.partial_fit(X[labels == "c"], labels[labels == "c"])  # one class is fine now
    with pytest.raises(ValueError, match=r"not among the classes \['a', 'b', 'c'\]"):
        est.partial_fit(X, np.where(labels == "a", "d", labels))
    with pytest.raises(ValueError, match="not among the classes"):
        est.partial_fit(X, y)  # ints, not the string classes
    with pytest.raises(ValueError, match="partial_fit got classes="):
        est.partial_fit(X, labels, classes=["a", "b"])
    with pytest.raises(ValueError, match="expecting 2 features"):
        est.partial_fit(np.hstack([X, X]), labels)
    assert est.n_iter_ == 2  # the refused calls changed nothing
    with pytest.raises(ValueError, match="at least 2 classes"):
        clone(est).partial_fit(X, labels, classes=["a"])


def test_regressor_errors() -> None:
    est, X, y = small_case("MLPRegressor")
    est.partial_fit(X, y)
    with pytest.raises(ValueError, match=r"partial_fit needs y with 1 target\(s\)"):
        est.partial_fit(X, np.stack([y, y], axis=1))
    assert est.n_outputs_ == 1
    with pytest.raises(ValueError, match="expecting 4 features"):
        est.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match=r"model changed.*call fit to start over"):
        est.set_params(dtype=np.float64).partial_fit(X, y)
    lin, X, y = small_case("LinearRegression")
    lin.partial_fit(X, y)
    with pytest.raises(ValueError, match="y shaped as in the previous fit"):
        lin.partial_fit(X, y[:, None])
    with pytest.raises(ValueError, match="does not support swa_start"):
        clone(lin).set_params(swa_start=0).partial_fit(X, y)


def test_early_stopping_and_max_iter_do_not_apply() -> None:
    est, X, y = small_case("LogisticRegression")
    est.set_params(early_stopping=True, max_iter=1, tol=0.5, n_iter_no_change=1)
    for _ in range(3):
        est.partial_fit(X, y, classes=[0, 1, 2])
    assert est.n_iter_ == 3
    assert est.validation_scores_ is None
    assert est.best_validation_score_ is None


def test_reduce_on_plateau_keeps_its_state_across_calls() -> None:
    est, X, y = small_case("LinearRegression")
    plateau = ReduceLROnPlateau(lr=0.05, factor=0.5, patience=0, threshold=1e6,
                                threshold_mode="abs")  # fmt: skip
    est.set_params(reduce_on_plateau=plateau)
    for _ in range(4):
        est.partial_fit(X, y)
    # every epoch after the first is "not better by 1e6": the lr halves
    assert est.lr_curve_ == [0.05, 0.05, 0.025, 0.0125]
    assert plateau.scale == 1.0  # the user's object is not changed


def test_divergence_keeps_the_weights_before_the_call() -> None:
    est, X, y = small_case("LinearRegression")
    est.partial_fit(X, y)
    before = weights(est)
    with pytest.raises(steepest.DivergenceError, match="epoch 2"):
        est.set_params(learning_rate=1e200).partial_fit(X, y)
    for w, w0 in zip(weights(est), before, strict=True):
        np.testing.assert_array_equal(w, w0)
    est.set_params(learning_rate=0.05).partial_fit(X, y)  # the kept optimizer state
    assert np.isfinite(est.coef_).all()


def test_verbose_prints_one_line_per_call(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = linear_data(50)
    est = steepest.LinearRegression(verbose=True, progress=True, backend="reference")
    est.partial_fit(X, y)
    est.partial_fit(X, y)
    captured = capsys.readouterr()
    assert [line.split(":")[0] for line in captured.out.splitlines()] == [
        "LinearRegression epoch 1", "LinearRegression epoch 2",
    ]  # fmt: skip
    assert captured.err == ""  # no bar for a single epoch


def test_random_state_generator_draw_order() -> None:
    # documented order: first call draws the weights, then the permutation
    X, y = blobs(2, 40)
    est = steepest.MLPClassifier(hidden_layer_sizes=(3,), random_state=7,
                                 backend="reference", max_iter=1)  # fmt: skip
    est.partial_fit(X, y, classes=[0, 1])
    rng = np.random.default_rng(7)
    init = steepest.reference.models.mlp.init_params("he", 2, (3,), 1, rng=rng,
                                                      dtype=np.float32)  # fmt: skip
    perm = rng.permutation(40)
    assert perm.shape == (40,)
    assert est._rng.bit_generator.state == rng.bit_generator.state
    assert init[0].shape == est.coefs_[0].shape
