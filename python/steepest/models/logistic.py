"""Logistic regression (binary sigmoid / multinomial softmax) by gradient descent.

Twins: the model math is :mod:`steepest.nn.logistic` (training
on either backend, predictions always in NumPy). Tests:
``tests/models/test_logistic_estimator.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..nn import logistic as _logistic
from ..typing import FloatArray
from . import _docs
from ._base import SteepestClassifier
from .linear import LINEAR_PARAMETERS, LinearModelBase


class LogisticRegression(SteepestClassifier, LinearModelBase):
    __doc__ = _docs.estimator_doc(
        """Logistic regression fitted by mini-batch gradient descent.

Two classes give the binary model (one weight vector, sigmoid
cross-entropy); three or more the multinomial one (one weight vector per
class, softmax cross-entropy): the choice follows the labels of ``y``. The
objective is the mean cross-entropy plus the penalty ``R(coef)`` of
:mod:`steepest.nn.logistic`.""",
        LINEAR_PARAMETERS,
        """\
classes_ : ndarray of shape (n_classes,)
    The sorted labels of ``y``.
coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    Weights; one row for two classes (of the second class, ``classes_[1]``).
intercept_ : ndarray of shape (1,) or (n_classes,)
""",
        "",
        """\
>>> import numpy as np
>>> from steepest import LogisticRegression
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((200, 2)); y = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
>>> clf = LogisticRegression(learning_rate=0.5, tol=None, max_iter=30,
...                          random_state=0, backend="reference").fit(X, y)
>>> clf.classes_.tolist(), clf.coef_.shape, clf.score(X, y) > 0.97
(['no', 'yes'], (1, 2), True)
>>> clf.predict_proba(X[:3]).sum(axis=1).round(6).tolist()
[1.0, 1.0, 1.0]
""",
    )

    _family = "logistic"

    def _param_shapes(self, n_features: int) -> list[tuple[int, ...]]:
        k = self.classes_.shape[0]
        return [(n_features,), (1,)] if k == 2 else [(n_features, k), (k,)]

    def _new_params(
        self, n_features: int, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> list[FloatArray]:
        k = self.classes_.shape[0]
        return _logistic.init_params(self.init, n_features, k, rng=rng, dtype=dtype)

    def _raw_predict(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        return _logistic.predict(params, X)

    def _publish(self, params: list[FloatArray]) -> None:
        coef, intercept = params
        self.coef_ = coef.reshape(1, -1).copy() if coef.ndim == 1 else coef.T.copy()
        self.intercept_ = intercept.copy()

    def _public_params(self) -> list[FloatArray]:
        coef: FloatArray = self.coef_
        return [coef[0] if coef.shape[0] == 1 else coef.T, self.intercept_]

    def _proba(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        return _logistic.predict_proba(params, X)

    def decision_function(self, X: Any) -> NDArray[Any]:
        """Logits: shape (n,) for two classes (positive favours ``classes_[1]``), else (n, K)."""
        X, params = self._checked_X(X)
        return _logistic.decision_function(params, X)


__all__ = ["LogisticRegression"]
