"""What SGDClassifier and SGDRegressor share: parameters, data, one call's set-up.

Twins: none (the epochs are :mod:`._sgd_fit`'s); the estimators and what
they do differently from scikit-learn are described in :mod:`.sgd`. Tests:
``tests/models/test_sgd_estimators.py``.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]
from sklearn.linear_model._base import SparseCoefMixin  # type: ignore[import-untyped]
from sklearn.model_selection import (  # type: ignore[import-untyped]
    ShuffleSplit,
    StratifiedShuffleSplit,
)
from sklearn.utils.validation import (  # type: ignore[import-untyped]
    _check_sample_weight,
    validate_data,
)

from .. import _checks
from .._errors import ConvergenceWarning
from .._schedule_base import Schedule
from ..distributed import Communicator
from ..optim import Optimizer
from ..reference.sgd import LEARNING_RATES, PENALTIES, SCHEDULE_RATE
from . import _data_parallel as dp
from . import _options, _sgd_batch, _sgd_fit
from . import _sgd_parallel as par

CLASSIFIER_LOSSES = {
    "hinge": 1.0, "squared_hinge": 1.0, "perceptron": 0.0, "log_loss": 0.0,
    "modified_huber": 0.0, "squared_error": 0.0, "huber": None,
    "epsilon_insensitive": None, "squared_epsilon_insensitive": None,
}  # fmt: skip
REGRESSOR_LOSSES = ("squared_error", "huber", "epsilon_insensitive",
                    "squared_epsilon_insensitive")  # fmt: skip
_KERNEL_LOSS = {"perceptron": "hinge"}


def _as_csr(fn: str, X: Any) -> Any:
    """CSR float64 with sorted unique int32 indices; a copy when X differs."""
    X = (
        sp.csr_matrix(X)
        if not sp.isspmatrix_csr(X) or not isinstance(X, sp.spmatrix)
        else X
    )
    if X.indices.dtype != np.int32 or X.indptr.dtype != np.int32:
        if X.shape[1] > np.iinfo(np.int32).max:
            msg = f"{fn}: X has {X.shape[1]} columns; at most 2**31 - 1 are supported"
            raise ValueError(msg)
        X = sp.csr_matrix(
            (X.data, X.indices.astype(np.int32), X.indptr.astype(np.int64)),
            shape=X.shape,
        )
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


class _BaseSGD(SparseCoefMixin, BaseEstimator):  # type: ignore[misc]
    _losses: tuple[str, ...] = ()

    def _read_params(
        self, fn: str, *, partial: bool, parallel: bool = False
    ) -> _sgd_fit.Rule:
        """The hyperparameters, checked; ``parallel``: a data-parallel call
        (k > 1 processes), which takes the mini-batch path."""
        loss = _checks.choice(fn, "loss", self.loss, self._losses)
        penalty = "none" if self.penalty is None else self.penalty
        penalty = _checks.choice(
            fn, "penalty", penalty, ("l2", "l1", "elasticnet", "none")
        )
        alpha = _checks.check_nonnegative(fn, "alpha", self.alpha)
        if self.l1_ratio is None:
            if penalty == "elasticnet":
                msg = (
                    f"{fn}: l1_ratio must be set when penalty is 'elasticnet', got None"
                )
                raise ValueError(msg)
            l1_ratio = 0.0
        else:
            l1_ratio = _checks.check_between(
                fn, "l1_ratio", self.l1_ratio, 0.0, 1.0, hi_open=False
            )
        rate, schedule = self._rate(fn)
        if rate == "optimal" and alpha == 0:
            msg = f"{fn}: alpha must be > 0 with learning_rate='optimal' (it sets the rate), got 0"
            raise ValueError(msg)
        eta0 = _checks.check_positive(fn, "eta0", self.eta0)
        power_t = _checks.real(fn, "power_t", self.power_t)
        for name in ("fit_intercept", "shuffle", "early_stopping", "warm_start"):
            _checks.flag(fn, name, getattr(self, name))
        if self.early_stopping and partial:
            msg = f"{fn}: early_stopping must be False with partial_fit, got True"
            raise ValueError(msg)
        max_iter = _checks.integer(fn, "max_iter", self.max_iter, 1)
        tol = (
            -np.inf
            if self.tol is None
            else _checks.check_nonnegative(fn, "tol", self.tol)
        )
        epsilon = _checks.check_nonnegative(fn, "epsilon", self.epsilon)
        _checks.check_between(
            fn, "validation_fraction", self.validation_fraction, 0.0, 1.0,
            hi_open=True, lo_open=True,
        )  # fmt: skip
        n_no_change = _checks.integer(fn, "n_iter_no_change", self.n_iter_no_change, 1)
        average = self.average
        if isinstance(average, (bool, np.bool_)):
            average = int(average)
        else:
            average = _checks.integer(fn, "average", average, 1)
        verbose = int(_checks.count(fn, "verbose", int(self.verbose)))
        _checks.choice(fn, "backend", self.backend, ("native", "reference"))
        dtype = _checks.dtype(fn, self.dtype)
        n_threads = (
            0
            if self.n_threads is None
            else _checks.integer(fn, "n_threads", self.n_threads, 1)
        )
        n_jobs = getattr(
            self, "n_jobs", None
        )  # accepted, unused: one pass for all classes
        if n_jobs is not None and not _checks.is_int(n_jobs):
            msg = f"{fn}: n_jobs must be an int or None, got {type(n_jobs).__name__}"
            raise TypeError(msg)
        batch_size, factory = self._batching(fn, rate, average, parallel)
        threshold = CLASSIFIER_LOSSES.get(loss)
        return _sgd_fit.Rule(
            loss=_KERNEL_LOSS.get(loss, loss),
            loss_param=epsilon if threshold is None else threshold,
            penalty=PENALTIES[penalty], alpha=alpha, l1_ratio=l1_ratio,
            learning_rate=SCHEDULE_RATE if schedule else LEARNING_RATES[rate],
            eta0=eta0, power_t=power_t, schedule=schedule, dtype=dtype,
            n_threads=n_threads,
            fit_intercept=bool(self.fit_intercept), average=average,
            max_iter=1 if partial else max_iter, tol=tol,
            n_iter_no_change=n_no_change, early_stopping=bool(self.early_stopping),
            shuffle=bool(self.shuffle), verbose=verbose, batch_size=batch_size,
            factory=factory,
        )  # fmt: skip

    def _batching(
        self, fn: str, rate: str, average: int, parallel: bool = False
    ) -> tuple[int, functools.partial[Optimizer] | None]:
        """batch_size and the optimizer factory; None for scikit-learn's plain SGD."""
        batch_size = _checks.integer(fn, "batch_size", self.batch_size, 1)
        extra = self.optimizer_params
        plain = isinstance(self.optimizer, str) and self.optimizer == "sgd"
        if plain and batch_size == 1 and not extra and not parallel:
            return 1, None
        factory = _options.optimizer_factory(fn, self.optimizer, extra)
        if rate == "optimal" and not plain:
            msg = (
                f"{fn}: learning_rate='optimal' is scikit-learn's rate for plain SGD; "
                f"with optimizer={self.optimizer!r} use 'constant', 'invscaling' or "
                "'adaptive', got 'optimal'"
            )
            raise ValueError(msg)
        if average and parallel:
            msg = (
                f"{fn}: average must be False with comm (a data-parallel fit takes "
                f"mini-batch steps), got {average}"
            )
            raise ValueError(msg)
        if average:
            msg = (
                f"{fn}: average must be False with mini-batches or another optimizer "
                f"(batch_size={batch_size}, optimizer={self.optimizer!r}), got {average}"
            )
            raise ValueError(msg)
        return batch_size, factory

    def _rate(self, fn: str) -> tuple[str, Schedule | None]:
        """scikit-learn's learning-rate name, or "schedule" and the schedule."""
        value = self.learning_rate
        if isinstance(value, Schedule):
            return "schedule", value
        if isinstance(value, str):
            names = tuple(LEARNING_RATES)
            return _checks.choice(fn, "learning_rate", value, names), None
        names_text = ", ".join(f"'{n}'" for n in LEARNING_RATES)
        msg = (
            f"{fn}: learning_rate must be one of {names_text} or a steepest schedule "
            f"(steepest.schedules), got {type(value).__name__}"
        )
        raise TypeError(msg)

    def _data(
        self, fn: str, X: Any, y: Any, dtype: np.dtype[Any], *, reset: bool
    ) -> tuple[Any, Any]:
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc", "coo"], dtype=dtype,
            order="C", accept_large_sparse=True, reset=reset, y_numeric=False,
        )  # fmt: skip
        if sp.issparse(X):
            X = _as_csr(fn, X)
        return X, y

    def _weights(
        self, fn: str, sample_weight: Any, X: Any, comm: Communicator | None = None
    ) -> NDArray[Any]:
        w = _check_sample_weight(
            sample_weight,
            X,
            dtype=X.dtype,
            # a shard's weights may all be 0: checked over every shard below
            allow_all_zero_weights=bool(self.early_stopping) or comm is not None,
            copy=True,
        )
        if (w < 0).any():
            msg = f"{fn}: sample_weight must be >= 0, got a negative weight"
            raise ValueError(msg)
        out: NDArray[Any] = w
        if comm is not None:
            par.check_weights(fn, comm, w, allow_zero=bool(self.early_stopping))
        return out

    def _split(
        self,
        y: NDArray[Any],
        sample_weight: NDArray[np.float64],
        comm: Communicator | None = None,
    ) -> NDArray[np.bool_]:
        """scikit-learn's validation split (all False without early stopping);
        with ``comm`` this shard's, its weights checked over every shard."""
        n = y.shape[0]
        mask = np.zeros(n, dtype=bool)
        if not self.early_stopping:
            return mask
        splitter = StratifiedShuffleSplit if self._is_classifier else ShuffleSplit
        cv = splitter(
            test_size=self.validation_fraction, random_state=self.random_state
        )
        fn = f"{type(self).__name__}.fit"
        try:
            train, val = next(cv.split(np.zeros((n, 1)), y))
        except ValueError as err:
            msg = f"{fn}: cannot split a validation set for early_stopping: {err}"
            raise ValueError(msg) from err
        # R^2 of one row is undefined (NaN): as small as an empty set
        least = 1 if self._is_classifier else 2
        if train.shape[0] == 0 or val.shape[0] < least:
            msg = (
                f"{fn}: splitting {n} samples with validation_fraction="
                f"{self.validation_fraction!r} left {train.shape[0]} training and "
                f"{val.shape[0]} validation samples (at least 1 and {least} are "
                "needed); change validation_fraction, add samples or disable "
                "early_stopping"
            )
            raise ValueError(msg)
        if comm is not None:
            par.check_validation_weights(fn, comm, sample_weight[val])
        elif not (sample_weight[val] > 0).any():
            msg = (
                f"{fn}: the sample weights of the validation "
                "set are all zero; use another random_state"
            )
            raise ValueError(msg)
        mask[val] = True
        return mask

    def _rng(
        self, fn: str, *, keep: bool, rank: int | None = None
    ) -> np.random.Generator:
        """The shuffling generator; data-parallel (``rank``) one per process."""
        kept: np.random.Generator | None = getattr(self, "_sgd_rng", None)
        if keep and kept is not None:
            return kept
        rng = _checks.random_state(fn, self.random_state)
        if rank is not None:
            rng = np.random.default_rng([int(rng.integers(2**63)), rank])
        self._sgd_rng = rng
        return rng

    def _run(
        self,
        fn: str,
        rule: _sgd_fit.Rule,
        problem: _sgd_fit.Problem,
        coef: NDArray[np.float64],
        intercept: NDArray[np.float64],
        avg: tuple[Any, Any],
        *,
        fit: bool,
        comm: Communicator | None = None,
    ) -> None:
        """Run one call's epochs and publish the weights, t_ and n_iter_."""
        # the fitted attributes change only once every epoch ran: an error
        # or Ctrl-C before leaves the estimator as it was
        state = _sgd_fit.new_state(coef, intercept, rule, avg[0], avg[1])
        t = 1.0 if fit else float(getattr(self, "t_", 1.0))
        rng = self._rng(fn, keep=not fit, rank=None if comm is None else comm.rank)
        if comm is not None:
            par.start(comm, state["coef"], state["intercept"])
            problem.par, problem.rows_total = par.plan(
                comm, problem.train_rows.shape[0], problem.X.shape[0], rule.batch_size
            )
            # the setup's end: every process passed its checks, or all raise here
            dp.settle(comm)
        if rule.factory is None:
            n_iter = _sgd_fit.run(self.backend, problem, rule, state, t, rng)
        else:
            kept = None if fit else getattr(self, "_sgd_optimizer", None)
            n_iter, self._sgd_optimizer = _sgd_batch.run(
                fn, self.backend, problem, rule, state, rng, kept
            )
        self._standard_coef = state["coef"]
        self._standard_intercept = state["intercept"]
        self.t_ = t + n_iter * problem.rows_total
        self.n_iter_ = n_iter
        use_avg = rule.average > 0 and rule.average <= self.t_ - 1
        if rule.average > 0:
            self._average_coef = state["avg_coef"]
            self._average_intercept = state["avg_intercept"]
        else:
            self._average_coef = self._average_intercept = None
        self._publish(
            self._average_coef if use_avg else self._standard_coef,
            self._average_intercept if use_avg else self._standard_intercept,
        )
        if fit and rule.tol > -np.inf and n_iter == rule.max_iter:
            warnings.warn(
                f"{fn}: max_iter={rule.max_iter} epochs ran out before the "
                "tol rule stopped; consider increasing max_iter",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _start(
        self,
        fn: str,
        rule: _sgd_fit.Rule,
        k: int,
        d: int,
        coef_init: Any,
        intercept_init: Any,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[Any, Any]]:
        """Initial weights (k, d), intercepts (k,) and average arrays."""
        coef = np.zeros((k, d), dtype=rule.dtype)
        intercept = np.zeros(k, dtype=rule.dtype)
        if coef_init is not None:
            given = coef_init.toarray() if sp.issparse(coef_init) else coef_init
            given = np.asarray(given, dtype=rule.dtype)
            if given.size != k * d or (given.ndim == 2 and given.shape != (k, d)):
                msg = f"{fn}: coef_init has shape {given.shape}; expected ({k}, {d})"
                raise ValueError(msg)
            coef = given.reshape(k, d).copy()
        if intercept_init is not None:
            given = np.asarray(intercept_init, dtype=rule.dtype)
            if given.size != k:
                msg = f"{fn}: intercept_init has shape {given.shape}; expected ({k},)"
                raise ValueError(msg)
            intercept = given.reshape(k).copy()
        avg = (
            (np.zeros((k, d), rule.dtype), np.zeros(k, rule.dtype))
            if rule.average > 0
            else (None, None)
        )
        return coef, intercept, avg

    def _resume(
        self, fn: str, rule: _sgd_fit.Rule, k: int, d: int
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], tuple[Any, Any]]:
        """The weights a partial_fit call continues from."""
        if self._standard_coef.shape[1] != d:
            msg = f"{fn}: X has {d} features, but the model was fitted with {self._standard_coef.shape[1]}"
            raise ValueError(msg)
        if self._standard_coef.dtype != rule.dtype:
            msg = (
                f"{fn}: dtype {rule.dtype} differs from the fitted model's "
                f"{self._standard_coef.dtype}; call fit to start over in {rule.dtype}"
            )
            raise ValueError(msg)
        avg: tuple[Any, Any] = (None, None)
        if rule.average > 0:
            saved = getattr(self, "_average_coef", None)
            avg = (
                (np.zeros((k, d), rule.dtype), np.zeros(k, rule.dtype))
                if saved is None
                else (saved, self._average_intercept)
            )
        return self._standard_coef, self._standard_intercept, avg

    def _warm(self) -> tuple[Any, Any]:
        if self.warm_start and getattr(self, "coef_", None) is not None:
            return self.coef_, self.intercept_
        return None, None
