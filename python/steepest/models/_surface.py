"""What an estimator is to scikit-learn: its model hooks, data checks, predictions.

Twins: none; the model math behind the hooks is
:mod:`steepest.nn`. Tests: ``tests/models/test_estimator_base.py``,
``tests/models/test_sklearn_checks.py``, ``tests/models/test_resume.py``
(pickling) and one file per estimator.

:class:`ModelSurface` is the bottom of the estimators' classes: it declares,
once, every hook a model family supplies (:mod:`.linear`, :mod:`.logistic`,
:mod:`.mlp`) and everything the scikit-learn API needs without training:
``validate_data`` of the training data, the encoding of the targets, the
checks and casts before a prediction, the tags and pickling. The epochs are
:class:`._loop.TrainingLoop`'s, the ``fit`` / ``partial_fit`` calls
:class:`._base.SteepestEstimator`'s.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray
from sklearn.base import BaseEstimator  # type: ignore[import-untyped]
from sklearn.metrics import r2_score  # type: ignore[import-untyped]
from sklearn.utils.multiclass import (  # type: ignore[import-untyped]
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.validation import (  # type: ignore[import-untyped]
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ..typing import FloatArray
from ._epoch import Network
from ._labels import at_least_two_classes, encode_labels

#: what ``validate_data`` converts every sparse X to (once per call)
SPARSE_FORMAT = "csr"


def csr_input(fn: str, X: Any) -> Any:
    """A sparse X as the models train on it: CSR with int32 column indices.

    ``validate_data`` has already converted other formats to CSR and the data
    to the model dtype (each a copy); int64 indices (large sparse matrices)
    are narrowed here, in a new matrix, when the column count allows. Indices
    are used in their order (unsorted or repeated ones need no sorting: a
    repeated column adds up in the products, as it does in scipy's own), so
    the user's matrix is never sorted or otherwise written. Dense X passes.
    """
    if not sp.issparse(X):
        return X
    if X.indices.dtype != np.int32:
        if X.shape[1] > np.iinfo(np.int32).max:
            msg = f"{fn}: X has {X.shape[1]} columns; a sparse X may have at most 2**31 - 1"
            raise ValueError(msg)
        X = type(X)((X.data, X.indices.astype(np.int32), X.indptr), shape=X.shape)
    return X


class ModelSurface(BaseEstimator):  # type: ignore[misc]
    """The model hooks and the scikit-learn plumbing every estimator shares.

    Model hooks (one implementation per family): :meth:`_network` (loss,
    activation, penalty), :meth:`_param_shapes`, :meth:`_new_params`,
    :meth:`_raw_predict` (class indices or values from a params list),
    :meth:`_publish` (sets the scikit-learn attributes) and
    :meth:`_public_params` (the params list back from those attributes, which
    predictions use).
    """

    _classifier: ClassVar[bool] = False
    #: regression y of shape (n, 1) is trained as (n,) (the MLP's one output unit)
    _ravel_column_y: ClassVar[bool] = False
    #: the attribute whose presence means "fitted" (others are set early in fit)
    _fitted_attribute: ClassVar[str] = "coef_"
    #: a classifier that accepts a 0/1 indicator matrix y (multi-label)
    _multilabel_ok: ClassVar[bool] = False
    #: fitted on multi-label y (set by fit and partial_fit; False until then)
    _multilabel: bool = False

    # fitted state (declared for the type checker; set by fit and partial_fit)
    classes_: NDArray[Any]
    n_outputs_: int
    _params: list[FloatArray]

    def _loss(self) -> str:
        """The training loss: cross-entropy for classifiers (one sigmoid per
        label for multi-label y), else squared error."""
        if not self._classifier:
            return "squared_error"
        return "multilabel_log_loss" if self._multilabel else "log_loss"

    # -- model hooks --------------------------------------------------------------
    def _network(self, fn: str, alpha: float) -> Network:
        """Check the model's own hyperparameters; what the epoch runner needs."""
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

    # -- training data --------------------------------------------------------------
    def _training_data(
        self, X: Any, y: Any, dt: np.dtype[Any], *, reset: bool
    ) -> tuple[FloatArray, Any]:
        """``validate_data`` of fit and partial_fit: X C-contiguous of ``dt``.

        A scipy.sparse X (matrix or array, any format) becomes CSR of ``dt``
        (:func:`csr_input`); NaN or inf in its data is an error naming X.
        """
        X, y = validate_data(
            self, X, y, reset=reset, dtype=dt, order="C",
            accept_sparse=SPARSE_FORMAT, accept_large_sparse=True,
            multi_output=not self._classifier or self._multilabel_ok,
            y_numeric=not self._classifier,
        )  # fmt: skip
        if self._classifier and self._multilabel_ok and y.ndim == 2:
            # a sparse indicator matrix is densified (predictions are dense)
            dense = y.toarray() if sp.issparse(y) else y
            y = self._indicator_or_1d(type(self).__name__, dense)
        return csr_input(type(self).__name__, X), y

    @staticmethod
    def _indicator_or_1d(fn: str, y: NDArray[Any]) -> NDArray[Any]:
        """2-D classifier y: a column becomes 1-D (with scikit-learn's
        DataConversionWarning); more columns must be a multi-label indicator."""
        if y.shape[1] == 1:
            out: NDArray[Any] = column_or_1d(y, warn=True)
            return out
        kind = type_of_target(y)
        # type_of_target also calls any two integers "multilabel-indicator"
        if kind != "multilabel-indicator" or not np.isin(y, (0, 1)).all():
            msg = (
                f"{fn}: y of shape {y.shape} must be a multi-label indicator matrix "
                f"of 0 and 1 (type_of_target 'multilabel-indicator'), got {kind!r}"
            )
            raise ValueError(msg)
        return y

    def _indicators(
        self, fn: str, y: NDArray[Any], dt: np.dtype[Any], why: str | None
    ) -> NDArray[Any]:
        """Multi-label targets as 0/1 of the model dtype; ``classes_`` the
        column indices, as scikit-learn's LabelBinarizer sets them."""
        k = int(y.shape[1])
        if why and not (self._multilabel and k == self.classes_.shape[0]):
            before = f"{self.classes_.shape[0]} labels" if self._multilabel else "1-D y"
            msg = f"{fn}: {why} needs y shaped as in the previous fit ({before}); got {k} labels"
            raise ValueError(msg)
        self._multilabel = True
        self.classes_ = np.arange(k)
        return np.ascontiguousarray(y, dtype=dt)

    def _targets(
        self, fn: str, y: Any, dt: np.dtype[Any], why: str | None
    ) -> NDArray[Any]:
        """Class indices (intp) or regression targets of the model dtype.

        ``why`` names what continues a previous fit ("warm_start=True" or
        "partial_fit"), whose targets must then look the same; None: a new fit.
        """
        if self._classifier:
            check_classification_targets(y)
            if y.ndim == 2:  # checked by _training_data: a multi-label indicator
                return self._indicators(fn, y, dt, why)
            if why and self._multilabel:
                msg = (
                    f"{fn}: {why} needs multi-label y as in the previous fit; got 1-D y"
                )
                raise ValueError(msg)
            self._multilabel = False
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
        self, fn: str, y: Any, classes: Any, first: bool, dt: np.dtype[Any]
    ) -> NDArray[Any]:
        """Class indices of a partial_fit chunk; ``classes_`` set on the first call.

        Multi-label: the chunk's 0/1 indicators; ``classes`` may be omitted
        (the labels are the columns), else it must be their indices.
        """
        check_classification_targets(y)
        if y.ndim == 2:
            given = None if classes is None else np.unique(np.asarray(classes))
            if given is not None and not np.array_equal(given, np.arange(y.shape[1])):
                msg = (
                    f"{fn}: partial_fit got classes={given.tolist()!r}; with a "
                    f"multi-label y of {y.shape[1]} columns they are the column "
                    f"indices 0..{y.shape[1] - 1} (or omit classes)"
                )
                raise ValueError(msg)
            return self._indicators(fn, y, dt, None if first else "partial_fit")
        if not first and self._multilabel:
            msg = f"{fn}: partial_fit needs multi-label y as in the previous fit; got 1-D y"
            raise ValueError(msg)
        self._multilabel = False
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

    # -- predictions --------------------------------------------------------------
    def _checked_X(self, X: Any) -> tuple[FloatArray, list[FloatArray]]:
        """X and the weights, both in the dtype predictions are computed in.

        As scikit-learn's MLP: float32 or float64 X is kept (anything else
        becomes float64) and combined with the weights by NumPy's promotion,
        so a float32 model predicts float32 for float32 X and float64 (from
        its exact float32 weights) for float64 X, without a copy of X.
        """
        check_is_fitted(self, self._fitted_attribute)
        X = validate_data(
            self, X, reset=False, dtype=(np.float64, np.float32), order="C",
            accept_sparse=SPARSE_FORMAT, accept_large_sparse=True,
        )  # fmt: skip
        params = self._public_params()
        dt = np.result_type(X.dtype, params[0].dtype)
        cast = [p.astype(dt, copy=False) for p in params]
        return X.astype(dt, copy=False), cast

    def _predict_raw(self, X: Any) -> NDArray[Any]:
        X, params = self._checked_X(X)
        return self._raw_predict(params, X)

    def _score_params(
        self,
        params: list[FloatArray],
        X: FloatArray,
        y: NDArray[Any],
        weight: NDArray[Any] | None = None,
    ) -> float:
        """Accuracy (classifiers) or R² (regressors) of ``params`` on encoded targets.

        ``weight``: the rows' sample weights; all zero scores NaN (no improvement).
        """
        pred = self._raw_predict(params, X)
        if weight is not None and not np.any(weight > 0):
            return float("nan")
        if self._classifier:
            hit = pred == y
            # multi-label: subset accuracy, as ClassifierMixin.score
            return float(
                np.average(hit.all(axis=1) if hit.ndim == 2 else hit, weights=weight)
            )
        return float(r2_score(y, pred, sample_weight=weight))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        if not self._classifier:
            tags.target_tags.multi_output = True  # y of shape (n, k) is supported
        tags.input_tags.sparse = True  # scipy.sparse X: CSR products, never densified
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
        ema = state.get("_ema")
        if ema is not None and not all(a.flags.writeable for a in ema.arrays):
            ema = type(ema)([a.copy() for a in ema.arrays], ema.decay, ema.copy_step)
            state = dict(state, _ema=ema)
        super().__setstate__(state)


__all__ = ["ModelSurface"]
