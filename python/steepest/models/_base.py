"""The calls every estimator shares: fit and partial_fit, set up and undone.

Twins: none; the epochs are run by :class:`._loop.TrainingLoop` over
:func:`steepest.models._epoch.run_epoch` (native or reference); the model
hooks, data checks, predictions and pickling are :class:`._surface.ModelSurface`'s.
:class:`SteepestClassifier` and :class:`SteepestRegressor` add what differs
between the two kinds of estimator (``partial_fit``'s signature, class
predictions). Tests:
``tests/models/test_estimator_base.py``, ``tests/models/test_partial_fit.py``
and one file per estimator.

One ``fit``, in order:

1. check every hyperparameter (:func:`._options.read_options`); convert X
   once to a C-contiguous array of the model dtype (a copy when the dtype or
   layout differs; X and y are never written); encode the targets;
2. ``rng = numpy.random.default_rng(random_state)``, then, from ``rng`` and
   in this order: the initial weights (skipped by a warm start), the
   validation split (``early_stopping`` without ``validation_data``: one
   ``permutation(n)``), and one ``permutation(n_train)`` per epoch when
   ``shuffle`` (else rows in order);
3. per epoch: save what it changes in place (:class:`._rollback.EpochStart`);
   run the epoch; if the loss or a weight is not finite, put back the saved
   weights, optimizer state and generator and raise
   :class:`~steepest.DivergenceError`; record ``loss_curve_``,
   ``lr_curve_``, ``validation_scores_``; apply the ``tol`` rule, SWA and
   ``reduce_on_plateau``; stop when asked;
4. early stopping: restore the best validation epoch's weights; SWA: install
   the averaged weights; warn :class:`~steepest.ConvergenceWarning` when
   ``max_iter`` ran out with ``tol`` set.

One ``partial_fit`` call is one epoch over the given chunk. The first call
(on an estimator never fitted) draws the initial weights from
``default_rng(random_state)`` and then the chunk's permutation; the generator
is kept on the estimator (as is ``fit``'s, at the end of ``fit``) and later
calls draw only their permutation from it. Weights, optimizer state, step
count (hence the schedule's position), ``classes_`` and the curves carry
over between calls, and through pickling. So ``partial_fit`` called k times
on the data of ``fit(max_iter=k, tol=None)`` (without early stopping or SWA)
draws the same numbers in the same order and ends with the same weights.

Faults (any exception but a divergence, e.g. a KeyboardInterrupt): an epoch,
bookkeeping included, is all or nothing (:mod:`._rollback`); a fit that
completed an epoch publishes the last one, a fit that completed none and a
failed ``partial_fit`` call put every attribute back to the object it had
before the call (the objects changed in place were restored by the epoch).
Tests: ``tests/models/test_faults.py``, ``tests/models/test_resume.py``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import ClassifierMixin, RegressorMixin  # type: ignore[import-untyped]

from ..distributed import Communicator
from ..optim import Optimizer
from ..typing import FloatArray
from . import _data_parallel as dp
from . import _docs
from . import _options as o
from ._epoch import ParamAverage
from ._loop import Data, TrainingLoop, TrainingRun
from ._rollback import CallUndo
from ._stopping import split_validation, validation_set
from ._weights import check_sample_weight, class_weights, combined, training_weights


class SteepestEstimator(TrainingLoop):
    """Base of the estimators: fit, partial_fit; subclasses supply the model.

    The model hooks a subclass implements are declared in
    :class:`._surface.ModelSurface`.
    """

    # the hyperparameters the shared calls read (set by the subclasses' __init__)
    optimizer: Any
    optimizer_params: Any
    learning_rate: Any
    random_state: Any
    class_weight: Any  # classifiers only
    # fitted state (set by fit; declared for the type checker only)
    _optimizer_config: Any
    _rng: np.random.Generator

    # -- fit ----------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        validation_data: Any = None,
        comm: Any = None,
    ) -> Any:
        """Train the model by mini-batch gradient descent.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix/array of shape (n_samples, n_features)
            Converted once to a C-contiguous array of ``dtype`` (a copy when
            needed; X itself is never modified). Sparse X becomes CSR of
            ``dtype`` once (other formats and dtypes: a copy) and is never
            densified: batches are gathered as CSR rows and the first
            layer's ``X @ W`` and ``X^T @ D`` cost O(nonzeros x width). The
            optimizer step stays dense, O(n_features x width) per step
            (momentum and adaptive rules move every weight), so every rule
            gives the densified X's results to rounding; NaN or inf in X's
            data is an error naming X.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (classifiers; MLPClassifier also a multi-label 0/1
            indicator matrix) or targets (regressors).
        sample_weight : array-like of shape (n_samples,), float or None
            Per-row weights (finite, >= 0, positive sum) of the loss and its
            gradient, scaled to mean 1 over the training rows: a full batch
            then minimises the weighted mean loss (integer weights = repeated
            rows, 0 = a removed row); see :mod:`steepest.models._weights`.
            With early stopping the validation score is weighted too. With
            ``comm``: this shard's weights, scaled over every process's rows
            (a shard's may all be 0: it trains and adds nothing).
        validation_data : (X_val, y_val), (X_val, y_val, w_val) or None
            Scored after every epoch (``validation_scores_``); with
            ``early_stopping=True`` it replaces the ``validation_fraction``
            split. ``w_val``: the validation rows' sample weights (checked as
            ``sample_weight``; None: 1 each), which weigh the score as the
            held-out rows' own weights do for the automatic split.
        comm : communicator or None
            Data-parallel training: every process calls ``fit`` with its own
            shard ``(X, y)`` and the same hyperparameters; each batch's
            gradient is summed over the processes (a torch ``ProcessGroup``,
            an ``mpi4py`` communicator, ``"torch"``, ``"mpi"`` or a
            :class:`steepest.distributed.Communicator`; see
            :mod:`steepest.models._data_parallel`). None: this process alone.

        Returns
        -------
        self

        Raises
        ------
        steepest.DivergenceError
            When the loss or a weight became NaN or infinite; the estimator
            then holds the weights and optimizer state of the last completed
            epoch (the initial weights if it was the first).
        KeyboardInterrupt
            Or any other exception during training: the epoch under way is
            undone, the last completed one published (none completed: the
            estimator is left as before the call); see the class Notes.
        """
        with CallUndo(self) as undo:
            run = self._fit_setup(X, y, sample_weight, validation_data, comm)
            # from here on, a completed epoch is published and kept
            undo.unless = lambda: self.n_iter_ > 0
            self._train(run)
        return self

    def _fit_setup(
        self,
        X: Any,
        y: Any,
        sample_weight: Any,
        validation_data: Any,
        comm: Any = None,
    ) -> TrainingRun:
        """Steps 1 and 2 of ``fit``: what :meth:`_train` trains."""
        fn = type(self).__name__
        opts = o.read_options(self)
        net = self._network(fn, opts.alpha)
        group = dp.communicator(comm, fn)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            warm = opts.warm_start and getattr(self, "_params", None) is not None
            X, y = self._training_data(X, y, opts.dtype, reset=not warm)
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            # a shard's weights may all be 0: the sum over every shard is checked
            # (dp.training_weights), so that every process raises alike or trains
            w = check_sample_weight(
                fn, sample_weight, int(X.shape[0]), positive_sum=group is None
            )
            why = "warm_start=True" if warm else None
            if group is not None and self._classifier:
                y = dp.classifier_targets(self, fn, group, y, why, opts.dtype)
            else:
                y = self._targets(fn, y, opts.dtype, why)
            # the loss follows y (one sigmoid per label for multi-label y)
            net = replace(net, loss=self._loss())
            w = self._with_class_weight(fn, w, y, chunk=False, comm=group)
            rng = o.make_rng(self.random_state)
            n_features = int(X.shape[1])
            if warm:
                params = self._kept_params(fn, opts, n_features, "warm_start=True")
            else:
                params = self._fresh_params(opts, n_features, rng)
            if group is not None:
                rng = dp.start(group, params, rng)
            opt = self._optimizer_for(fn, opts, params, rng)

            val: Data | None = None
            w_val = None
            if validation_data is not None:
                X_val, y_val, w_val = validation_set(
                    self, fn, validation_data, opts.dtype, y
                )
                val = (X_val, y_val)
            elif opts.early_stopping:
                train, held = split_validation(
                    rng, X.shape[0], opts.validation_fraction, fn
                )
                X, y, val = X[train], y[train], (X[held], y[held])
                if w is not None:
                    w, w_val = w[train], w[held]
            # stack: here, _fit_setup, fit, the user's call
            o.warn_if_mini_batch(
                fn, opt, opts.batch_size, int(X.shape[0]), stacklevel=4
            )
            weight = self._scaled_weights(fn, w, int(X.shape[0]), opts.dtype, group)
            par = None if group is None else dp.plan(group, X.shape[0], opts.batch_size)
            return TrainingRun(
                fn, opts, net, params, opt, (X, y), val, rng, self._ema,
                weight=weight, val_weight=w_val, par=par,
            )  # fmt: skip

    # -- partial_fit --------------------------------------------------------------
    def _partial_fit(
        self, X: Any, y: Any, classes: Any, sample_weight: Any, comm: Any = None
    ) -> Any:
        """One epoch over the chunk ``(X, y)``; see the module docstring.

        All or nothing: an exception other than a divergence leaves the
        estimator as it was before the call.
        """
        with CallUndo(self):
            run = self._partial_fit_setup(X, y, classes, sample_weight, comm)
            self._train_chunk(run)
        return self

    def _partial_fit_setup(
        self, X: Any, y: Any, classes: Any, sample_weight: Any, comm: Any = None
    ) -> TrainingRun:
        """What :meth:`_train_chunk` trains; counters start on the first call."""
        fn = type(self).__name__
        opts = o.read_options(self)
        if opts.swa_start is not None:
            # SWA installs averaged weights when training ends, and a stream
            # of partial_fit calls has no end the estimator could see
            msg = f"{fn}: partial_fit does not support swa_start; use fit, or swa_start=None"
            raise ValueError(msg)
        net = self._network(fn, opts.alpha)
        group = dp.communicator(comm, fn)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            first = getattr(self, "_params", None) is None
            X, y = self._training_data(X, y, opts.dtype, reset=first)
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            w = check_sample_weight(
                fn, sample_weight, int(X.shape[0]), positive_sum=group is None
            )
            if self._classifier:
                y = self._chunk_labels(fn, y, classes, first, opts.dtype)
                w = self._with_class_weight(fn, w, y, chunk=True, comm=group)
            else:
                y = self._targets(fn, y, opts.dtype, None if first else "partial_fit")
            net = replace(net, loss=self._loss())
            n_features = int(X.shape[1])
            if first:
                rng = o.make_rng(self.random_state)
                params = self._fresh_params(opts, n_features, rng)
                self.loss_curve_, self.lr_curve_ = [], []
                self.validation_scores_ = None
                self.n_iter_, self.n_swa_ = 0, 0
                self.best_loss_, self.best_validation_score_ = None, None
                self._plateau = None
                if group is not None:
                    rng = dp.start(group, params, rng)
            else:
                params = self._kept_params(fn, opts, n_features, "partial_fit")
                rng = self._rng
            opt = self._optimizer_for(fn, opts, params, rng)
            # stack: here, _partial_fit_setup, _partial_fit, partial_fit, the user's call
            o.warn_if_mini_batch(
                fn, opt, opts.batch_size, int(X.shape[0]), stacklevel=5
            )
            weight = self._scaled_weights(fn, w, int(X.shape[0]), opts.dtype, group)
            par = None if group is None else dp.plan(group, X.shape[0], opts.batch_size)
            return TrainingRun(
                fn, opts, net, params, opt, (X, y), None, rng, self._ema,
                weight=weight, par=par,
            )  # fmt: skip

    @staticmethod
    def _scaled_weights(
        fn: str,
        w: NDArray[np.float64] | None,
        n: int,
        dt: np.dtype[Any],
        group: Communicator | None,
    ) -> FloatArray | None:
        """The training rows' weights scaled to mean 1 (over every process's rows
        when data-parallel)."""
        if group is None:
            return training_weights(fn, w, dt)
        return dp.training_weights(group, fn, w, n, dt)

    def _with_class_weight(
        self,
        fn: str,
        w: NDArray[np.float64] | None,
        y: NDArray[Any],
        *,
        chunk: bool,
        comm: Communicator | None = None,
    ) -> NDArray[np.float64] | None:
        """The rows' sample weights times their class weights (classifiers);
        "balanced" counts every process's labels when data-parallel."""
        if not self._classifier:
            return w
        if self._multilabel:
            if self.class_weight is not None:
                # scikit-learn's MLPClassifier has no class_weight; per-label
                # weights of a row have no single meaning for its one loss
                msg = (
                    f"{fn}: class_weight must be None with multi-label y, got "
                    f"{self.class_weight!r}; weigh rows with sample_weight"
                )
                raise ValueError(msg)
            return w
        if comm is None:
            per_class = class_weights(
                fn, self.class_weight, self.classes_, y, chunk=chunk
            )
        else:
            per_class = dp.class_weights(
                comm, fn, self.class_weight, self.classes_, y, chunk=chunk
            )
        return combined(fn, w, per_class, y, positive_sum=comm is None)

    # -- weights and optimizer ------------------------------------------------------
    def _fresh_params(
        self, opts: o.FitOptions, n_features: int, rng: np.random.Generator
    ) -> list[FloatArray]:
        """New initial weights (drawn from ``rng``), to get a new optimizer."""
        self._optimizer = None
        self._ema = None
        return self._new_params(n_features, rng, opts.dtype)

    def _kept_params(
        self, fn: str, opts: o.FitOptions, n_features: int, why: str
    ) -> list[FloatArray]:
        """The weights to continue from (``why``: warm start or partial_fit)."""
        params: list[FloatArray] = self._params
        shapes = [p.shape for p in params]
        if params[0].dtype != opts.dtype or shapes != self._param_shapes(n_features):
            fix = (
                "set warm_start=False"
                if why.startswith("warm")
                else "call fit to start over"
            )
            msg = (
                f"{fn}: {why} but the model changed since the previous fit "
                f"(dtype {params[0].dtype} -> {opts.dtype}, shapes {shapes} -> "
                f"{self._param_shapes(n_features)}); {fix}"
            )
            raise ValueError(msg)
        return params

    def _optimizer_for(
        self,
        fn: str,
        opts: o.FitOptions,
        params: list[FloatArray],
        rng: np.random.Generator,
    ) -> Optimizer:
        """The kept optimizer when its configuration is unchanged, else a new one."""
        config = (self.optimizer, self.optimizer_params, opts.backend)
        opt: Optimizer | None = getattr(self, "_optimizer", None)
        kept: ParamAverage | None = getattr(self, "_ema", None)
        if opt is None or not _same(config, getattr(self, "_optimizer_config", None)):
            opt = o.build_optimizer(
                fn, opts.factory, params, opts.learning_rate, opts.backend
            )
            kept = None
        else:
            opt.lr = opts.learning_rate  # undoes a previous fit's swa_lr
        self._params, self._optimizer, self._optimizer_config = params, opt, config
        # the moving average carries on with the optimizer (at this call's
        # decay) or starts: a copy of the params, copied again at the next step
        self._ema = (
            None
            if opts.ema_decay is None
            else ParamAverage(
                [p.copy() for p in params], opts.ema_decay, opt.step_count + 1
            )
            if kept is None
            else ParamAverage(kept.arrays, opts.ema_decay, kept.copy_step)
        )
        self._rng = rng
        return opt


