"""The fit loop every estimator shares (scikit-learn API over :mod:`._epoch`).

Twins: none; the per-epoch work is :func:`steepest.models._epoch.run_epoch`
(native or reference). Tests: ``tests/models/test_estimator_base.py`` and one
file per estimator.

One ``fit``, in order:

1. check every hyperparameter (:func:`._options.read_options`); convert X
   once to a C-contiguous array of the model dtype (a copy when the dtype or
   layout differs; X and y are never written); encode the targets;
2. ``rng = numpy.random.default_rng(random_state)``, then, from ``rng`` and
   in this order: the initial weights (skipped by a warm start), the
   validation split (``early_stopping`` without ``validation_data``: one
   ``permutation(n)``), and one ``permutation(n_train)`` per epoch when
   ``shuffle`` (else rows in order);
3. per epoch: run the epoch; if the loss or a weight is not finite, put the
   weights of the last completed epoch back and raise
   :class:`~steepest.DivergenceError`; record ``loss_curve_``,
   ``lr_curve_``, ``validation_scores_``; apply the ``tol`` rule, SWA and
   ``reduce_on_plateau``; stop when asked;
4. early stopping: restore the best validation epoch's weights; SWA: install
   the averaged weights; warn :class:`~steepest.ConvergenceWarning` when
   ``max_iter`` ran out with ``tol`` set.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]
from sklearn.metrics import r2_score  # type: ignore[import-untyped]
from sklearn.utils import check_array  # type: ignore[import-untyped]
from sklearn.utils.multiclass import (  # type: ignore[import-untyped]
    check_classification_targets,
)
from sklearn.utils.validation import (  # type: ignore[import-untyped]
    check_is_fitted,
    validate_data,
)

from .._errors import ConvergenceWarning, DivergenceError
from ..optim import Optimizer
from ..typing import FloatArray
from . import _options as o
from ._epoch import Network, run_epoch
from ._stopping import NoImprovement, WeightAverage, install_swa_lr, split_validation


class SteepestEstimator(BaseEstimator):  # type: ignore[misc]
    """Base of the estimators: the fit loop; subclasses supply the model.

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
    _optimizer: Optimizer | None
    _optimizer_config: Any

    # -- subclass hooks -------------------------------------------------------
    def _network(self, fn: str, alpha: float) -> Network:
        raise NotImplementedError

    def _param_shapes(self, n_features: int) -> list[tuple[int, ...]]:
        raise NotImplementedError

    def _new_params(
        self, n_features: int, rng: np.random.Generator, dtype: np.dtype[Any]
    ) -> list[FloatArray]:
        raise NotImplementedError

    def _raw_predict(self, params: list[FloatArray], X: FloatArray) -> NDArray[Any]:
        raise NotImplementedError

    def _publish(self, params: list[FloatArray]) -> None:
        raise NotImplementedError

    def _public_params(self) -> list[FloatArray]:
        raise NotImplementedError

    # -- targets ----------------------------------------------------------------
    def _targets(self, fn: str, y: Any, dt: np.dtype[Any], warm: bool) -> NDArray[Any]:
        """Class indices (intp) or regression targets of the model dtype."""
        if self._classifier:
            check_classification_targets(y)
            classes, idx = np.unique(y, return_inverse=True)
            if classes.shape[0] < 2:
                msg = (
                    f"{fn}: y must hold at least 2 classes to learn from; got 1 class: "
                    f"{classes.tolist()!r}"
                )
                raise ValueError(msg)
            if warm and not np.array_equal(classes, self.classes_):
                msg = (
                    f"{fn}: warm_start=True needs the classes of the previous fit "
                    f"{self.classes_.tolist()!r}; got {classes.tolist()!r}"
                )
                raise ValueError(msg)
            self.classes_ = classes
            return np.ascontiguousarray(idx.reshape(-1), dtype=np.intp)
        target: NDArray[Any] = np.ascontiguousarray(y, dtype=dt)
        if self._ravel_column_y and target.ndim == 2 and target.shape[1] == 1:
            target = target.reshape(-1)
        self.n_outputs_ = 1 if target.ndim == 1 else int(target.shape[1])
        return target

    def _validation_set(
        self, fn: str, data: Any, dt: np.dtype[Any], y_train: NDArray[Any]
    ) -> tuple[FloatArray, NDArray[Any]]:
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            msg = f"{fn}: validation_data must be a pair (X_val, y_val)"
            raise ValueError(msg)
        X_val = validate_data(self, data[0], reset=False, dtype=dt, order="C")
        y_val = check_array(data[1], ensure_2d=False, dtype=None)
        if y_val.shape[0] != X_val.shape[0]:
            msg = f"{fn}: validation_data has {X_val.shape[0]} rows in X but {y_val.shape[0]} in y"
            raise ValueError(msg)
        if self._classifier:
            pos = np.searchsorted(self.classes_, y_val)
            pos = np.minimum(pos, self.classes_.shape[0] - 1)
            if y_val.ndim != 1 or not np.array_equal(self.classes_[pos], y_val):
                msg = f"{fn}: validation_data y holds labels that are not among the classes of y"
                raise ValueError(msg)
            return X_val, pos.astype(np.intp)
        y_val = np.ascontiguousarray(y_val, dtype=dt).reshape((-1, *y_train.shape[1:]))
        return X_val, y_val

    def _score_params(
        self, params: list[FloatArray], X: FloatArray, y: NDArray[Any]
    ) -> float:
        """Accuracy (classifiers) or R² (regressors) of ``params`` on encoded targets."""
        pred = self._raw_predict(params, X)
        if self._classifier:
            return float(np.mean(pred == y))
        return float(r2_score(y, pred))

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
            then holds the weights of the last completed epoch.
        """
        fn = type(self).__name__
        opts = o.read_options(self)
        net = self._network(fn, opts.alpha)
        prev = getattr(self, "_params", None)
        warm = opts.warm_start and prev is not None
        X, y = validate_data(
            self, X, y, reset=not warm, dtype=opts.dtype, order="C",
            multi_output=not self._classifier, y_numeric=not self._classifier,
        )  # fmt: skip
        y = self._targets(fn, y, opts.dtype, warm)
        rng = o.make_rng(self.random_state)
        n_features = int(X.shape[1])
        params = self._warm_params(fn, opts, n_features) if warm else None
        if params is None:
            params = self._new_params(n_features, rng, opts.dtype)
            self._optimizer = None
        config = (self.optimizer, self.optimizer_params, opts.backend)
        opt: Optimizer | None = getattr(self, "_optimizer", None)
        if opt is None or not _same(config, getattr(self, "_optimizer_config", None)):
            opt = o.build_optimizer(
                fn, opts.factory, params, opts.learning_rate, opts.backend
            )
        else:
            opt.lr = opts.learning_rate  # undoes a previous fit's swa_lr
        self._params, self._optimizer, self._optimizer_config = params, opt, config

        val: tuple[FloatArray, NDArray[Any]] | None = None
        if validation_data is not None:
            val = self._validation_set(fn, validation_data, opts.dtype, y)
        elif opts.early_stopping:
            train, held = split_validation(
                rng, X.shape[0], opts.validation_fraction, fn
            )
            X, y, val = X[train], y[train], (X[held], y[held])
        self._train(fn, opts, net, params, opt, X, y, val, rng)
        return self

    def _warm_params(
        self, fn: str, opts: o.FitOptions, n_features: int
    ) -> list[FloatArray]:
        params: list[FloatArray] = self._params
        shapes = [p.shape for p in params]
        if params[0].dtype != opts.dtype or shapes != self._param_shapes(n_features):
            msg = (
                f"{fn}: warm_start=True but the model changed since the previous fit "
                f"(dtype {params[0].dtype} -> {opts.dtype}, shapes {shapes} -> "
                f"{self._param_shapes(n_features)}); set warm_start=False"
            )
            raise ValueError(msg)
        return params

    def _train(
        self,
        fn: str,
        opts: o.FitOptions,
        net: Network,
        params: list[FloatArray],
        opt: Optimizer,
        X: FloatArray,
        y: NDArray[Any],
        val: tuple[FloatArray, NDArray[Any]] | None,
        rng: np.random.Generator,
    ) -> None:
        n = int(X.shape[0])
        self.loss_curve_: list[float] = []
        self.lr_curve_: list[float] = []
        self.validation_scores_: list[float] | None = None if val is None else []
        self.n_iter_ = 0
        stopper = NoImprovement(
            opts.tol, opts.n_iter_no_change, by_score=opts.early_stopping
        )
        swa = WeightAverage() if opts.swa_start is not None else None
        plateau = opts.plateau
        converged = False
        for epoch in range(opts.max_iter):
            if epoch == opts.swa_start and opts.swa_lr is not None:
                install_swa_lr(opt, opts.swa_lr)
            perm = rng.permutation(n) if opts.shuffle else np.arange(n, dtype=np.intp)
            scale = 1.0 if plateau is None else plateau.scale
            lr = opt.lr * scale
            snapshot = [p.copy() for p in params]
            # overflow is detected below from the result; NumPy's warnings
            # about it would only repeat the DivergenceError
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss, _ = run_epoch(
                    opts.backend, net, params, opt, X, y, perm, opts.batch_size,
                    lr_scale=scale, n_threads=opts.n_threads,
                )  # fmt: skip
            if not (math.isfinite(loss) and all(np.isfinite(p).all() for p in params)):
                self._diverged(fn, params, snapshot, opt, epoch, lr)
            self.loss_curve_.append(float(loss))
            self.lr_curve_.append(lr)
            self.n_iter_ = epoch + 1
            score = None if val is None else self._score_params(params, *val)
            if score is not None:
                assert self.validation_scores_ is not None
                self.validation_scores_.append(score)
            stop = stopper.update(loss, score, params)
            if (
                swa is not None
                and opts.swa_start is not None
                and epoch >= opts.swa_start
            ):
                swa.update(params)
            if plateau is not None:
                # the plateau watches what the tol rule watches
                plateau.update(
                    1.0 - score if opts.early_stopping and score is not None else loss
                )
                stop = stop or plateau.stopped
            if opts.verbose:
                shown = "" if score is None else f", validation score {score:.6g}"
                print(f"{fn} epoch {epoch + 1}: loss {loss:.6g}{shown}, lr {lr:.6g}")
            if stop:
                converged = True
                break
        self._finish(opts, params, opt, stopper, swa)
        if not converged and opts.tol is not None:
            msg = (
                f"{fn}: stopped after max_iter={opts.max_iter} epochs before the loss "
                f"{'(validation score) ' if opts.early_stopping else ''}stopped improving "
                f"by tol={opts.tol}; raise max_iter or the learning rate"
            )
            warnings.warn(msg, ConvergenceWarning, stacklevel=3)

    def _finish(
        self,
        opts: o.FitOptions,
        params: list[FloatArray],
        opt: Optimizer,
        stopper: NoImprovement,
        swa: WeightAverage | None,
    ) -> None:
        if opts.early_stopping:
            stopper.restore_best(params)
        self.n_swa_ = 0 if swa is None else swa.count
        if swa is not None and swa.count > 0:
            swa.apply(params)
        self.best_loss_ = None if opts.early_stopping else stopper.best_loss
        self.best_validation_score_ = (
            stopper.best_score if opts.early_stopping else None
        )
        self.t_ = opt.step_count
        self._publish(params)

    def _diverged(
        self,
        fn: str,
        params: list[FloatArray],
        snapshot: list[FloatArray],
        opt: Optimizer,
        epoch: int,
        lr: float,
    ) -> None:
        for p, saved in zip(params, snapshot, strict=True):
            p[...] = saved
        self._optimizer = None  # its state may hold NaN: a warm start rebuilds it
        self.best_loss_ = None
        self.best_validation_score_ = None
        self.n_swa_ = 0
        self.t_ = opt.step_count
        self._publish(params)
        msg = (
            f"{fn}: training diverged in epoch {epoch + 1} (the loss or a weight became "
            f"NaN or infinite) with learning rate {lr:.6g}; the weights of the last "
            "completed epoch were kept. Try a lower learning_rate (or a schedule that "
            "decays it), a smaller batch_size, or standardised X."
        )
        raise DivergenceError(msg)

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
    def _checked_X(self, X: Any) -> FloatArray:
        check_is_fitted(self, self._fitted_attribute)
        dt = self._public_params()[0].dtype
        out: FloatArray = validate_data(self, X, reset=False, dtype=dt, order="C")
        return out

    def _predict_raw(self, X: Any) -> NDArray[Any]:
        X = self._checked_X(X)
        return self._raw_predict(self._public_params(), X)


def _same(a: Any, b: Any) -> bool:
    """``a == b`` that treats any comparison error as different."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays in optimizer_params: ambiguous truth
        return False


__all__ = ["SteepestEstimator"]
