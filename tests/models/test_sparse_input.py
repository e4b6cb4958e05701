"""scipy.sparse X for LinearRegression, LogisticRegression and the MLPs.

Twins: ``cpp/include/steepest/model/sparse.hpp`` (the native first layer on
CSR rows), the CSR gather in ``cpp/include/steepest/train/loop.hpp``, and the
reference's scipy products (``steepest.nn._inputs.check_X`` lets CSR through).

Sparse X must train like its densified copy: the same batches, the same
dense optimizer steps, the products summed in another order (CSR entry by
entry against the BLAS's GEMM, or scipy's against NumPy's), so the weights
agree to rounding. Tolerances: float64 1e-11 and float32 2e-5 of the
weights' scale after 5 short epochs (measured: 2e-16 and 1.5e-7), a few
hundred ulps of room for the training to amplify the summation order, below
test_native_parity.py's 1e-9 / 1e-4 (longer runs, more steps).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import steepest
from steepest import _core
from steepest.distributed import LocalCommunicator

from ._estimators import ESTIMATORS, weights

DTYPES = [np.float64, np.float32]
TOL = {np.float64: 1e-11, np.float32: 2e-5}


def sparse_data(name: str, n: int = 120, d: int = 30, seed: int = 0) -> tuple[Any, Any]:
    """CSR X (density ~0.2, one empty row, explicit zeros) and targets for ``name``."""
    rng = np.random.default_rng(seed)
    dense = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.2)
    dense[3] = 0.0  # an empty row
    X = sp.csr_matrix(dense)
    X.data[::7] = 0.0  # explicit zeros: stored, worth nothing
    w = rng.standard_normal(d)
    score = X @ w
    if name == "LogisticRegression":
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    elif name == "MLPClassifier":
        y = (score > np.median(score)).astype(int)
    elif name == "LinearRegression":
        y = score + 0.5
    else:
        y = np.tanh(score)
    return X, y


def make(name: str, backend: str, dtype: Any, **kw: Any) -> Any:
    params: dict[str, Any] = {
        "backend": backend, "dtype": dtype, "random_state": 0, "tol": None,
        "max_iter": 5, "batch_size": 16, "learning_rate": 0.02,
    }  # fmt: skip
    if name.startswith("MLP"):
        params["hidden_layer_sizes"] = (7,)
    params.update(kw)
    return getattr(steepest, name)(**params)


def assert_close(a: list[Any], b: list[Any], dtype: Any) -> None:
    for x, y in zip(a, b, strict=True):
        scale = max(1.0, float(np.max(np.abs(y))))
        np.testing.assert_allclose(x, y, rtol=0, atol=TOL[dtype] * scale)


def fit_both(est_sparse: Any, est_dense: Any, X: Any, y: Any, **kw: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        est_sparse.fit(X, y, **kw)
        est_dense.fit(X.toarray(), y, **kw)


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_sparse_fit_equals_densified(name: str, backend: str, dtype: Any) -> None:
    X, y = sparse_data(name)
    a, b = make(name, backend, dtype), make(name, backend, dtype)
    fit_both(a, b, X, y)
    assert_close(weights(a), weights(b), dtype)
    X_test = X[:20]
    pa, pb = a.predict(X_test), b.predict(X_test.toarray())
    if name.endswith("Classifier") or name == "LogisticRegression":
        np.testing.assert_array_equal(pa, pb)
        assert_close(
            [a.predict_proba(X_test)], [b.predict_proba(X_test.toarray())], dtype
        )
        assert a.score(X_test, y[:20]) == b.score(X_test.toarray(), y[:20])
    else:
        assert_close([pa], [pb], dtype)
        assert a.score(X_test, y[:20]) == pytest.approx(
            b.score(X_test.toarray(), y[:20]), abs=100 * TOL[dtype]
        )
    if name == "LogisticRegression":
        assert_close(
            [a.decision_function(X_test)],
            [b.decision_function(X_test.toarray())],
            dtype,
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_sparse_native_equals_reference(name: str, dtype: Any) -> None:
    X, y = sparse_data(name, seed=1)
    a, b = make(name, "native", dtype), make(name, "reference", dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        a.fit(X, y)
        b.fit(X, y)
    assert_close(weights(a), weights(b), dtype)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_split_epoch_on_sparse_rows(name: str) -> None:
    # the threaded epoch: every thread gathers its share of the batch as CSR
    X, y = sparse_data(name, n=200)
    a = make(name, "native", np.float64, batch_size=64, n_threads=2)
    b = make(name, "native", np.float64, batch_size=64, n_threads=2)
    _core._set_split_work(0.0)
    try:
        fit_both(a, b, X, y)
    finally:
        _core._set_split_work(-1.0)
    assert_close(weights(a), weights(b), np.float64)


@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize(
    "options",
    [
        {"early_stopping": True, "validation_fraction": 0.2},
        {"swa_start": 2, "max_iter": 4},
        {"ema_decay": 0.9},
        {"optimizer": "adam", "alpha": 1e-3, "l1_ratio": 0.5},
        {"shuffle": False, "batch_size": None},
    ],
    ids=["early-stopping", "swa", "ema", "adam-l1", "full-batch"],
)
@pytest.mark.parametrize("name", ESTIMATORS)
def test_sparse_options_equal_densified(
    name: str, backend: str, options: dict[str, Any]
) -> None:
    if "l1_ratio" in options and name.startswith("MLP"):
        options = {"optimizer": "adam", "alpha": 1e-3}
    X, y = sparse_data(name)
    a = make(name, backend, np.float64, **options)
    b = make(name, backend, np.float64, **options)
    fit_both(a, b, X, y)
    assert_close(weights(a), weights(b), np.float64)
    assert a.n_iter_ == b.n_iter_
    assert a.loss_curve_ == pytest.approx(b.loss_curve_, rel=1e-9)


@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_sparse_weights_warm_start_partial_fit(name: str, backend: str) -> None:
    X, y = sparse_data(name)
    sw = np.random.default_rng(3).uniform(0.0, 2.0, X.shape[0])
    extra: dict[str, Any] = {}
    if name in ("LogisticRegression", "MLPClassifier"):
        extra["class_weight"] = "balanced"
    a = make(name, backend, np.float64, warm_start=True, **extra)
    b = make(name, backend, np.float64, warm_start=True, **extra)
    fit_both(a, b, X, y, sample_weight=sw)
    fit_both(a, b, X, y, sample_weight=sw)  # warm: continues from the first fit
    assert_close(weights(a), weights(b), np.float64)
    # partial_fit on chunks, and validation_data given as sparse
    c, e = make(name, backend, np.float64), make(name, backend, np.float64)
    kw = (
        {"classes": np.unique(y)}
        if name.endswith("Classifier") or "Logistic" in name
        else {}
    )
    for lo in (0, 60):
        c.partial_fit(X[lo : lo + 60], y[lo : lo + 60], **kw)
        e.partial_fit(X[lo : lo + 60].toarray(), y[lo : lo + 60], **kw)
    assert_close(weights(c), weights(e), np.float64)
    f = make(name, backend, np.float64, early_stopping=True)
    g = make(name, backend, np.float64, early_stopping=True)
    f.fit(X[:90], y[:90], validation_data=(X[90:], y[90:]))
    g.fit(X[:90].toarray(), y[:90], validation_data=(X[90:].toarray(), y[90:]))
    assert f.validation_scores_ == pytest.approx(g.validation_scores_, rel=1e-9)


@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("name", ["LogisticRegression", "MLPRegressor"])
def test_sparse_data_parallel(name: str, backend: str) -> None:
    X, y = sparse_data(name)
    a, b = make(name, backend, np.float64), make(name, backend, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        a.fit(X, y, comm=LocalCommunicator())
        b.fit(X.toarray(), y, comm=LocalCommunicator())
    assert_close(weights(a), weights(b), np.float64)


FORMATS = {
    "csr_array": sp.csr_array,
    "csc_matrix": sp.csc_matrix,
    "coo_matrix": sp.coo_matrix,
    "csc_array": sp.csc_array,
    "lil_matrix": sp.lil_matrix,
    "dok_matrix": sp.dok_matrix,
}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("backend", ["native", "reference"])
def test_other_formats_and_sparse_arrays(backend: str, fmt: str) -> None:
    X, y = sparse_data("LogisticRegression")
    X = sp.csr_matrix(X.toarray())  # no explicit zeros: dok/lil would drop them
    other = FORMATS[fmt](X)
    a, b = (
        make("LogisticRegression", backend, np.float64),
        make("LogisticRegression", backend, np.float64),
    )
    a.fit(other, y)
    b.fit(X, y)
    assert_close(weights(a), weights(b), np.float64)
    np.testing.assert_array_equal(a.predict_proba(FORMATS[fmt](X)), b.predict_proba(X))


def _snapshot(X: Any) -> tuple[Any, ...]:
    return (X.data.copy(), X.indices.copy(), X.indptr.copy(), X.has_sorted_indices)


@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_unsorted_repeated_and_int64_indices_kept_as_given(
    name: str, backend: str
) -> None:
    X, y = sparse_data(name)
    # reverse each row's entries: the same matrix, indices unsorted
    data, ind = X.data.copy(), X.indices.copy()
    for r in range(X.shape[0]):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        data[lo:hi], ind[lo:hi] = data[lo:hi][::-1], ind[lo:hi][::-1]
    unsorted = sp.csr_matrix((data, ind, X.indptr), shape=X.shape)
    unsorted.has_sorted_indices = False
    wide = X.copy()  # scipy's constructor would narrow the indices to int32
    wide.indices, wide.indptr = X.indices.astype(np.int64), X.indptr.astype(np.int64)
    assert wide.indices.dtype == np.int64
    # every entry stored twice as two halves (not canonical: duplicates)
    counts = np.diff(X.indptr)
    twice = sp.csr_matrix(
        (
            np.repeat(X.data / 2, 2),
            np.repeat(X.indices, 2),
            np.concatenate([[0], np.cumsum(2 * counts)]),
        ),
        shape=X.shape,
    )
    assert not twice.has_canonical_format
    given = (unsorted, wide, twice)
    before = [_snapshot(m) for m in given]
    ref = make(name, backend, np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        ref.fit(X.toarray(), y)
        for m in given:
            est = make(name, backend, np.float64).fit(m, y)
            est.predict(m)
            assert_close(weights(est), weights(ref), np.float64)
    for m, snap in zip(given, before, strict=True):
        now = _snapshot(m)
        for x, z in zip(now[:3], snap[:3], strict=True):
            np.testing.assert_array_equal(x, z)
            assert x.dtype == z.dtype
        assert now[3] == snap[3]  # not sorted in place


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("name", ESTIMATORS)
def test_non_finite_sparse_X_is_an_error_naming_X(
    name: str, backend: str, bad: float
) -> None:
    X, y = sparse_data(name)
    X = X.copy()
    X.data[5] = bad
    est = make(name, backend, np.float64)
    with pytest.raises(ValueError, match="Input X contains"):
        est.fit(X, y)
    good, _ = sparse_data(name)
    est.fit(good, y)
    with pytest.raises(ValueError, match="Input X contains"):
        est.predict(X)


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_sparse_X_of_the_wrong_width(backend: str) -> None:
    X, y = sparse_data("LinearRegression")
    est = make("LinearRegression", backend, np.float64).fit(X, y)
    narrow = X[:, :-1]
    with pytest.raises(ValueError, match="X has 29 features"):
        est.predict(narrow)
    with pytest.raises(ValueError, match="X has 29 features"):
        est.partial_fit(narrow, y)


def test_binding_checks_the_csr_arrays() -> None:
    X, y = sparse_data("LinearRegression")
    params = [np.zeros((X.shape[1], 1)), np.zeros(1)]
    rule = {"kind": "sgd", "lr": 0.1, "momentum": 0.0, "dampening": 0.0,
            "weight_decay": 0.0, "nesterov": False, "maximize": False, "state": {}}  # fmt: skip
    perm = np.arange(X.shape[0], dtype=np.int64)

    def call(data: Any, indices: Any, indptr: Any) -> Any:
        return _core.train_epoch(
            params, rule, 0, None, 0.1, 1.0, data, y, perm, 16, "squared_error",
            "identity", 0.0, 0.0, 1, X_indices=indices, X_indptr=indptr,
        )  # fmt: skip

    ind, ptr = X.indices.astype(np.int32), X.indptr.astype(np.int64)
    call(X.data, ind, ptr)  # well formed
    trained = [p.copy() for p in params]
    with pytest.raises(ValueError, match=r"X_indices must be in \[0, 30\)"):
        call(X.data, np.where(ind == ind[0], 30, ind).astype(np.int32), ptr)
    bad = ptr.copy()
    bad[5], bad[6] = bad[6], bad[5] - 1
    with pytest.raises(ValueError, match="X_indptr must be non-decreasing"):
        call(X.data, ind, bad)
    with pytest.raises(ValueError, match="X_indptr must run from 0"):
        call(X.data, ind, ptr[:-1])
    with pytest.raises(TypeError, match="X_indices"):
        call(X.data, X.indices.astype(np.int64), ptr)
    with pytest.raises(ValueError, match="1-D data and X_indices of one length"):
        call(X.data[:-1], ind, ptr)
    for p, q in zip(params, trained, strict=True):
        np.testing.assert_array_equal(p, q)  # a refused call trains nothing
