"""Least-squares linear regression trained by gradient descent (scikit-learn API).

Twins: the model math is :mod:`steepest.nn.linear` (training on
either backend, predictions always in NumPy). Tests:
``tests/models/test_linear_estimator.py``.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from .. import _checks as v
from ..nn import INIT_KINDS
from ..nn import linear as _linear
from ..typing import FloatArray
from . import _docs
from ._base import SteepestEstimator, SteepestRegressor
from ._epoch import Network

LINEAR_MODEL_PARAMETERS = """\
l1_ratio : float, default=0.0
    Elastic-net mixing in [0, 1]: 0 is ridge (L2), 1 lasso (L1). The L1
    part is applied after each step as a proximal step (soft thresholding by
    ``learning rate * alpha * l1_ratio``, not preconditioned by adaptive
    rules), so weights become exactly 0; see :mod:`steepest.models._epoch`.
fit_intercept : bool, default=True
    False: the intercepts start at 0 and get no gradient, so they stay 0
    under every rule. Between a fit with True and a warm start or
    ``partial_fit`` with False, the intercept keeps its value.
init : {"zeros", "normal", "uniform", "xavier", "he"}, default="zeros"
    Initial coefficients (intercepts start at 0); see
    :mod:`steepest.nn._init`.
"""

#: the Parameters section of both linear models (they share their defaults)
LINEAR_PARAMETERS = _docs.parameters(
    LINEAR_MODEL_PARAMETERS,
    optimizer="sgd",
    learning_rate=0.01,
    batch_size=32,
    max_iter=1000,
    tol=0.001,
    n_iter_no_change=5,
    dtype="float64",
)


class LinearModelBase(SteepestEstimator):
    """Hyperparameters and checks shared by LinearRegression and LogisticRegression."""

    _family = "linear"

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
    ) -> None:
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.optimizer_params = optimizer_params
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.reduce_on_plateau = reduce_on_plateau
        self.swa_start = swa_start
        self.swa_lr = swa_lr
        self.ema_decay = ema_decay
        self.backend = backend
        self.dtype = dtype
        self.n_threads = n_threads
        self.warm_start = warm_start
        self.verbose = verbose
        self.progress = progress

    def _network(self, fn: str, alpha: float) -> Network:
        l1 = v.check_between(fn, "l1_ratio", self.l1_ratio, 0, 1, hi_open=False)
        fit_intercept = v.flag(fn, "fit_intercept", self.fit_intercept)
        v.choice(fn, "init", self.init, INIT_KINDS)
        return Network(self._family, self._loss(), "identity", alpha, l1, fit_intercept)


class LinearRegression(SteepestRegressor, LinearModelBase):
    __doc__ = _docs.estimator_doc(
        """Least-squares linear regression fitted by mini-batch gradient descent.

Minimises ``mean 0.5 * (X @ coef + intercept - y)^2 + R(coef)`` (the model of
:mod:`steepest.nn.linear`; scikit-learn's SGDRegressor
objective) with a steepest optimizer, one epoch per C++ call on the native
backend. Targets may be 1-D or 2-D (one column per target).""",
        LINEAR_PARAMETERS,
        """\
coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    Weights (scikit-learn's layout: one row per target for 2-D y).
intercept_ : float or ndarray of shape (n_targets,)
    A float for 1-D y, as scikit-learn's LinearRegression.
n_outputs_ : int
    Number of targets (1 for 1-D y).
""",
        "",
        """\
>>> import numpy as np
>>> from steepest import LinearRegression
>>> rng = np.random.default_rng(0)
>>> X = rng.standard_normal((200, 3)); y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
>>> model = LinearRegression(learning_rate=0.05, tol=None, max_iter=50,
...                          alpha=0.0, random_state=0, backend="reference")
>>> model.fit(X, y).coef_.round(3), round(model.intercept_, 3)
(array([ 1. , -2. ,  0.5]), 3.0)
>>> round(model.score(X, y), 6)
1.0
""",
    )

    _one_d: bool  # 1-D y (coef_ of shape (n_features,)); set by _targets

    def _param_shapes(self, n_features: int) -> list[tuple[int, ...]]:
        k = self.n_outputs_
        return [(n_features,), (1,)] if self._one_d else [(n_features, k), (k,)]

    def _targets(
        self, fn: str, y: Any, dt: np.dtype[Any], why: str | None
    ) -> NDArray[Any]:
        out = super()._targets(fn, y, dt, why)
        one_d = out.ndim == 1
        if why and one_d != self._one_d:  # (n,) and (n, 1) give different coef_
            msg = f"{fn}: {why} needs y shaped as in the previous fit"
            raise ValueError(msg)
        self._one_d = one_d
        return out

    def _new_params(
        self, n_features: int, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> list[FloatArray]:
        k = None if self._one_d else self.n_outputs_
        return _linear.init_params(self.init, n_features, k, rng=rng, dtype=dtype)

    def _raw_predict(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        return _linear.predict(params, X)

    def _publish(self, params: list[FloatArray]) -> None:
        coef, intercept = params
        if coef.ndim == 1:
            self.coef_ = coef.copy()
            self.intercept_: Any = float(intercept[0])
        else:
            self.coef_ = cast(FloatArray, np.ascontiguousarray(coef.T))
            self.intercept_ = intercept.copy()

    def _public_params(self) -> list[FloatArray]:
        coef: FloatArray = self.coef_
        # intercept_ is a Python float for 1-D y; back to a (1,) array of the model dtype
        intercept = np.asarray(self.intercept_, dtype=coef.dtype).reshape(-1)
        return [coef if coef.ndim == 1 else coef.T, cast(FloatArray, intercept)]

    def predict(self, X: Any) -> NDArray[Any]:
        """``X @ coef_.T + intercept_``: shape (n,) for 1-D y, else (n, n_targets)."""
        return self._predict_raw(X)


__all__ = ["LINEAR_PARAMETERS", "LinearModelBase", "LinearRegression"]
