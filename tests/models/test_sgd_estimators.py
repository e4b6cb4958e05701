"""SGDClassifier / SGDRegressor against scikit-learn: API, numbers, bad input.

Twins: ``python/steepest/models/sgd.py`` (and ``_sgd_base.py``,
``_sgd_fit.py``). The native/reference parity is in ``test_sgd_parity.py``.

Tolerance against scikit-learn with ``shuffle=False``: relative 1e-12 of the
largest |coef|. Both run the same float64 operations in the same order with
the same C library's exp/log/pow, so the fits agree to the last bit on this
machine; the margin covers what is not ours to order: scikit-learn computes
the starting norms (used only by the stopping objective) and folds wscale at
the end with BLAS (ddot, dasum, daxpy, dscal), which may use FMA or another
summation order elsewhere.
"""

from __future__ import annotations

import inspect
import itertools
import warnings
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import steepest
from sklearn import linear_model as sk
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_iris,
    make_classification,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

RTOL = 1e-12
PAIRS = [
    (steepest.SGDClassifier, sk.SGDClassifier),
    (steepest.SGDRegressor, sk.SGDRegressor),
]


def _scaled(X: Any) -> Any:
    return StandardScaler().fit_transform(X)


IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_X = _scaled(IRIS_X)
CANCER_X, CANCER_Y = load_breast_cancer(return_X_y=True)
CANCER_X = _scaled(CANCER_X)
DIAB_X, DIAB_Y = load_diabetes(return_X_y=True)
DIAB_X = _scaled(DIAB_X)
DIAB_Y = (DIAB_Y - DIAB_Y.mean()) / DIAB_Y.std()


