"""Native SGD epochs equal the NumPy reference bit for bit.

Twins: ``cpp/include/steepest/sgd/plain.hpp`` (``steepest._core.sgd_epoch``)
and ``steepest.reference.sgd.sgd_epoch``; the estimators of
``python/steepest/models/sgd.py`` on both backends. Exact equality: the two
run the same float64 operations in the same order (the kernels compile with
``-ffp-contract=off``; the reference sums rows sequentially and calls the C
library's exp/log/pow through ``math``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import steepest
from steepest import _core
from steepest.reference import sgd as ref

from .test_sgd_estimators import (
    CANCER_X,
    CANCER_Y,
    DIAB_X,
    DIAB_Y,
    IRIS_X,
    IRIS_Y,
    text_like,
)

_FITTED = ("coef_", "intercept_", "n_iter_", "t_")


def _both(
    cls: Any, X: Any, y: Any, *, fit: dict[str, Any] | None = None, **kw: Any
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        a = cls(backend="native", **kw).fit(X, y, **(fit or {}))
        b = cls(backend="reference", **kw).fit(X, y, **(fit or {}))
    for name in _FITTED:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


CASES = [
    {"loss": "hinge"},
    {"loss": "log_loss", "penalty": "elasticnet", "average": 7},
    {"loss": "modified_huber", "penalty": "l1", "learning_rate": "invscaling"},
    {"loss": "squared_hinge", "learning_rate": "adaptive", "alpha": 1e-2},
    {"loss": "perceptron", "penalty": None, "learning_rate": "constant"},
    {"loss": "huber", "class_weight": "balanced", "average": True},
    {"loss": "log_loss", "early_stopping": True, "n_iter_no_change": 2},
    {"loss": "hinge", "fit_intercept": False, "alpha": 0.5},  # wscale resets
]


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kw", CASES, ids=str)
def test_classifier_backends_equal(
    kw: dict[str, Any], sparse: bool, shuffle: bool
) -> None:
    common = {"shuffle": shuffle, "random_state": 3, "max_iter": 6, **kw}
    sw = np.linspace(0.2, 2.0, IRIS_Y.shape[0])
    for X, y in ((IRIS_X, IRIS_Y), (CANCER_X[:200], CANCER_Y[:200])):
        Xs = sp.csr_matrix(X) if sparse else X
        _both(steepest.SGDClassifier, Xs, y, **common)
    Xs = sp.csr_matrix(IRIS_X) if sparse else IRIS_X
    _both(steepest.SGDClassifier, Xs, IRIS_Y, fit={"sample_weight": sw}, **common)


@pytest.mark.parametrize("shuffle", [False, True], ids=["ordered", "shuffled"])
@pytest.mark.parametrize(
    "kw",
    [{"loss": "squared_error"}, {"loss": "huber", "penalty": "l1", "average": 11},
     {"loss": "epsilon_insensitive", "learning_rate": "adaptive"},
     {"loss": "squared_epsilon_insensitive", "penalty": "elasticnet",
      "learning_rate": "optimal"},
     {"early_stopping": True}],
    ids=str,
)  # fmt: skip
def test_regressor_backends_equal(kw: dict[str, Any], shuffle: bool) -> None:
    for X in (DIAB_X, sp.csr_matrix(DIAB_X)):
        _both(
            steepest.SGDRegressor,
            X,
            DIAB_Y,
            shuffle=shuffle,
            random_state=1,
            max_iter=6,
            **kw,
        )


def test_generated_sparse_backends_equal() -> None:
    X = text_like(300, 500, 30, seed=2)
    y = np.asarray(X[:, :5].sum(axis=1)).ravel().astype(int) % 3
    _both(steepest.SGDClassifier, X, y, random_state=0, max_iter=4, penalty="elasticnet",
          average=100)  # fmt: skip


def test_partial_fit_backends_equal() -> None:
    fitted = []
    for backend in ("native", "reference"):
        clf = steepest.SGDClassifier(backend=backend, random_state=5, average=30)
        for part in np.array_split(np.random.default_rng(0).permutation(150), 4):
            clf.partial_fit(IRIS_X[part], IRIS_Y[part], classes=[0, 1, 2])
        fitted.append(clf)
    for name in _FITTED:
        np.testing.assert_array_equal(
            getattr(fitted[0], name), getattr(fitted[1], name)
        )


def _state(k: int, d: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    return {
        "coef": rng.standard_normal((k, d)), "intercept": rng.standard_normal(k),
        "wscale": np.full(k, 0.7), "sq_norm": np.full(k, 2.0), "l1_norm": np.full(k, 3.0),
        "u": np.zeros(k), "eta": np.full(k, 0.05), "pos_weight": np.linspace(1, 2, k),
        "neg_weight": np.ones(k), "active": np.array([1, 0, 1][:k], dtype=np.uint8),
        "pos_label": np.arange(k, dtype=np.int64), "q": np.zeros((k, d)),
        "avg_coef": np.zeros((k, d)), "avg_a": np.zeros(k), "avg_b": np.ones(k),
        "avg_intercept": np.zeros(k),
    }  # fmt: skip


@pytest.mark.parametrize(
    "loss", ["hinge", "log_loss", "modified_huber", "squared_hinge"]
)
@pytest.mark.parametrize("rate", [1, 2, 3, 4])
def test_epoch_kernel_equal_on_every_state_array(loss: str, rate: int) -> None:
    # one call of each epoch function on the same state: every array equal,
    # the inactive model untouched, the summed losses equal
    X = text_like(60, 40, 8, seed=4)
    y = np.arange(60, dtype=np.int64) % 3
    settings = {
        "loss": loss, "loss_param": 1.0, "penalty": 3, "learning_rate": rate,
        "alpha": 0.01, "l1_ratio": 0.3, "power_t": 0.5, "eta0": 0.05, "optimal_init": 50.0,
        "intercept_decay": 0.01, "t": 4.0, "average": 30, "fit_intercept": True,
        "track": True,
    }  # fmt: skip
    perm = np.random.default_rng(0).permutation(60).astype(np.int64)
    sw = np.linspace(0.5, 1.5, 60)
    out = []
    for fn in (_core.sgd_epoch, ref.sgd_epoch):
        state = _state(3, 40, seed=7)
        parts = (X.data, X.indices, X.indptr.astype(np.int64))
        losses = fn(*parts, y, sw, perm, state, settings)
        out.append((state, losses))
    (s1, l1), (s2, l2) = out
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key], err_msg=key)
    np.testing.assert_array_equal(l1[0], l2[0])
    np.testing.assert_array_equal(l1[1], l2[1])
    np.testing.assert_array_equal(s1["coef"][1], _state(3, 40, seed=7)["coef"][1])


def test_epoch_binding_checks_before_writing() -> None:
    X = np.ones((4, 3))
    state = _state(1, 3, seed=0)
    state["active"] = np.ones(1, dtype=np.uint8)
    before = {k: v.copy() for k, v in state.items()}
    settings = {
        "loss": "hinge", "loss_param": 1.0, "penalty": 2, "learning_rate": 1, "alpha": 0.1,
        "l1_ratio": 0.0, "power_t": 0.5, "eta0": 0.1, "optimal_init": 0.0,
        "intercept_decay": 1.0, "t": 1.0, "average": 0, "fit_intercept": True, "track": True,
    }  # fmt: skip
    y = np.zeros(4, dtype=np.int64)
    with pytest.raises(ValueError, match="perm"):
        _core.sgd_epoch(X, None, None, y, np.ones(4), np.array([0, 9]), state, settings)
    with pytest.raises(ValueError, match="sample_weight"):
        _core.sgd_epoch(X, None, None, y, np.ones(3), np.arange(4), state, settings)
    with pytest.raises(ValueError, match="indices of row 0 must be sorted"):
        _core.sgd_epoch(
            np.ones(2), np.array([2, 1], dtype=np.int32), np.array([0, 2, 2, 2, 2]),
            y, np.ones(4), np.arange(4), state, settings,
        )  # fmt: skip
    for key, value in before.items():
        np.testing.assert_array_equal(state[key], value, err_msg=key)


def test_one_vs_rest_classes_share_one_native_call_per_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = []

    def counted(*args: Any) -> Any:
        calls.append(args[6]["coef"].shape[0])  # models updated by this call
        return sgd_epoch(*args)

    sgd_epoch = _core.sgd_epoch
    monkeypatch.setattr(_core, "sgd_epoch", counted)
    steepest.SGDClassifier(max_iter=4, tol=None, random_state=0).fit(IRIS_X, IRIS_Y)
    assert calls == [3, 3, 3, 3]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("kw", CASES, ids=str)
def test_float32_backends_equal(kw: dict[str, Any], sparse: bool) -> None:
    common = {"dtype": np.float32, "random_state": 3, "max_iter": 5, **kw}
    sw = np.linspace(0.2, 2.0, IRIS_Y.shape[0])
    X = sp.csr_matrix(IRIS_X) if sparse else IRIS_X
    _both(steepest.SGDClassifier, X, IRIS_Y, fit={"sample_weight": sw}, **common)
    reg = {"loss": "huber", "average": 9} if "average" in kw else {}
    Xr = sp.csr_matrix(DIAB_X) if sparse else DIAB_X
    _both(steepest.SGDRegressor, Xr, DIAB_Y, dtype=np.float32, max_iter=3, random_state=1,
          **reg)  # fmt: skip


def test_float32_fits_in_float32_and_stays_close_to_float64() -> None:
    kw = {"loss": "log_loss", "shuffle": False, "max_iter": 5, "tol": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        single = steepest.SGDClassifier(dtype=np.float32, **kw).fit(IRIS_X, IRIS_Y)
        double = steepest.SGDClassifier(**kw).fit(IRIS_X, IRIS_Y)
    assert single.coef_.dtype == np.float32
    assert single.intercept_.dtype == np.float32
    assert double.coef_.dtype == np.float64
    # float32 rounding, not another algorithm
    np.testing.assert_allclose(single.coef_, double.coef_, rtol=1e-3, atol=1e-3)
    assert not np.array_equal(single.coef_, double.coef_.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [1, 2, 3, 5])
def test_epoch_kernel_equal_in_each_dtype(dtype: Any, rate: int) -> None:
    # settings['learning_rate'] 5 reads the rate of row r from settings['etas']
    X = text_like(60, 40, 8, seed=4)
    y = np.arange(60, dtype=np.int64) % 3
    settings = {
        "loss": "log_loss", "loss_param": 0.0, "penalty": 3, "learning_rate": rate,
        "alpha": 0.01, "l1_ratio": 0.3, "power_t": 0.5, "eta0": 0.05, "optimal_init": 50.0,
        "intercept_decay": 0.01, "t": 4.0, "average": 30, "fit_intercept": True,
        "track": True, "etas": np.linspace(0.2, 0.01, 60), "n_threads": 2,
    }  # fmt: skip
    perm = np.random.default_rng(0).permutation(60).astype(np.int64)
    sw = np.linspace(0.5, 1.5, 60).astype(dtype)
    out = []
    for fn in (_core.sgd_epoch, ref.sgd_epoch):
        state = {
            k: (v.astype(dtype) if v.dtype == np.float64 and k != "eta" else v)
            for k, v in _state(3, 40, seed=7).items()
        }
        parts = (X.data.astype(dtype), X.indices, X.indptr.astype(np.int64))
        losses = fn(*parts, y, sw, perm, state, settings)
        out.append((state, losses))
    (s1, l1), (s2, l2) = out
    for key in s1:
        assert s1[key].dtype == s2[key].dtype
        np.testing.assert_array_equal(s1[key], s2[key], err_msg=key)
    np.testing.assert_array_equal(l1[0], l2[0])
    np.testing.assert_array_equal(l1[1], l2[1])
    assert s1["coef"].dtype == dtype


def test_epoch_binding_checks_dtypes_and_rates() -> None:
    X = np.ones((4, 3))
    settings = {
        "loss": "hinge", "loss_param": 1.0, "penalty": 2, "learning_rate": 5, "alpha": 0.1,
        "l1_ratio": 0.0, "power_t": 0.5, "eta0": 0.1, "optimal_init": 0.0,
        "intercept_decay": 1.0, "t": 1.0, "average": 0, "fit_intercept": True, "track": True,
    }  # fmt: skip
    y = np.zeros(4, dtype=np.int64)
    state = _state(1, 3, seed=0)
    state["active"] = np.ones(1, dtype=np.uint8)
    with pytest.raises(ValueError, match="lacks 'etas'"):
        _core.sgd_epoch(X, None, None, y, np.ones(4), np.arange(4), state, settings)
    with pytest.raises(ValueError, match="at least 4 rates"):
        _core.sgd_epoch(X, None, None, y, np.ones(4), np.arange(4), state,
                        {**settings, "etas": np.ones(3)})  # fmt: skip
    single = {k: v.astype(np.float32) if k != "eta" and v.dtype == np.float64 else v
              for k, v in state.items()}  # fmt: skip
    ok = {**settings, "etas": np.ones(4)}
    with pytest.raises(TypeError, match="X has dtype float64; expected float32"):
        _core.sgd_epoch(
            X, None, None, y, np.ones(4, np.float32), np.arange(4), single, ok
        )
    with pytest.raises(TypeError, match="state\\['coef'\\] has dtype int64"):
        _core.sgd_epoch(X, None, None, y, np.ones(4), np.arange(4),
                        {**state, "coef": np.ones((1, 3), np.int64)}, ok)  # fmt: skip
    np.testing.assert_array_equal(single["coef"], state["coef"].astype(np.float32))


def _big_multiclass(sparse: bool) -> tuple[Any, Any]:
    # large enough for the native epoch to go parallel (k * nonzeros >= 1e6 an
    # epoch, >= 256K a batch of the mini-batch cases)
    rng = np.random.default_rng(3)
    if sparse:
        X = text_like(8000, 3000, 200, seed=5)
    else:
        X = rng.standard_normal((4000, 100))
    return X, rng.integers(0, 4, X.shape[0])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(
    "kw",
    [{"loss": "log_loss", "penalty": "elasticnet", "average": 500},
     {"loss": "hinge", "optimizer": "adam", "learning_rate": "constant",
      "batch_size": 2048},
     {"loss": "modified_huber", "batch_size": 1536, "learning_rate": "constant",
      "penalty": "l1"}],
    ids=["plain", "adam", "minibatch"],
)  # fmt: skip
def test_thread_count_changes_no_bit(kw: dict[str, Any], sparse: bool) -> None:
    X, y = _big_multiclass(sparse)
    fits = [
        steepest.SGDClassifier(n_threads=n, max_iter=2, tol=None, random_state=0, **kw)
        .fit(X, y)
        .coef_
        for n in (1, 2, 3, None)
    ]
    for coef in fits[1:]:
        np.testing.assert_array_equal(coef, fits[0])
