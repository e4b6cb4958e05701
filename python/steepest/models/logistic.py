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
        LINEAR_PARAMETERS + _docs.CLASS_WEIGHT,
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

    def __init__(
        self,
        *,
        optimizer: Any = "sgd",
        learning_rate: Any = 0.01,
        optimizer_params: dict[str, Any] | None = None,
        batch_size: int | None = 32,
        shuffle: bool = True,
        random_state: Any = None,
        alpha: float = 1e-4,
        l1_ratio: float = 0.0,
        fit_intercept: bool = True,
        init: str = "zeros",
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        n_iter_no_change: int = 5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        reduce_on_plateau: Any = None,
        swa_start: int | None = None,
        swa_lr: Any = None,
        ema_decay: float | None = None,
        backend: str = "native",
        dtype: Any = np.float64,
        n_threads: int | None = None,
        warm_start: bool = False,
        verbose: bool = False,
        progress: bool | None = None,
        class_weight: Any = None,
    ) -> None:
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            optimizer_params=optimizer_params,
            batch_size=batch_size,
            shuffle=shuffle,
            random_state=random_state,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            init=init,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            reduce_on_plateau=reduce_on_plateau,
            swa_start=swa_start,
            swa_lr=swa_lr,
            ema_decay=ema_decay,
            backend=backend,
            dtype=dtype,
            n_threads=n_threads,
            warm_start=warm_start,
            verbose=verbose,
            progress=progress,
        )
        self.class_weight = class_weight

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