def text_like(n: int, d: int, nnz: int, seed: int) -> sp.csr_matrix:
    """Sparse rows with Zipf-distributed feature frequencies (like word counts)."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        cols = np.unique(np.minimum(rng.zipf(1.3, size=nnz), d) - 1)
        rows.append(cols)
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    indices = np.concatenate(rows).astype(np.int32)
    data = rng.integers(1, 4, size=indices.size).astype(np.float64)
    return sp.csr_matrix((data, indices, indptr), shape=(n, d))


def _close(ours: Any, theirs: Any) -> None:
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    scale = max(1.0, float(np.abs(theirs).max()))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=RTOL * scale)


def _same_fit(ours: Any, theirs: Any) -> None:
    _close(ours.coef_, theirs.coef_)
    _close(ours.intercept_, theirs.intercept_)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_


@pytest.mark.parametrize(
    ("ours", "theirs"), PAIRS, ids=lambda c: c.__module__.split(".")[0]
)
def test_constructor_is_scikit_learns_plus_backend(ours: Any, theirs: Any) -> None:
    mine = inspect.signature(ours).parameters
    sks = inspect.signature(theirs).parameters
    own = [
        "optimizer",
        "optimizer_params",
        "batch_size",
        "backend",
        "dtype",
        "n_threads",
    ]
    assert list(mine) == [*sks, *own]
    for name, p in sks.items():
        assert (mine[name].default, mine[name].kind) == (p.default, p.kind), name
    defaults = [mine[name].default for name in own]
    assert defaults == ["sgd", None, 1, "native", np.float64, None]


_CHECKED = [
    cls(backend=b)
    for b in ("native", "reference")
    for cls in (steepest.SGDClassifier, steepest.SGDRegressor)
]
# scikit-learn expects these of SGD too (it lists them as expected failures
# for its own SGD estimators): a sample seen twice in a row is not a sample
# with weight 2 in a per-sample algorithm.
_WEIGHT_EQUIVALENCE = {
    "check_sample_weight_equivalence_on_dense_data": "per-sample SGD: weight 2 is "
    "not the row repeated",
    "check_sample_weight_equivalence_on_sparse_data": "per-sample SGD: weight 2 is "
    "not the row repeated",
}


@parametrize_with_checks(_CHECKED, expected_failed_checks=lambda e: _WEIGHT_EQUIVALENCE)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", steepest.ConvergenceWarning)
        check(estimator)


CLASSIFIER_LOSSES = ["hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron",
                     "squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive"]  # fmt: skip
REGRESSOR_LOSSES = ["squared_error", "huber", "epsilon_insensitive",
                    "squared_epsilon_insensitive"]  # fmt: skip
PENALTIES = ["l2", "l1", "elasticnet", None]
RATES = ["optimal", "constant", "invscaling", "adaptive"]


def _grid(losses: list[str]) -> list[tuple[str, Any, str]]:
    # every loss with every penalty at the default rate, and every loss with
    # every rate at elasticnet (which runs both the l2 scaling and the l1 path)
    out = {(loss, pen, "optimal") for loss in losses for pen in PENALTIES}
    out |= {(loss, "elasticnet", rate) for loss in losses for rate in RATES}
    return sorted(out, key=str)


def _fit_both(ours: Any, theirs: Any, X: Any, y: Any, **fit: Any) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarnings of short runs
        return ours.fit(X, y, **fit), theirs.fit(X, y, **fit)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(("loss", "penalty", "rate"), _grid(CLASSIFIER_LOSSES), ids=str)
def test_classifier_equals_scikit_learn(
    loss: str, penalty: Any, rate: str, sparse: bool
) -> None:
    kw = {"loss": loss, "penalty": penalty, "learning_rate": rate, "alpha": 1e-3,
          "shuffle": False, "max_iter": 12, "eta0": 0.01}  # fmt: skip
    for X, y in ((IRIS_X, IRIS_Y), (CANCER_X, CANCER_Y)):
        Xs = sp.csr_matrix(X) if sparse else X
        ours, theirs = _fit_both(
            steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), Xs, y
        )
        _same_fit(ours, theirs)
        np.testing.assert_array_equal(ours.predict(Xs), theirs.predict(Xs))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(("loss", "penalty", "rate"), _grid(REGRESSOR_LOSSES), ids=str)
def test_regressor_equals_scikit_learn(
    loss: str, penalty: Any, rate: str, sparse: bool
) -> None:
    kw = {"loss": loss, "penalty": penalty, "learning_rate": rate, "alpha": 1e-3,
          "shuffle": False, "max_iter": 12}  # fmt: skip
    X = sp.csr_matrix(DIAB_X) if sparse else DIAB_X
    ours, theirs = _fit_both(
        steepest.SGDRegressor(**kw), sk.SGDRegressor(**kw), X, DIAB_Y
    )
    _same_fit(ours, theirs)


@pytest.mark.parametrize(
    "extra",
    [{"average": True}, {"average": 50}, {"fit_intercept": False},
     {"class_weight": "balanced"}, {"class_weight": {0: 2.0, 2: 0.5}},
     {"tol": None, "max_iter": 3}, {"n_iter_no_change": 2, "tol": 1e-2},
     {"learning_rate": "adaptive", "eta0": 0.5, "tol": 1e-2}],
    ids=str,
)  # fmt: skip
def test_classifier_options_equal_scikit_learn(extra: dict[str, Any]) -> None:
    kw = {"shuffle": False, "max_iter": 30, "alpha": 1e-3, **extra}
    sw = np.linspace(0.5, 2.0, IRIS_Y.shape[0])
    for X in (IRIS_X, sp.csr_matrix(IRIS_X)):
        ours, theirs = _fit_both(
            steepest.SGDClassifier(**kw),
            sk.SGDClassifier(**kw),
            X,
            IRIS_Y,
            sample_weight=sw,
        )
        _same_fit(ours, theirs)


def test_init_warm_start_and_partial_fit_equal_scikit_learn() -> None:
    kw = {
        "shuffle": False,
        "max_iter": 5,
        "tol": None,
        "average": 20,
        "penalty": "elasticnet",
    }
    rng = np.random.default_rng(0)
    coef0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(3)
    ours, theirs = _fit_both(
        steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), IRIS_X, IRIS_Y,
        coef_init=coef0, intercept_init=b0,
    )  # fmt: skip
    _same_fit(ours, theirs)
    ours.set_params(warm_start=True, max_iter=3)
    theirs.set_params(warm_start=True, max_iter=3)
    _same_fit(*_fit_both(ours, theirs, IRIS_X, IRIS_Y))
    a, b = steepest.SGDRegressor(shuffle=False), sk.SGDRegressor(shuffle=False)
    for part in np.array_split(np.arange(DIAB_Y.shape[0]), 4):
        a.partial_fit(DIAB_X[part], DIAB_Y[part])
        b.partial_fit(DIAB_X[part], DIAB_Y[part])
    _same_fit(a, b)
    a, b = steepest.SGDClassifier(shuffle=False), sk.SGDClassifier(shuffle=False)
    for part in np.array_split(np.arange(IRIS_Y.shape[0]), 3):
        a.partial_fit(IRIS_X[part], IRIS_Y[part], classes=[0, 1, 2])
        b.partial_fit(IRIS_X[part], IRIS_Y[part], classes=[0, 1, 2])
    _same_fit(a, b)


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "squared_error"])
@pytest.mark.parametrize("penalty", ["l2", "elasticnet"])
def test_generated_sparse_equals_scikit_learn(loss: str, penalty: str) -> None:
    X = text_like(400, 300, 20, seed=1)
    y = (np.asarray(X[:, :10].sum(axis=1)).ravel() > 3).astype(int)
    kw = {"loss": loss, "penalty": penalty, "shuffle": False, "max_iter": 8}
    _same_fit(*_fit_both(steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), X, y))
    y3 = y + (np.asarray(X[:, 10:20].sum(axis=1)).ravel() > 2)
    _same_fit(*_fit_both(steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), X, y3))


_SHUFFLED = [
    (loss, pen, {}) for loss in ("hinge", "log_loss") for pen in PENALTIES[:3]
] + [
    # the final iterate of these two varies by ~0.02 between seeds in
    # scikit-learn itself: compared averaged (ASGD), whose spread is small
    (loss, pen, {"average": True})
    for loss in ("modified_huber", "squared_hinge")
    for pen in PENALTIES[:3]
]


@pytest.mark.parametrize(("loss", "penalty", "extra"), _SHUFFLED, ids=str)
def test_shuffled_held_out_scores_within_001(
    loss: str, penalty: str, extra: dict[str, Any]
) -> None:
    # shuffles differ (numpy Generator vs scikit-learn's per-class seeds), so
    # each side's held-out accuracy is the mean over the same 8 seeds
    X, y = make_classification(
        n_samples=8000, n_features=20, n_informative=10, n_classes=3, class_sep=1.5,
        random_state=0,
    )  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(
        _scaled(X), y, test_size=0.5, random_state=0
    )
    scores = []
    for cls in (steepest.SGDClassifier, sk.SGDClassifier):
        runs = [
            cls(loss=loss, penalty=penalty, random_state=s, **extra).fit(
                X_train, y_train
            )
            for s in range(8)
        ]
        scores.append([r.score(X_test, y_test) for r in runs])
    # 0.01, or three standard errors of the difference of the two means where
    # the seeds spread wider: modified_huber with an L1 term spreads 0.82-0.86
    # over seeds in scikit-learn 1.9.1 itself, its mean's error alone ~0.005
    a, b = np.asarray(scores)
    error = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / len(a))
    assert abs(a.mean() - b.mean()) <= max(0.01, 3 * error), scores


def test_shuffled_regressor_held_out_score_within_001() -> None:
    X_train, X_test, y_train, y_test = train_test_split(
        DIAB_X, DIAB_Y, test_size=0.5, random_state=0
    )
    scores = [
        np.mean([cls(random_state=s).fit(X_train, y_train).score(X_test, y_test)
                 for s in range(4)])
        for cls in (steepest.SGDRegressor, sk.SGDRegressor)
    ]  # fmt: skip
    assert abs(scores[0] - scores[1]) <= 0.01, scores


@pytest.mark.parametrize("loss", ["log_loss", "modified_huber"])
@pytest.mark.parametrize("data", ["binary", "multiclass"])
def test_predict_proba_equals_scikit_learn(loss: str, data: str) -> None:
    X, y = (CANCER_X, CANCER_Y) if data == "binary" else (IRIS_X, IRIS_Y)
    kw = {"loss": loss, "shuffle": False, "max_iter": 10}
    ours, theirs = _fit_both(steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), X, y)
    _close(ours.predict_proba(X), theirs.predict_proba(X))
    with np.errstate(divide="ignore"):  # scikit-learn's log of a 0 probability
        theirs_log = theirs.predict_log_proba(X)
    np.testing.assert_array_equal(
        ours.predict_log_proba(X) == -np.inf, theirs_log == -np.inf
    )
    finite = np.isfinite(theirs_log)
    _close(ours.predict_log_proba(X)[finite], theirs_log[finite])
    assert not hasattr(steepest.SGDClassifier(loss="hinge"), "predict_proba")


def test_sparsify_densify_keep_predictions() -> None:
    clf = steepest.SGDClassifier(penalty="l1", alpha=0.01, random_state=0).fit(
        IRIS_X, IRIS_Y
    )
    before = clf.decision_function(IRIS_X)
    clf.sparsify()
    assert sp.issparse(clf.coef_)
    np.testing.assert_allclose(clf.decision_function(IRIS_X), before, rtol=1e-12)
    clf.densify()
    assert isinstance(clf.coef_, np.ndarray)
    reg = steepest.SGDRegressor(random_state=0).fit(DIAB_X, DIAB_Y)
    pred = reg.predict(DIAB_X)
    np.testing.assert_allclose(reg.sparsify().predict(DIAB_X), pred, rtol=1e-12)


def test_strong_l1_gives_zeros() -> None:
    clf = steepest.SGDClassifier(penalty="l1", alpha=10.0, random_state=0).fit(
        IRIS_X, IRIS_Y
    )
    assert np.all(clf.coef_ == 0)


# ---- bad input: a clear error or a documented treatment, the user's data untouched


def _frozen(*arrays: Any) -> list[Any]:
    return [a.copy() for a in arrays]


def _untouched(before: list[Any], after: list[Any]) -> None:
    for a, b in zip(before, after, strict=True):
        if sp.issparse(a):
            assert (a != b).nnz == 0
            for part in ("data", "indices", "indptr"):
                np.testing.assert_array_equal(getattr(a, part), getattr(b, part))
        else:
            np.testing.assert_array_equal(a, b)


def _csr(X: Any) -> sp.csr_matrix:
    return sp.csr_matrix(X)


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_csr_int64_indices_are_converted_not_modified(backend: str) -> None:
    X = _csr(IRIS_X)
    X64 = X.copy()
    # scipy's constructor would pick int32 again: set the arrays themselves
    X64.indices = X.indices.astype(np.int64)
    X64.indptr = X.indptr.astype(np.int64)
    before = _frozen(X64)
    kw = {"shuffle": False, "max_iter": 5, "tol": None, "backend": backend}
    a = steepest.SGDClassifier(**kw).fit(X64, IRIS_Y)
    b = steepest.SGDClassifier(**kw).fit(X, IRIS_Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert X64.indices.dtype == np.int64
    _untouched(before, [X64])


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_unsorted_and_duplicate_indices_are_canonicalised_on_a_copy(
    backend: str,
) -> None:
    X = _csr(IRIS_X)
    # reverse each row's entries and split each first entry in two halves
    data, indices, indptr = [], [], [0]
    for i in range(X.shape[0]):
        lo, hi = X.indptr[i], X.indptr[i + 1]
        d, j = X.data[lo:hi][::-1], X.indices[lo:hi][::-1]
        data += [d[0] / 2, d[0] / 2, *d[1:]]
        indices += [j[0], j[0], *j[1:]]
        indptr.append(len(data))
    messy = sp.csr_matrix(
        (np.array(data), np.array(indices), np.array(indptr)), shape=X.shape
    )
    assert not messy.has_canonical_format
    before = _frozen(messy)
    kw = {"shuffle": False, "max_iter": 5, "tol": None, "backend": backend}
    a = steepest.SGDClassifier(**kw).fit(messy, IRIS_Y)
    b = steepest.SGDClassifier(**kw).fit(X, IRIS_Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    _untouched(before, [messy])


def test_explicit_zeros_and_empty_rows_follow_scikit_learn() -> None:
    X = _csr(IRIS_X)
    X.data[::3] = 0.0  # stored zeros
    X[::10] = 0.0  # some rows empty (stored zeros in them too)
    assert X.nnz > X.count_nonzero()
    before = _frozen(X)
    for penalty in ("l2", "l1", "elasticnet"):
        kw = {"penalty": penalty, "shuffle": False, "max_iter": 6}
        _same_fit(
            *_fit_both(steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), X, IRIS_Y)
        )
    _untouched(before, [X])
    # without L1 a stored zero changes nothing
    kw = {"shuffle": False, "max_iter": 6, "tol": None}
    clean = X.copy()
    clean.eliminate_zeros()
    a = steepest.SGDClassifier(**kw).fit(X, IRIS_Y)
    np.testing.assert_array_equal(
        a.coef_, steepest.SGDClassifier(**kw).fit(clean, IRIS_Y).coef_
    )


@pytest.mark.parametrize("cls", [steepest.SGDClassifier, steepest.SGDRegressor])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_nan_is_an_error(cls: Any, sparse: bool) -> None:
    X = IRIS_X.copy()
    X[3, 1] = np.nan
    Xs = _csr(X) if sparse else X
    with pytest.raises(ValueError, match="NaN"):
        cls().fit(Xs, IRIS_Y)


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_bad_weights_are_errors_and_inputs_stay(backend: str) -> None:
    X, y = IRIS_X.copy(), IRIS_Y.copy()
    w = np.ones(y.shape[0])
    before = _frozen(X, y, w)
    clf = steepest.SGDClassifier(backend=backend)
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=w[:-1])
    w_neg = w.copy()
    w_neg[5] = -1.0
    with pytest.raises(ValueError, match="sample_weight must be >= 0"):
        clf.fit(X, y, sample_weight=w_neg)
    with pytest.raises(ValueError, match="class_weight"):
        steepest.SGDClassifier(class_weight={0: 1.0, 7: 2.0}, backend=backend).fit(X, y)
    assert not hasattr(clf, "coef_")
    clf.fit(X, y, sample_weight=w)
    _untouched(before, [X, y, w])


def test_parameter_errors() -> None:
    with pytest.raises(
        ValueError, match="alpha must be > 0 with learning_rate='optimal'"
    ):
        steepest.SGDClassifier(alpha=0).fit(IRIS_X, IRIS_Y)
    with pytest.raises(
        ValueError, match="early_stopping must be False with partial_fit"
    ):
        steepest.SGDClassifier(early_stopping=True).partial_fit(
            IRIS_X, IRIS_Y, classes=[0, 1, 2]
        )
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        steepest.SGDClassifier().partial_fit(IRIS_X, IRIS_Y)
    with pytest.raises(ValueError, match="balanced"):
        steepest.SGDClassifier(class_weight="balanced").partial_fit(
            IRIS_X, IRIS_Y, classes=[0, 1, 2]
        )
    with pytest.raises(ValueError, match="loss must be"):
        steepest.SGDRegressor(loss="hinge").fit(DIAB_X, DIAB_Y)
    with pytest.raises(ValueError, match="at least two classes"):
        steepest.SGDClassifier().fit(IRIS_X, np.zeros(IRIS_Y.shape[0]))


@pytest.mark.parametrize("cls", [steepest.SGDClassifier, steepest.SGDRegressor])
def test_too_small_validation_set_is_an_error(cls: Any) -> None:
    # the cases: two samples, or one validation row for a regressor
    rows = [0, 50, 100, 1, 51, 101, 2, 52, 102, 3]
    X, y = IRIS_X[rows], IRIS_Y[rows]
    for n in (2, 10):
        with pytest.raises(ValueError, match="validation"):
            cls(early_stopping=True, validation_fraction=0.1).fit(X[:n], y[:n])


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_early_stopping_stops(backend: str) -> None:
    clf = steepest.SGDClassifier(
        early_stopping=True, n_iter_no_change=3, random_state=0, backend=backend
    ).fit(CANCER_X, CANCER_Y)
    assert clf.n_iter_ < 50
    assert clf.score(CANCER_X, CANCER_Y) > 0.9


def test_ovr_classes_stop_independently_like_scikit_learn() -> None:
    kw = {"shuffle": False, "tol": 1e-2, "n_iter_no_change": 2}
    ours, theirs = _fit_both(
        steepest.SGDClassifier(**kw), sk.SGDClassifier(**kw), IRIS_X, IRIS_Y
    )
    _same_fit(ours, theirs)


def test_grid_is_representative() -> None:
    # every loss, penalty and learning rate appears in the equivalence grid
    grid = _grid(CLASSIFIER_LOSSES)
    for values, column in zip((CLASSIFIER_LOSSES, PENALTIES, RATES), zip(*grid, strict=True),
                              strict=True):  # fmt: skip
        assert set(values) <= set(column)
    assert len(list(itertools.product(REGRESSOR_LOSSES, PENALTIES))) <= len(
        _grid(REGRESSOR_LOSSES)
    )


@pytest.mark.parametrize("cls", [steepest.SGDClassifier, steepest.SGDRegressor])
def test_dtype_and_n_threads_errors(cls: Any) -> None:
    X, y = (IRIS_X, IRIS_Y) if cls is steepest.SGDClassifier else (DIAB_X, DIAB_Y)
    for bad in (np.int32, np.float16, "complex128", "f8x"):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            cls(dtype=bad).fit(X, y)
    with pytest.raises(ValueError, match="n_threads must be"):
        cls(n_threads=0).fit(X, y)
    with pytest.raises(TypeError, match="n_threads must be"):
        cls(n_threads=1.5).fit(X, y)
    for bad in (0.01, [0.1]):
        with pytest.raises(
            TypeError, match=r"learning_rate must be one of .* or a steepest schedule"
        ):
            cls(learning_rate=bad).fit(X, y)
    with pytest.raises(ValueError, match="learning_rate must be"):
        cls(learning_rate="fast").fit(X, y)


def test_partial_fit_in_another_dtype_is_refused() -> None:
    clf = steepest.SGDClassifier(dtype="float32").partial_fit(
        IRIS_X, IRIS_Y, classes=[0, 1, 2]
    )
    before = clf.coef_.copy()
    with pytest.raises(
        ValueError, match="dtype float64 differs from the fitted model's float32"
    ):
        clf.set_params(dtype=np.float64).partial_fit(IRIS_X, IRIS_Y)
    np.testing.assert_array_equal(clf.coef_, before)
    assert clf.fit(IRIS_X, IRIS_Y).coef_.dtype == np.float64  # fit starts over


@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_float32_input_follows_dtype(backend: str, sparse: bool) -> None:
    X = IRIS_X.astype(np.float32)
    X = sp.csr_matrix(X) if sparse else X
    kw = {"backend": backend, "max_iter": 3, "tol": None, "shuffle": False}
    a = steepest.SGDClassifier(**kw).fit(X, IRIS_Y)
    b = steepest.SGDClassifier(**kw).fit(X.astype(np.float64), IRIS_Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)  # float32 X, float64 fit
    c = steepest.SGDClassifier(dtype=np.float32, **kw).fit(X, IRIS_Y)
    assert c.coef_.dtype == np.float32
    assert c.predict(X).tolist() == c.predict(X.astype(np.float64)).tolist()


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_schedule_as_learning_rate_is_per_row(backend: str) -> None:
    # StepLR halving after each epoch's n rows = a constant-rate fit and a
    # partial_fit at half the rate (no penalty: nothing else carries over)
    n = IRIS_Y.shape[0]
    kw = {"shuffle": False, "tol": None, "penalty": None, "backend": backend}
    sched = steepest.schedules.StepLR(lr=0.02, step_size=n, gamma=0.5)
    a = steepest.SGDClassifier(learning_rate=sched, eta0=5.0, max_iter=2, **kw)
    a.fit(IRIS_X, IRIS_Y)
    b = steepest.SGDClassifier(learning_rate="constant", eta0=0.02, max_iter=1, **kw)
    b.fit(IRIS_X, IRIS_Y)
    b.set_params(eta0=0.01).partial_fit(IRIS_X, IRIS_Y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.t_ == b.t_ == 2 * n + 1
    # the schedule goes on across partial_fit calls (0.005 now)
    a.partial_fit(IRIS_X, IRIS_Y)
    b.partial_fit(IRIS_X, IRIS_Y)
    assert not np.array_equal(a.coef_, b.coef_)


def test_reference_schedules_are_accepted_and_equal_native_ones() -> None:
    from steepest.reference import schedules as ref_schedules

    fits = [
        steepest.SGDRegressor(learning_rate=mod.ExponentialLR(lr=0.01, gamma=0.999),
                              max_iter=3, tol=None, random_state=0,
                              backend=backend).fit(DIAB_X, DIAB_Y)
        for mod in (steepest.schedules, ref_schedules)
        for backend in ("native", "reference")
    ]  # fmt: skip
    for fit in fits[1:]:
        np.testing.assert_array_equal(fit.coef_, fits[0].coef_)
        np.testing.assert_array_equal(fit.intercept_, fits[0].intercept_)
    plain = steepest.SGDRegressor(learning_rate="constant", eta0=0.01, max_iter=3,
                                  tol=None, random_state=0).fit(DIAB_X, DIAB_Y)  # fmt: skip
    assert not np.array_equal(plain.coef_, fits[0].coef_)  # the decay took effect
