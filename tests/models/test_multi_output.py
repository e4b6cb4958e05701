"""Multi-label MLPClassifier, multi-output regressors, weighted validation data.

Twins: ``python/steepest/models/mlp.py``, ``linear.py``, ``_surface.py`` (targets),
``_stopping.py`` (validation data), the multilabel loss of
``python/steepest/nn/_losses.py`` and ``cpp/include/steepest/model/losses.hpp``
(native = reference: ``tests/models/test_native_parity.py``).

Oracle: scikit-learn's MLPClassifier / MLPRegressor started from the same
weights, plain SGD (``momentum=0``), rows in order, no penalty: the two run
the same arithmetic, so weights and loss curves agree to rounding. The
multi-label loss and gradient are scikit-learn's (sum over labels, mean over
samples). The multi-output squared loss *value* is scikit-learn's (mean over
samples and outputs, halved), but scikit-learn's gradient leaves out the
1/n_outputs of that mean (its deltas are ``y_hat - y`` over the batch size);
steepest differentiates the loss it reports, so its gradient is
1/n_outputs of scikit-learn's, and learning rate ``k * lr`` here is
scikit-learn's ``lr``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import steepest
from scipy.sparse import csr_matrix
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.utils import get_tags
from steepest.nn import mlp as nn_mlp

from ._estimators import BACKENDS

HIDDEN = (7,)
EPOCHS = 4
BATCH = 16


def multilabel_data(n: int = 120, k: int = 3, seed: int = 0) -> tuple[Any, Any]:
    X, Y = make_multilabel_classification(
        n_samples=n, n_features=5, n_classes=k, random_state=seed
    )
    return (X - X.mean(0)) / X.std(0), Y


def multioutput_data(n: int = 120, k: int = 3, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    Y = np.tanh(X @ rng.standard_normal((5, k))) + 0.1 * rng.standard_normal((n, k))
    return X, Y


def sklearn_twin(sk: Any, X: Any, y: Any, start: list[Any], **first: Any) -> Any:
    """``sk`` (solver sgd) after EPOCHS epochs from the weights ``start``.

    One partial_fit builds its layers and optimizer; the weights are then
    overwritten in place (its optimizer updates those very arrays) and each
    further partial_fit is one epoch over the rows in order.
    """
    sk.partial_fit(X, y, **first)
    for p, s in zip(
        [*sk.coefs_, *sk.intercepts_], start[0::2] + start[1::2], strict=True
    ):
        p[...] = s
    for _ in range(EPOCHS):
        sk.partial_fit(X, y)
    return sk


def sgd_settings(lr: float) -> dict[str, Any]:
    return {
        "hidden_layer_sizes": HIDDEN, "activation": "tanh", "batch_size": BATCH,
        "shuffle": False, "alpha": 0.0, "random_state": 0,
    } | {"learning_rate_init": lr, "solver": "sgd", "momentum": 0.0,
         "learning_rate": "constant"}  # fmt: skip


def ours(cls: Any, backend: str, lr: float) -> Any:
    return cls(
        hidden_layer_sizes=HIDDEN, activation="tanh", optimizer="sgd",
        learning_rate=lr, batch_size=BATCH, shuffle=False, alpha=0.0,
        max_iter=EPOCHS, tol=None, random_state=0, backend=backend,
        dtype=np.float64,
    )  # fmt: skip


def initial(n_features: int, n_out: int) -> list[Any]:
    # fit's first draw from default_rng(random_state): the initial weights
    # ("auto" init is xavier for tanh)
    rng = np.random.default_rng(0)
    return nn_mlp.init_params("xavier", n_features, HIDDEN, n_out, rng=rng)


def assert_same_fit(a: Any, sk: Any) -> None:
    for mine, theirs in zip(
        [*a.coefs_, *a.intercepts_], [*sk.coefs_, *sk.intercepts_], strict=True
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.loss_curve_, sk.loss_curve_[1:], rtol=1e-9)


# -- multi-label MLPClassifier ------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_multilabel_matches_scikit_learn_from_the_same_weights(backend: str) -> None:
    X, Y = multilabel_data()
    lr = 0.1
    clf = ours(steepest.MLPClassifier, backend, lr).fit(X, Y)
    sk = sklearn_twin(
        SkMLPClassifier(**sgd_settings(lr)), X, Y, initial(5, 3), classes=[0, 1, 2]
    )
    assert_same_fit(clf, sk)
    np.testing.assert_array_equal(clf.classes_, sk.classes_)
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-9)
    np.testing.assert_array_equal(clf.predict(X), sk.predict(X))
    assert clf.predict(X).dtype == sk.predict(X).dtype
    assert clf.score(X, Y) == sk.score(X, Y)
    assert clf.out_activation_ == sk.out_activation_ == "logistic"
    assert clf.n_outputs_ == sk.n_outputs_ == 3


def test_multilabel_loss_and_gradient_by_hand() -> None:
    # no hidden layer: Z = X W + b, J = mean_i sum_j log(1 + exp(-s_ij z_ij))
    # with s = 2y - 1, dJ/dZ = (sigmoid(Z) - Y) / n
    X = np.array([[1.0, -2.0], [0.5, 0.0], [-1.0, 3.0]])
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    W = np.array([[0.3, -0.2], [0.1, 0.4]])
    b = np.array([0.05, -0.1])
    Z = X @ W + b
    J_hand = np.mean(np.sum(np.logaddexp(0.0, -(2 * Y - 1) * Z), axis=1))
    D = (1 / (1 + np.exp(-Z)) - Y) / 3
    J, (gW, gb) = nn_mlp.loss_and_grad(
        [W, b], X, Y, activation="relu", loss="multilabel_log_loss"
    )
    assert J == pytest.approx(J_hand, rel=1e-14)
    np.testing.assert_allclose(gW, X.T @ D, rtol=1e-14)
    np.testing.assert_allclose(gb, D.sum(axis=0), rtol=1e-14)
    # and a weighted row counts as that many copies of it
    w = np.array([2.0, 1.0, 1.0])
    J_w, _ = nn_mlp.loss_and_grad(
        [W, b], X, Y, activation="relu", loss="multilabel_log_loss", sample_weight=w
    )
    J_rep, _ = nn_mlp.loss_and_grad(
        [W, b], X[[0, 0, 1, 2]], Y[[0, 0, 1, 2]], activation="relu",
        loss="multilabel_log_loss",
    )  # fmt: skip
    assert J_w * 3 / 4 == pytest.approx(J_rep, rel=1e-14)


def test_multilabel_targets_must_be_indicators() -> None:
    X, Y = multilabel_data(20)
    params = nn_mlp.init_params("xavier", 5, (), 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="must hold 0 or 1"):
        nn_mlp.loss_and_grad(params, X, Y * 2.0, loss="multilabel_log_loss")
    opt = steepest.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match="must hold 0 or 1"):
        steepest.models._epoch.run_epoch(
            "native", steepest.models._epoch.Network("mlp", "multilabel_log_loss"),
            params, opt, X, Y * 2.0, np.arange(20), 4,
        )  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
def test_multilabel_surface_and_held_out_quality(backend: str) -> None:
    # scikit-learn's MLPClassifier at the same settings (Adam, its own
    # initial weights and shuffling): held-out subset accuracy within 0.05
    X, Y = multilabel_data(600, 4)
    Xt, Yt, X, Y = X[:200], Y[:200], X[200:], Y[200:]
    settings = {"hidden_layer_sizes": (16,), "batch_size": 32, "random_state": 0}
    clf = steepest.MLPClassifier(
        learning_rate=0.01, max_iter=60, tol=None, backend=backend, **settings
    ).fit(X, Y)  # fmt: skip
    sk = SkMLPClassifier(learning_rate_init=0.01, max_iter=60, tol=0.0, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its ConvergenceWarning
        sk.fit(X, Y)
    assert abs(clf.score(Xt, Yt) - sk.score(Xt, Yt)) < 0.05
    assert clf.score(Xt, Yt) > 0.3  # chance (every label right) is ~0.06 here
    pred = clf.predict(Xt)
    proba = clf.predict_proba(Xt)
    assert pred.shape == proba.shape == (200, 4)
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    assert clf.score(Xt, Yt) == accuracy_score(Yt, pred)  # subset accuracy
    np.testing.assert_allclose(clf.predict_log_proba(Xt), np.log(proba))
    assert [W.shape for W in clf.coefs_] == [(5, 16), (16, 4)]


def test_multilabel_misuse_is_a_clear_error() -> None:
    X, Y = multilabel_data(40)
    kw = {"max_iter": 2, "tol": None, "random_state": 0, "hidden_layer_sizes": (4,)}
    with pytest.raises(ValueError, match="class_weight must be None with multi-label"):
        steepest.MLPClassifier(class_weight="balanced", **kw).fit(X, Y)
    with pytest.raises(
        ValueError, match=r"indicator matrix of 0 and 1.*'multiclass-multioutput'"
    ):
        steepest.MLPClassifier(**kw).fit(X, Y + Y[:, ::-1])
    with pytest.raises(ValueError, match="indicator matrix of 0 and 1"):
        steepest.MLPClassifier(**kw).fit(X, Y * 3 - 1)  # two values, not 0 and 1
    with pytest.raises(ValueError, match="y should be a 1d array"):
        steepest.LogisticRegression(max_iter=2).fit(X, Y)  # single-label only
    clf = steepest.MLPClassifier(warm_start=True, **kw).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="y shaped as in the previous fit"):
        clf.fit(X, Y)
    clf = steepest.MLPClassifier(warm_start=True, **kw).fit(X, Y)
    with pytest.raises(ValueError, match="needs multi-label y"):
        clf.fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="y shaped as in the previous fit"):
        clf.fit(X, Y[:, :2])
    with pytest.raises(ValueError, match="0/1 indicator matrix of 3 columns"):
        steepest.MLPClassifier(**kw).fit(X, Y, validation_data=(X, Y[:, :2]))
    # a fresh fit may change the kind of y
    clf = steepest.MLPClassifier(**kw).fit(X, Y)
    assert clf.fit(X, Y[:, 0]).predict(X).shape == (40,)


@pytest.mark.parametrize("backend", BACKENDS)
def test_multilabel_partial_fit_is_fit(backend: str) -> None:
    X, Y = multilabel_data(60)
    kw = {"hidden_layer_sizes": (4,), "random_state": 0, "backend": backend,
          "shuffle": False, "batch_size": 8}  # fmt: skip
    fit = steepest.MLPClassifier(max_iter=3, tol=None, **kw).fit(X, Y)
    part = steepest.MLPClassifier(**kw)
    for _ in range(3):
        part.partial_fit(X, Y)
    for a, b in zip(fit.coefs_, part.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    part.partial_fit(X, Y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="column indices"):
        steepest.MLPClassifier(**kw).partial_fit(X, Y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="needs multi-label y"):
        part.partial_fit(X, Y[:, 0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_multilabel_early_stopping_scores_subset_accuracy(backend: str) -> None:
    X, Y = multilabel_data(200)
    clf = steepest.MLPClassifier(
        hidden_layer_sizes=(8,), learning_rate=0.01, max_iter=30, tol=None,
        random_state=0, backend=backend, batch_size=32, early_stopping=True,
    ).fit(X, Y)  # fmt: skip
    assert clf.validation_scores_ is not None
    assert len(clf.validation_scores_) == 30
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    # validation_data scores the published weights by subset accuracy
    Xv, Yv = multilabel_data(50, seed=1)
    clf.set_params(early_stopping=False).fit(X, Y, validation_data=(Xv, Yv))
    assert clf.validation_scores_[-1] == clf.score(Xv, Yv)


# -- multi-output regressors ----------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_multioutput_mlp_matches_scikit_learn_from_the_same_weights(
    backend: str,
) -> None:
    X, Y = multioutput_data()
    lr, k = 0.05, Y.shape[1]
    # scikit-learn's gradient is k times the gradient of the loss both report
    reg = ours(steepest.MLPRegressor, backend, k * lr).fit(X, Y)
    sk = sklearn_twin(SkMLPRegressor(**sgd_settings(lr)), X, Y, initial(5, k))
    assert_same_fit(reg, sk)
    np.testing.assert_allclose(reg.predict(X), sk.predict(X), rtol=1e-9)
    assert reg.score(X, Y) == pytest.approx(sk.score(X, Y), rel=1e-9)
    assert reg.n_outputs_ == sk.n_outputs_ == k


@pytest.mark.parametrize("backend", BACKENDS)
def test_multioutput_linear_regression_is_least_squares(backend: str) -> None:
    X, Y = multioutput_data(300, 2)
    est = steepest.LinearRegression(
        learning_rate=0.05, max_iter=200, tol=None, alpha=0.0, random_state=0,
        backend=backend,
    ).fit(X, Y)  # fmt: skip
    ols = SkLinearRegression().fit(X, Y)
    assert est.coef_.shape == ols.coef_.shape == (2, 5)
    assert est.intercept_.shape == ols.intercept_.shape == (2,)
    np.testing.assert_allclose(est.coef_, ols.coef_, atol=0.02)
    np.testing.assert_allclose(est.intercept_, ols.intercept_, atol=0.02)
    pred = est.predict(X)
    assert pred.shape == (300, 2)
    # R^2 averaged uniformly over the outputs, as RegressorMixin.score
    assert est.score(X, Y) == pytest.approx(r2_score(Y, pred), rel=1e-12)
    assert est.score(X, Y) == pytest.approx(
        np.mean([r2_score(Y[:, j], pred[:, j]) for j in range(2)]), rel=1e-12
    )
    # 1-D y keeps 1-D predictions
    assert est.fit(X, Y[:, 0]).predict(X).shape == (300,)


# -- validation_data with weights -------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["MLPRegressor", "LinearRegression", "MLPClassifier"])
def test_validation_data_weights_weigh_the_score(backend: str, name: str) -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((80, 3))
    Xv = rng.standard_normal((30, 3))
    if name == "MLPClassifier":
        y, yv = (X[:, 0] > 0).astype(int), (Xv[:, 0] + 0.5 * Xv[:, 1] > 0).astype(int)
        est: Any = steepest.MLPClassifier(hidden_layer_sizes=(4,), learning_rate=0.01)
    else:
        y, yv = X @ [1.0, -1.0, 0.5], np.sin(Xv[:, 0]) + Xv[:, 1]
        est = getattr(steepest, name)()
    # float64: score() below predicts float64 X in float64 as validation does
    est.set_params(dtype=np.float64)
    est.set_params(max_iter=5, tol=None, random_state=0, backend=backend)
    wv = rng.integers(0, 4, 30).astype(float)
    est.fit(X, y, validation_data=(Xv, yv, wv))
    assert est.validation_scores_[-1] == pytest.approx(
        est.score(Xv, yv, sample_weight=wv), rel=1e-12
    )
    # integer weights are repeated rows
    rows = np.repeat(np.arange(30), wv.astype(int))
    est.fit(X, y, validation_data=(Xv[rows], yv[rows]))
    repeated = est.validation_scores_
    est.fit(X, y, validation_data=(Xv, yv, wv))
    np.testing.assert_allclose(est.validation_scores_, repeated, rtol=1e-9)
    # an unweighted score differs here (the weights matter)
    est.fit(X, y, validation_data=(Xv, yv))
    assert est.validation_scores_ != pytest.approx(repeated, rel=1e-6)


def test_validation_data_weights_drive_early_stopping() -> None:
    # the validation rows that count: weighting them changes the best epoch
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 2))
    y = X @ [2.0, -1.0]
    Xv = rng.standard_normal((40, 2))
    yv = Xv @ [2.0, -1.0]
    yv[:20] = -yv[:20]  # half the validation rows disagree with training
    w_good = np.r_[np.zeros(20), np.ones(20)]
    est = steepest.LinearRegression(
        learning_rate=0.02, max_iter=40, tol=1e-4, n_iter_no_change=3,
        early_stopping=True, random_state=0, backend="reference",
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        est.fit(X, y, validation_data=(Xv, yv, w_good))
    assert est.best_validation_score_ > 0.99
    assert est.best_validation_score_ == pytest.approx(
        est.score(Xv, yv, sample_weight=w_good), rel=1e-12
    )


def test_validation_data_weight_errors() -> None:
    est = steepest.LinearRegression(max_iter=2, tol=None)
    X = np.ones((10, 2))
    y = np.arange(10.0)
    with pytest.raises(ValueError, match=r"pair .* or a triple"):
        est.fit(X, y, validation_data=(X, y, None, None))
    with pytest.raises(
        ValueError, match=r"validation_data w_val must have shape \(4,\)"
    ):
        est.fit(X, y, validation_data=(X[:4], y[:4], np.ones(3)))
    with pytest.raises(ValueError, match="validation_data w_val must be >= 0"):
        est.fit(X, y, validation_data=(X[:4], y[:4], [1.0, -1.0, 1.0, 1.0]))
    w = np.ones(4)
    est.fit(X, y, validation_data=(X[:4], y[:4], w))
    np.testing.assert_array_equal(w, np.ones(4))  # not modified
    # None weighs every row 1
    est.fit(X, y, validation_data=(X[:4], y[:4], None))


def test_tags_let_scikit_learn_run_its_multi_output_checks() -> None:
    # parametrize_with_checks runs check_classifiers_multilabel_* and
    # check_regressor_multioutput only when these tags are set
    assert get_tags(steepest.MLPClassifier()).classifier_tags.multi_label
    assert not get_tags(steepest.LogisticRegression()).classifier_tags.multi_label
    for cls in (steepest.LinearRegression, steepest.MLPRegressor):
        assert get_tags(cls()).target_tags.multi_output


def test_sparse_indicator_y_trains_as_dense() -> None:
    # scikit-learn accepts a sparse indicator matrix; here it is densified
    X, Y = multilabel_data(40)
    kw = {"max_iter": 2, "tol": None, "random_state": 0, "hidden_layer_sizes": (4,)}
    dense = steepest.MLPClassifier(**kw).fit(X, Y)
    sparse = steepest.MLPClassifier(**kw).fit(X, csr_matrix(Y))
    for a, b in zip(dense.coefs_, sparse.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sparse.predict(X), dense.predict(X))
