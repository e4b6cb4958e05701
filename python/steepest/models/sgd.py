"""``SGDClassifier`` and ``SGDRegressor``: scikit-learn's estimators, its algorithm.

Twins: :mod:`._sgd_fit` runs the epochs on ``steepest._core.sgd_epoch``
(``backend="native"``) or :func:`steepest.reference.sgd.sgd_epoch`
(``backend="reference"``), bit for bit equal. Tests:
``tests/models/test_sgd_estimators.py`` (scikit-learn's checks, equivalence
with scikit-learn, bad input) and ``tests/models/test_sgd_parity.py``.

The constructors are those of the installed scikit-learn (same names,
defaults and meaning) plus ``backend``; so is the algorithm: batch size 1,
scikit-learn's learning-rate rules, ``w = wscale * v`` (an L2 step costs
O(1), a sample O(its nonzeros)), cumulative L1 truncation, ASGD averaging,
one-vs-rest for more than two classes (all classes updated in one pass over
the data, not one pass per class). With ``shuffle=False`` the fitted
``coef_`` equals scikit-learn's to rounding.

Differences, on purpose:

- Shuffling uses ``numpy.random.default_rng(random_state)`` and one
  ``permutation`` per epoch shared by every class (scikit-learn draws its own
  per class), so shuffled fits are equally good, not equal.
- Input is converted to ``dtype`` (float64 by default, whatever X's dtype):
  dense X once to a C-ordered array, any sparse X once to CSR with sorted,
  summed-duplicate int32 indices (a copy when it differs; X, y and
  sample_weight are never written). scikit-learn 1.9 instead follows X:
  float32 X trains in float32 (``coef_`` float32, ``intercept_`` float64 for
  its classifier); here float32 X is fitted in float64 unless
  ``dtype=numpy.float32``. Explicit
  zeros stored in a CSR matrix are kept and, as in scikit-learn, visited by
  the L1 truncation (otherwise they change nothing). Empty rows update the
  intercept only. NaN or inf in X is an error.
- Negative ``sample_weight`` is an error (it would turn a descent step into
  an ascent step).
- Early stopping scores the model ``wscale * v`` (scikit-learn 1.9 scores
  ``v`` alone while ``wscale != 1``) and counts a NaN score as no
  improvement; for ``log_loss`` a validation row counts as right when the
  sign of the decision matches its class.
- ``n_jobs`` is accepted and has no effect: the classes share one pass.

steepest's own parameters (after scikit-learn's; left at their defaults,
the algorithm above runs):

- ``optimizer``: a rule name of :data:`steepest.models._options.OPTIMIZERS`
  (``"sgd"``, ``"momentum"``, ``"adam"``, ``"lamb"``, ...), a steepest
  Optimizer class or a ``functools.partial`` of one; ``"sgd"`` is
  scikit-learn's plain SGD.
- ``optimizer_params``: a dict of the rule's hyperparameters (``lr`` aside,
  which ``eta0`` and ``learning_rate`` set); the rule's own defaults
  otherwise (Adam: betas (0.9, 0.999), eps 1e-8).
- ``batch_size``: rows per step (default 1).
- ``learning_rate`` may be a steepest schedule (:mod:`steepest.schedules`,
  :mod:`steepest.reference.schedules`; ``eta0`` then unused), per step, not
  per epoch: ``schedule(t - 1)`` for row t (counted as ``t_``, across
  ``partial_fit`` calls) on the plain path, for optimizer step t on the
  mini-batch path. scikit-learn's strings keep their meaning.
- ``dtype``: float64 (default) or float32: weights (``coef_``,
  ``intercept_``), data, row weights and every update in that precision, on
  both paths, native = reference bit for bit; the loss, its derivative
  (rounded once), the rate and the stopping objective are float64.
- ``n_threads``: threads of the native epochs (None: every core). The plain
  path deals the one-vs-rest models to threads (a binary classifier or a
  regressor is one model: one thread), the mini-batch path splits the
  predictions by rows and the gradient by columns; no sum changes order, so
  unlike the other estimators (README, "Reproducibility") the thread count
  changes no bit (except a two-pass rule's step, LAMB's, over more than
  ~256K weights: its norms split as in the optimizers' step). Epochs under
  ~1M multiply-adds (batches under ~256K) run on one thread.

With ``optimizer != "sgd"``, ``optimizer_params`` or ``batch_size > 1`` the
fit takes mini-batch steps of the rule (:mod:`._sgd_batch` documents the
step, the L1 truncation, the learning-rate mapping and the cost on sparse
X): the batch's mean of the weighted loss subgradients plus the gradient of
the L2 penalty, for every loss, ``class_weight``, ``sample_weight``,
``fit_intercept`` and the one-vs-rest classes together. ``learning_rate``:
``constant`` is ``eta0``, ``invscaling`` ``eta0 / t ** power_t`` (t counts
steps), ``adaptive`` ``eta0`` divided by 5 on stalls; ``optimal`` is kept
for ``optimizer="sgd"`` (per step) and refused for other rules (so their
classifier needs an explicit ``learning_rate``); ``average`` is refused.
Native: one C++ call per epoch (gradients and the rule's fused step);
reference: NumPy and the reference Optimizer; both fit the same bits.

Data-parallel (``fit(X_shard, y_shard, comm=...)``, ``partial_fit``): the
mini-batch path on k processes; see :mod:`._sgd_parallel`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model._base import LinearClassifierMixin  # type: ignore[import-untyped]
from sklearn.utils.metaestimators import available_if  # type: ignore[import-untyped]
from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped]

from . import _data_parallel as dp
from . import _sgd_fit
from . import _sgd_parallel as par
from ._sgd_base import CLASSIFIER_LOSSES, _BaseSGD
from ._sgd_regressor import SGDRegressor


class SGDClassifier(LinearClassifierMixin, _BaseSGD):  # type: ignore[misc]
    """Linear classifiers (SVM, logistic regression, ...) by scikit-learn's plain SGD.

    The parameters, methods and fitted attributes of
    :class:`sklearn.linear_model.SGDClassifier` (see its documentation for
    each), plus steepest's ``optimizer``, ``optimizer_params``,
    ``batch_size``, ``backend`` (``"native"``, C++, or ``"reference"``,
    NumPy; bit for bit equal), ``dtype`` (float64 or float32) and
    ``n_threads``, and ``learning_rate`` may be a steepest schedule (per
    step). Those and the differences from scikit-learn are described in the
    module documentation (:mod:`steepest.models.sgd`).

    Examples
    --------
    >>> import numpy as np, steepest
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> y = np.array([1, 1, 2, 2])
    >>> clf = steepest.SGDClassifier(max_iter=1000, tol=1e-3, random_state=0).fit(X, y)
    >>> clf.predict([[-0.8, -1.0]]).tolist()
    [1]
    """

    _is_classifier = True
    _losses = tuple(CLASSIFIER_LOSSES)

    def __init__(
        self,
        loss: str = "hinge",
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
        n_jobs: int | None = None,
        random_state: Any = None,
        learning_rate: Any = "optimal",
        eta0: float = 0.01,
        power_t: float = 0.5,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        class_weight: Any = None,
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
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
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
    ) -> SGDClassifier:
        """Fit by plain SGD: ``max_iter`` epochs at most, from zeros or ``coef_init``.

        ``comm``: data-parallel, each process with its shard (a torch
        ``ProcessGroup``, an ``mpi4py`` communicator, ``"torch"``, ``"mpi"``).
        On k > 1 processes: mini-batch steps of ``optimizer``, equal to one
        process with ``batch_size=k*b``; scikit-learn's per-sample plain SGD is
        the k = 1, b = 1 case only. See :mod:`steepest.models._sgd_parallel`.
        """
        fn = "SGDClassifier.fit"
        group = par.communicator(comm, fn)
        rule = self._read_params(fn, partial=False, parallel=group is not None)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            warm = self._warm()
            coef_init = warm[0] if coef_init is None else coef_init
            intercept_init = warm[1] if intercept_init is None else intercept_init
            X, y = self._data(fn, X, y, rule.dtype, reset=True)
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            check_classification_targets(y)
            classes = np.unique(y) if group is None else par.union_classes(group, y)
            return self._fit_classes(
                fn, rule, X, y, classes, sample_weight, (coef_init, intercept_init),
                fit=True, comm=group,
            )  # fmt: skip

    def partial_fit(
        self,
        X: Any,
        y: Any,
        classes: Any = None,
        sample_weight: Any = None,
        *,
        comm: Any = None,
    ) -> SGDClassifier:
        """One epoch over ``X``; ``classes`` (all labels) is required on the first call.

        ``comm``: as for :meth:`fit`; ``classes`` must be the same on every process.
        """
        fn = "SGDClassifier.partial_fit"
        group = par.communicator(comm, fn)
        rule = self._read_params(fn, partial=True, parallel=group is not None)
        # one process's bad input fails every process now, not at the timeout
        with dp.agreement(group):
            first = not hasattr(self, "classes_")
            if first and isinstance(self.class_weight, str):
                msg = (
                    f"{fn}: class_weight='balanced' needs the whole training set; pass "
                    "compute_class_weight('balanced', classes=classes, y=y) as a dict"
                )
                raise ValueError(msg)
            X, y = self._data(fn, X, y, rule.dtype, reset=first)
            if group is not None:
                dp.same_features(fn, group, int(X.shape[1]))
            check_classification_targets(y)
            if first:
                if classes is None:
                    msg = f"{fn}: classes must be passed on the first call, got None"
                    raise ValueError(msg)
                known = np.unique(np.asarray(classes))
            else:
                known = self.classes_
                if classes is not None and not np.array_equal(
                    np.unique(classes), known
                ):
                    msg = f"{fn}: classes {classes!r} differ from the first call's {known!r}"
                    raise ValueError(msg)
            if group is not None:
                par.agree_classes(fn, group, known, y)
            unknown = np.setdiff1d(np.unique(y), known)
            if unknown.size:
                msg = f"{fn}: y holds labels {unknown.tolist()} that are not in classes"
                raise ValueError(msg)
            return self._fit_classes(
                fn, rule, X, y, known, sample_weight, None, fit=False, comm=group
            )

    def _fit_classes(
        self,
        fn: str,
        rule: _sgd_fit.Rule,
        X: Any,
        y: NDArray[Any],
        classes: NDArray[Any],
        sample_weight: Any,
        init: tuple[Any, Any] | None,
        *,
        fit: bool,
        comm: Any = None,
    ) -> SGDClassifier:
        n_classes = classes.shape[0]
        if n_classes < 2:
            msg = f"{fn}: y must hold at least two classes, got {n_classes} class"
            raise ValueError(msg)
        codes = np.searchsorted(classes, y).astype(np.int64)
        cw = np.asarray(
            par.class_weights(fn, comm, self.class_weight, classes, y, codes),
            dtype=rule.dtype,
        )
        sw = self._weights(fn, sample_weight, X, comm)
        binary = n_classes == 2
        k, d = (1 if binary else n_classes), X.shape[1]
        if binary:
            pos_label = np.array([1], dtype=np.int64)
            pos_w, neg_w = cw[1:2].copy(), cw[0:1].copy()
        else:
            pos_label = np.arange(k, dtype=np.int64)
            pos_w, neg_w = cw.copy(), np.ones(k, dtype=rule.dtype)
        mask = self._split(y, sw, comm)
        problem = _sgd_fit.Problem(
            X=X, y=codes, sample_weight=sw,
            train_rows=np.flatnonzero(~mask).astype(np.int64, copy=False), pos_label=pos_label,
            pos_weight=pos_w, neg_weight=neg_w, rows_total=X.shape[0],
        )  # fmt: skip
        if rule.early_stopping:
            problem.score = par.classifier_score(
                comm, X[mask], codes[mask], sw[mask], pos_label
            )
        if fit or getattr(self, "_standard_coef", None) is None:
            assert init is not None or not fit
            coef, intercept, avg = self._start(fn, rule, k, d, *(init or (None, None)))
        else:
            coef, intercept, avg = self._resume(fn, rule, k, d)
        self._run(fn, rule, problem, coef, intercept, avg, fit=fit, comm=comm)
        self.classes_ = classes
        return self

    def _publish(
        self, coef: NDArray[np.float64], intercept: NDArray[np.float64]
    ) -> None:
        self.coef_ = coef
        self.intercept_ = intercept

    def _check_proba(self) -> bool:
        if self.loss not in ("log_loss", "modified_huber"):
            msg = f"probability estimates are not available for loss={self.loss!r}"
            raise AttributeError(msg)
        return True

    @available_if(_check_proba)  # type: ignore[untyped-decorator]
    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities: logistic for ``log_loss`` (one-vs-rest scores
        normalised), clipped scores (s + 1) / 2 for ``modified_huber``."""
        if self.loss == "log_loss":
            out: NDArray[np.float64] = self._predict_proba_lr(X)
            return out
        scores = np.asarray(self.decision_function(X), dtype=np.float64)
        positive = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if self.classes_.shape[0] == 2:
            return np.column_stack([1.0 - positive, positive])
        total = positive.sum(axis=1)
        none = total == 0
        # no class scored above -1: every class equally likely
        positive[none, :] = 1.0
        total[none] = self.classes_.shape[0]
        proba: NDArray[np.float64] = positive / total[:, None]
        return proba

    @available_if(_check_proba)  # type: ignore[untyped-decorator]
    def predict_log_proba(self, X: Any) -> NDArray[np.float64]:
        """The log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):  # a probability of 0 has log -inf
            out: NDArray[np.float64] = np.log(self.predict_proba(X))
        return out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


__all__ = ["SGDClassifier", "SGDRegressor"]
