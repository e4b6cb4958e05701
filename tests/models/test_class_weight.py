"""class_weight of LogisticRegression and MLPClassifier, on both backends.

Twin: ``python/steepest/models/_weights.py`` (``class_weights``, ``combined``):
the class weights become per-row weights of the loss, the path of
``sample_weight`` (``tests/models/test_sample_weight.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.metrics import recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.estimator_checks import (
    check_class_weight_balanced_linear_classifier,
)

from ._estimators import BACKENDS, small_case, weights

CLASSIFIERS = ["LogisticRegression", "MLPClassifier"]


def _case(name: str, backend: str = "reference", **params: Any) -> tuple[Any, Any, Any]:
    est, X, y = small_case(name)
    labels = np.array(["a", "b", "c"])[y] if np.unique(y).size == 3 else y
    return est.set_params(backend=backend, **params), X, labels


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_unknown_labels_are_a_value_error_naming_class_weight(name: str) -> None:
    est, X, y = _case(name)
    known = np.unique(y)[0].item()
    est.set_params(class_weight={known: 2.0, 7: 1.0, "z": 3.0})
    with pytest.raises(ValueError, match=r"class_weight has labels \[7, 'z'\]"):
        est.fit(X, y)
    assert not hasattr(est, "n_iter_")
    with pytest.raises(ValueError, match=r"class_weight has labels \[7, 'z'\]"):
        est.partial_fit(X, y, classes=np.unique(y))


BAD = [
    ("nope", ValueError, r"class_weight must be None, 'balanced' or a dict"),
    ([1.0, 2.0], TypeError, r"class_weight must be None, 'balanced' or a dict"),
    ({0: -1.0}, ValueError, r"class_weight\[0\] must be a finite number >= 0, got -1.0"),
    ({0: float("nan")}, ValueError, r"class_weight\[0\] must be a finite number >= 0"),
    ({0: "2"}, TypeError, r"class_weight\[0\] must be a number, got '2'"),
    ({0: 0.0, 1: 0.0}, ValueError, "leave every row a weight of 0"),
]  # fmt: skip


@pytest.mark.parametrize(("class_weight", "error", "match"), BAD)
def test_bad_class_weight_is_refused(
    class_weight: Any, error: type, match: str
) -> None:
    est, X, y = _case("MLPClassifier", class_weight=class_weight)
    with pytest.raises(error, match=match):
        est.fit(X, y)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_class_weight_is_each_rows_sample_weight(name: str, backend: str) -> None:
    est, X, y = _case(name, backend, batch_size=16)
    table = {"a": 0.5, "c": 3.0} if y.dtype.kind == "U" else {1: 4.0}
    by_class = clone(est).set_params(class_weight=table).fit(X, y)
    w = np.array([table.get(label, 1.0) for label in y.tolist()])
    by_row = clone(est).fit(X, y, sample_weight=w)
    for a, b in zip(weights(by_class), weights(by_row), strict=True):
        np.testing.assert_array_equal(a, b)
    # and both multiply: class weight times sample weight
    s = np.linspace(0.5, 1.5, X.shape[0])
    both = clone(est).set_params(class_weight=table).fit(X, y, sample_weight=s)
    product = clone(est).fit(X, y, sample_weight=w * s)
    for a, b in zip(weights(both), weights(product), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_balanced_is_scikit_learns_formula(name: str, backend: str) -> None:
    est, X, y = _case(name, backend)
    keep = np.r_[np.arange(0, X.shape[0], 3), np.arange(1, X.shape[0], 9)]
    X, y = X[keep], y[keep]  # imbalanced
    balanced = clone(est).set_params(class_weight="balanced").fit(X, y)
    classes = np.unique(y)
    table = dict(
        zip(
            classes.tolist(),
            compute_class_weight("balanced", classes=classes, y=y),
            strict=True,
        )
    )
    manual = clone(est).set_params(class_weight=table).fit(X, y)
    for a, b in zip(weights(balanced), weights(manual), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scikit_learns_balanced_linear_classifier_check(backend: str) -> None:
    # yielded by parametrize_with_checks only for LinearClassifierMixin: run here
    est, _, _ = _case("LogisticRegression", backend)
    check_class_weight_balanced_linear_classifier("LogisticRegression", est)


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_balanced_raises_the_minority_class_recall(name: str) -> None:
    # 9:1 classes: unweighted, the minority class is mostly predicted away
    X, y = make_classification(
        n_samples=400, n_features=5, n_informative=3, weights=[0.9, 0.1],
        flip_y=0.05, random_state=0,
    )  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    est, _, _ = _case(name, "native", max_iter=200)
    plain = clone(est).fit(X_train, y_train)
    balanced = clone(est).set_params(class_weight="balanced").fit(X_train, y_train)
    before = recall_score(y_test, plain.predict(X_test))
    after = recall_score(y_test, balanced.predict(X_test))
    assert after > before + 0.2


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_partial_fit_takes_a_dict_but_not_balanced(name: str) -> None:
    est, X, y = _case(name, "native", max_iter=1, batch_size=8)
    classes = np.unique(y)
    with pytest.raises(ValueError, match="class_weight='balanced' is not supported by"):
        clone(est).set_params(class_weight="balanced").partial_fit(
            X, y, classes=classes
        )
    table = {classes[0].item(): 2.5}
    streamed = (
        clone(est).set_params(class_weight=table).partial_fit(X, y, classes=classes)
    )
    fitted = clone(est).set_params(class_weight=table).fit(X, y)
    for a, b in zip(weights(streamed), weights(fitted), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_heavy_class_takes_the_ambiguous_rows() -> None:
    # identical X for both classes: the prediction follows the heavier class
    X = np.zeros((20, 2))
    y = np.r_[np.zeros(10), np.ones(10)].astype(int)
    for table, expected in (({0: 3.0}, 0), ({1: 3.0}, 1)):
        est, _, _ = _case("LogisticRegression", "native", class_weight=table)
        est.set_params(batch_size=None, learning_rate=0.5, max_iter=200)
        est.fit(X, y)
        assert est.predict(X[:1])[0] == expected
        assert est.predict_proba(X[:1])[0, expected] == pytest.approx(0.75, abs=1e-6)