class SteepestClassifier(ClassifierMixin, SteepestEstimator):  # type: ignore[misc]
    """Class labels in, class labels out: what the two classifiers share."""

    _classifier = True

    def partial_fit(
        self,
        X: Any,
        y: Any,
        classes: Any = None,
        sample_weight: Any = None,
        *,
        comm: Any = None,
    ) -> Any:
        return self._partial_fit(X, y, classes, sample_weight, comm)

    partial_fit.__doc__ = _docs.CLASSIFIER_PARTIAL_FIT

    def _proba(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        """Model hook: class probabilities from a params list."""
        raise NotImplementedError

    def predict_proba(self, X: Any) -> NDArray[Any]:
        """Class probabilities of shape (n, n_classes), columns in ``classes_`` order
        (multi-label: each label's probability)."""
        X, params = self._checked_X(X)
        return self._proba(params, X)

    def predict_log_proba(self, X: Any) -> NDArray[Any]:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            out: NDArray[Any] = np.log(self.predict_proba(X))
        return out

    def predict(self, X: Any) -> NDArray[Any]:
        """The most probable class label of each row (ties: the first class);
        multi-label: the 0/1 indicator matrix (n, n_labels) of int."""
        idx = self._predict_raw(X)  # first: raises NotFittedError before classes_
        if self._multilabel:
            # int, as scikit-learn's LabelBinarizer.inverse_transform
            return idx.astype(int, copy=False)
        out: NDArray[Any] = self.classes_[idx]
        return out


class SteepestRegressor(RegressorMixin, SteepestEstimator):  # type: ignore[misc]
    """Targets in, targets out: what the two regressors share."""

    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, *, comm: Any = None
    ) -> Any:
        return self._partial_fit(X, y, None, sample_weight, comm)

    partial_fit.__doc__ = _docs.REGRESSOR_PARTIAL_FIT


def _same(a: Any, b: Any) -> bool:
    """``a == b`` that treats any comparison error as different."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays in optimizer_params: ambiguous truth
        return False


__all__ = ["SteepestClassifier", "SteepestEstimator", "SteepestRegressor"]
