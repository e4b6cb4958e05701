"""``SGDRegressor``: scikit-learn's estimator, its algorithm.

Its algorithm, its steepest parameters and the differences from
scikit-learn are those of :mod:`steepest.models.sgd`, which documents both
SGD estimators and re-exports this one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import RegressorMixin  # type: ignore[import-untyped]
from sklearn.utils.extmath import safe_sparse_dot  # type: ignore[import-untyped]
from sklearn.utils.validation import check_is_fitted, validate_data  # type: ignore[import-untyped]

from . import _data_parallel as dp
from . import _sgd_fit
from . import _sgd_parallel as par
from ._sgd_base import REGRESSOR_LOSSES, _BaseSGD


class SGDRegressor(RegressorMixin, _BaseSGD):  # type: ignore[misc]
    """Linear regression by scikit-learn's plain SGD.

    The parameters, methods and fitted attributes of
    :class:`sklearn.linear_model.SGDRegressor` (see its documentation for
    each), plus steepest's ``optimizer``, ``optimizer_params``,
    ``batch_size``, ``backend`` (``"native"`` or ``"reference"``, bit for
    bit equal), ``dtype`` (float64 or float32) and ``n_threads``, and
    ``learning_rate`` may be a steepest schedule (per step). Those and the
    differences from scikit-learn are described in the module documentation
    (:mod:`steepest.models.sgd`).

    Examples
    --------
    >>> import numpy as np, steepest
    >>> X = np.linspace(0, 1, 20).reshape(-1, 1)
    >>> reg = steepest.SGDRegressor(
    ...     learning_rate="constant", eta0=0.1, penalty=None, tol=None, max_iter=100
    ... ).fit(X, 2 * X[:, 0])
    >>> round(float(reg.predict([[0.5]])[0]), 2)
    1.0
    """

    _is_classifier = False
    _losses = REGRESSOR_LOSSES

    def __init__(
        self,
        loss: str = "squared_error",
        *,
        penalty: str | None = "l2",
        alpha: float = 0.0001,
        l1_ratio: float | None = 0.15,
        fit_intercept: bool = True,
        max_iter: int = 1000,
        tol: float | None = 0.001,
        shuffle: bool = True,
        verbose: int = 0,
        epsilon: float = 0.1,
        random_state: Any = None,
        learning_rate: Any = "invscaling",
        eta0: float = 0.01,
        power_t: float = 0.25,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        average: bool | int = False,
        optimizer: Any = "sgd",
        optimizer_params: dict[str, Any] | None = None,
        batch_size: int = 1,
        backend: str = "native",
        dtype: Any = np.float64,
        n_threads: int | None = None,
    ) -> None:
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.batch_size = batch_size
        self.backend = backend
        self.dtype = dtype
        self.n_threads = n_threads

    def fit(
        self,
        X: Any,
        y: Any,
        coef_init: Any = None,
        intercept_init: Any = None,
        sample_weight: Any = None,
        *,
        comm: Any = None,
    ) -> SGDRegressor:
        """Fit by plain SGD: ``max_iter`` epochs at most, from zeros or ``coef_init``.

        ``comm``: data-parallel training, as for :meth:`SGDClassifier.fit`.
        """
        fn = "SGDRegressor.fit"
        group = par.communicator(comm, fn)
        rule = self._read_params(fn, partial=False, parallel=group is not None)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            warm = self._warm()
            coef_init = warm[0] if coef_init is None else coef_init
            intercept_init = warm[1] if intercept_init is None else intercept_init
            X, y = self._targets(fn, X, y, rule.dtype, reset=True)
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            return self._fit_values(
                fn, rule, X, y, sample_weight, (coef_init, intercept_init), fit=True,
                comm=group,
            )  # fmt: skip

    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, comm: Any = None
    ) -> SGDRegressor:
        """One epoch over ``X``, continuing from the weights of earlier calls
        (``comm``: as for :meth:`fit`)."""
        fn = "SGDRegressor.partial_fit"
        group = par.communicator(comm, fn)
        rule = self._read_params(fn, partial=True, parallel=group is not None)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            X, y = self._targets(fn, X, y, rule.dtype, reset=not hasattr(self, "coef_"))
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            return self._fit_values(
                fn, rule, X, y, sample_weight, None, fit=False, comm=group
            )

    def _targets(
        self, fn: str, X: Any, y: Any, dtype: np.dtype[Any], *, reset: bool
    ) -> tuple[Any, Any]:
        X, y = self._data(fn, X, y, dtype, reset=reset)
        y = np.asarray(y, dtype=dtype)
        if y.ndim != 1:
            msg = f"{fn}: y must be 1-D (one target per row), got shape {y.shape}"
            raise ValueError(msg)
        return X, np.ascontiguousarray(y)

    def _fit_values(
        self,
        fn: str,
        rule: _sgd_fit.Rule,
        X: Any,
        y: NDArray[np.float64],
        sample_weight: Any,
        init: tuple[Any, Any] | None,
        *,
        fit: bool,
        comm: Any = None,
    ) -> SGDRegressor:
        sw = self._weights(fn, sample_weight, X, comm)
        mask = self._split(y, sw, comm)
        problem = _sgd_fit.Problem(
            X=X, y=y, sample_weight=sw, train_rows=np.flatnonzero(~mask).astype(np.int64, copy=False),
            pos_label=None, pos_weight=np.ones(1, rule.dtype),
            neg_weight=np.ones(1, rule.dtype),
            rows_total=X.shape[0],
        )  # fmt: skip
        if rule.early_stopping:
            problem.score = par.regressor_score(comm, X[mask], y[mask], sw[mask])
        d = X.shape[1]
        if fit or getattr(self, "_standard_coef", None) is None:
            coef, intercept, avg = self._start(fn, rule, 1, d, *(init or (None, None)))
        else:
            coef, intercept, avg = self._resume(fn, rule, 1, d)
        self._run(fn, rule, problem, coef, intercept, avg, fit=fit, comm=comm)
        return self

    def _publish(
        self, coef: NDArray[np.float64], intercept: NDArray[np.float64]
    ) -> None:
        self.coef_ = coef[0]
        self.intercept_ = np.atleast_1d(intercept)

    def predict(self, X: Any) -> NDArray[np.float64]:
        """``X @ coef_ + intercept_``."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        out: NDArray[np.float64] = np.asarray(scores).ravel()
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
