"""The scikit-learn API every estimator shares: fit, partial_fit, pickling.

Twins: none; the epochs are run by :class:`._loop.TrainingLoop` over
:func:`steepest.models._epoch.run_epoch` (native or reference). Tests:
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

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.multiclass import (  # type: ignore[import-untyped]
    check_classification_targets,
)
from sklearn.utils.validation import (  # type: ignore[import-untyped]
    check_is_fitted,
    validate_data,
)

from ..optim import Optimizer
from ..typing import FloatArray
from . import _options as o
from ._epoch import Network
from ._labels import at_least_two_classes, encode_labels
from ._loop import TrainingLoop
from ._rollback import CallUndo
from ._stopping import split_validation, validation_set

_Data = tuple[FloatArray, NDArray[Any]]
#: the arguments of TrainingLoop._train, in order
_TrainArgs = tuple[
    str, o.FitOptions, Network, list[FloatArray], Optimizer, _Data, _Data | None,
    np.random.Generator,
]  # fmt: skip


class SteepestEstimator(TrainingLoop):
    """Base of the estimators: fit, partial_fit; subclasses supply the model.

    Subclass hooks: :meth:`_network` (loss, activation, penalty),
    :meth:`_param_shapes`, :meth:`_new_params`, :meth:`_raw_predict` (class
    indices or values from a params list), :meth:`_publish` (sets the
    scikit-learn attributes) and :meth:`_public_params` (the params list back
    from those attributes, which predictions use).
    """

    _classifier: ClassVar[bool] = False
    #: regression y of shape (n, 1) is trained as (n,) (the MLP's one output unit)
    _ravel_column_y: ClassVar[bool] = False
    #: the attribute whose presence means "fitted" (others are set early in fit)
    _fitted_attribute: ClassVar[str] = "coef_"

    # the hyperparameters the shared loop reads (set by the subclasses' __init__)
    optimizer: Any
    optimizer_params: Any
    learning_rate: Any
    random_state: Any
    # fitted state (set by fit; declared for the type checker only)
    classes_: NDArray[Any]
    _params: list[FloatArray]
    _optimizer_config: Any
    _rng: np.random.Generator
    n_outputs_: int

    # -- subclass hooks -------------------------------------------------------
    def _network(self, fn: str, alpha: float) -> Network:
        raise NotImplementedError

    def _param_shapes(self, n_features: int) -> list[tuple[int, ...]]:
        raise NotImplementedError

    def _new_params(
        self, n_features: int, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> list[FloatArray]:
        raise NotImplementedError

    def _public_params(self) -> list[FloatArray]:
        raise NotImplementedError

    # -- targets ----------------------------------------------------------------
    def _targets(
        self, fn: str, y: Any, dt: np.dtype[Any], why: str | None
    ) -> NDArray[Any]:
        """Class indices (intp) or regression targets of the model dtype.

        ``why`` names what continues a previous fit ("warm_start=True" or
        "partial_fit"), whose targets must then look the same; None: a new fit.
        """
        if self._classifier:
            check_classification_targets(y)
            classes, idx = np.unique(y, return_inverse=True)
            at_least_two_classes(fn, classes)
            if why and not np.array_equal(classes, self.classes_):
                msg = (
                    f"{fn}: {why} needs the classes of the previous fit "
                    f"{self.classes_.tolist()!r}; got {classes.tolist()!r}"
                )
                raise ValueError(msg)
            self.classes_ = classes
            return np.ascontiguousarray(idx.reshape(-1), dtype=np.intp)
        target: NDArray[Any] = np.ascontiguousarray(y, dtype=dt)
        if self._ravel_column_y and target.ndim == 2 and target.shape[1] == 1:
            target = target.reshape(-1)
        n_outputs = 1 if target.ndim == 1 else int(target.shape[1])
        if why and n_outputs != self.n_outputs_:
            msg = (
                f"{fn}: {why} needs y with {self.n_outputs_} target(s) as in the "
                f"previous fit, got {n_outputs}"
            )
            raise ValueError(msg)
        self.n_outputs_ = n_outputs
        return target

    def _chunk_labels(
        self, fn: str, y: Any, classes: Any, first: bool
    ) -> NDArray[np.intp]:
        """Class indices of a partial_fit chunk; ``classes_`` set on the first call."""
        check_classification_targets(y)
        known = None if first else self.classes_
        if classes is not None:
            given = np.unique(np.asarray(classes))
            if known is not None and not np.array_equal(given, known):
                msg = (
                    f"{fn}: partial_fit got classes={given.tolist()!r}, but the "
                    f"model was trained on {known.tolist()!r}"
                )
                raise ValueError(msg)
            known = given
        if known is None:
            msg = (
                f"{fn}: the first call to partial_fit needs classes= (every label "
                "of the whole data set: a chunk may lack some)"
            )
            raise ValueError(msg)
        at_least_two_classes(fn, known)
        idx = encode_labels(fn, known, y, "y")
        self.classes_ = known
        return idx

    # -- fit ----------------------------------------------------------------------
    def fit(self, X: Any, y: Any, *, validation_data: Any = None) -> Any:
        """Train the model by mini-batch gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Converted once to a C-contiguous array of ``dtype`` (a copy when
            needed; X itself is never modified).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels (classifiers) or targets (regressors).
        validation_data : (X_val, y_val) or None
            Scored after every epoch (``validation_scores_``); with
            ``early_stopping=True`` it replaces the ``validation_fraction``
            split.

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
            setup = self._fit_setup(X, y, validation_data)
            # from here on, a completed epoch is published and kept
            undo.unless = lambda: self.n_iter_ > 0
            self._train(*setup)
        return self

    def _fit_setup(self, X: Any, y: Any, validation_data: Any) -> _TrainArgs:
        """Steps 1 and 2 of ``fit``: the arguments of :meth:`_train`."""
        fn = type(self).__name__
        opts = o.read_options(self)
        net = self._network(fn, opts.alpha)
        prev = getattr(self, "_params", None)
        warm = opts.warm_start and prev is not None
        X, y = validate_data(
            self, X, y, reset=not warm, dtype=opts.dtype, order="C",
            multi_output=not self._classifier, y_numeric=not self._classifier,
        )  # fmt: skip
        y = self._targets(fn, y, opts.dtype, "warm_start=True" if warm else None)
        rng = o.make_rng(self.random_state)
        n_features = int(X.shape[1])
        params = None
        if warm:
            params = self._kept_params(fn, opts, n_features, "warm_start=True")
        if params is None:
            params = self._new_params(n_features, rng, opts.dtype)
            self._optimizer = None
        opt = self._optimizer_for(fn, opts, params, rng)

        val: tuple[FloatArray, NDArray[Any]] | None = None
        if validation_data is not None:
            val = validation_set(self, fn, validation_data, opts.dtype, y)
        elif opts.early_stopping:
            train, held = split_validation(
                rng, X.shape[0], opts.validation_fraction, fn
            )
            X, y, val = X[train], y[train], (X[held], y[held])
        return fn, opts, net, params, opt, (X, y), val, rng

    def _partial_fit(self, X: Any, y: Any, classes: Any) -> Any:
        """One epoch over the chunk ``(X, y)``; see the module docstring.

        All or nothing: an exception other than a divergence leaves the
        estimator as it was before the call.
        """
        with CallUndo(self):
            self._partial_fit_epoch(X, y, classes)
        return self

    def _partial_fit_epoch(self, X: Any, y: Any, classes: Any) -> None:
        fn = type(self).__name__
        opts = o.read_options(self)
        if opts.swa_start is not None:
            # SWA installs averaged weights when training ends, and a stream
            # of partial_fit calls has no end the estimator could see
            msg = f"{fn}: partial_fit does not support swa_start; use fit, or swa_start=None"
            raise ValueError(msg)
        net = self._network(fn, opts.alpha)
        first = getattr(self, "_params", None) is None
        X, y = validate_data(
            self, X, y, reset=first, dtype=opts.dtype, order="C",
            multi_output=not self._classifier, y_numeric=not self._classifier,
        )  # fmt: skip
        if self._classifier:
            y = self._chunk_labels(fn, y, classes, first)
        else:
            y = self._targets(fn, y, opts.dtype, None if first else "partial_fit")
        n_features = int(X.shape[1])
        if first:
            rng = o.make_rng(self.random_state)
            params = self._new_params(n_features, rng, opts.dtype)
            self._optimizer = None
            self.loss_curve_, self.lr_curve_ = [], []
            self.validation_scores_ = None
            self.n_iter_, self.n_swa_ = 0, 0
            self.best_loss_, self.best_validation_score_ = None, None
            self._plateau = None
        else:
            params = self._kept_params(fn, opts, n_features, "partial_fit")
            rng = self._rng
        opt = self._optimizer_for(fn, opts, params, rng)
        self._train_chunk(fn, opts, net, params, opt, (X, y), rng)

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
        if opt is None or not _same(config, getattr(self, "_optimizer_config", None)):
            opt = o.build_optimizer(
                fn, opts.factory, params, opts.learning_rate, opts.backend
            )
        else:
            opt.lr = opts.learning_rate  # undoes a previous fit's swa_lr
        self._params, self._optimizer, self._optimizer_config = params, opt, config
        self._rng = rng
        return opt

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

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if not self._classifier:
            tags.target_tags.multi_output = True  # y of shape (n, k) is supported
        return tags

    # -- pickling -----------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        # an optimizer holds its backend's functional module (not picklable):
        # store its state dict and rebuild it on the unpickled params
        state: dict[str, Any] = super().__getstate__()
        opt = state.get("_optimizer")
        if opt is not None:
            state = dict(state)
            state["_optimizer"] = (
                type(opt),
                opt.backend,
                opt.nonfinite,
                opt.state_dict(),
            )
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.get("_optimizer")
        if isinstance(saved, tuple):
            cls, backend, nonfinite, sd = saved
            hyper = dict(sd["hyperparameters"])
            # loaders may memory-map arrays read-only; training needs its own
            params = [p if p.flags.writeable else p.copy() for p in state["_params"]]
            opt = cls(params, **hyper, backend=backend, nonfinite=nonfinite)
            opt.load_state_dict(sd)
            state = dict(state, _optimizer=opt, _params=params)
        super().__setstate__(state)

    # -- predictions ------------------------------------------------------------
    def _checked_X(self, X: Any) -> tuple[FloatArray, list[FloatArray]]:
        """X and the weights, both in the dtype predictions are computed in.

        As scikit-learn's MLP: float32 or float64 X is kept (anything else
        becomes float64) and combined with the weights by NumPy's promotion,
        so a float32 model predicts float32 for float32 X and float64 (from
        its exact float32 weights) for float64 X, without a copy of X.
        """
        check_is_fitted(self, self._fitted_attribute)
        X = validate_data(
            self, X, reset=False, dtype=(np.float64, np.float32), order="C"
        )
        params = self._public_params()
        dt = np.result_type(X.dtype, params[0].dtype)
        cast = [p.astype(dt, copy=False) for p in params]
        return X.astype(dt, copy=False), cast

    def _predict_raw(self, X: Any) -> NDArray[Any]:
        X, params = self._checked_X(X)
        return self._raw_predict(params, X)


def _same(a: Any, b: Any) -> bool:
    """``a == b`` that treats any comparison error as different."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays in optimizer_params: ambiguous truth
        return False


__all__ = ["SteepestEstimator"]
