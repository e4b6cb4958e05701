"""The epochs of scikit-learn's plain SGD for k models, on either backend.

Twins: the epoch itself is ``steepest._core.sgd_epoch`` (native, C++, GIL
released) or :func:`steepest.reference.sgd.sgd_epoch` (NumPy); this module
runs the epochs and decides, per model, when it stops, as scikit-learn's
``_plain_sgd`` does between epochs. Tests: ``tests/models/test_sgd_*.py``.

What one call (one ``fit`` or ``partial_fit``) does, as scikit-learn does in
one ``_plain_sgd`` call per class: fresh wscale = 1, running norms of v, the
L1 accumulators ``u``, ``q`` at 0 and ``eta = eta0``; then per epoch the
rows of the training set (``rng.permutation`` of them when shuffling, the
project's convention: one permutation shared by every class, where
scikit-learn draws one per class) and per model the stopping rule:
``tol`` against the epoch's mean objective (or the validation score with
early stopping), ``n_iter_no_change`` strikes, and with ``adaptive`` the
learning rate divided by 5 instead of stopping while it is above 1e-6.
A model that stops is left out of the later epochs (the others go on); the
call's ``n_iter_`` is the largest count of epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from .._schedule_base import Schedule
from ..reference import sgd as ref

OVERFLOW = (
    "Floating-point under-/overflow occurred at epoch #{epoch}. Scaling input data "
    "with StandardScaler or MinMaxScaler might help."
)


@dataclass
class Problem:
    """The data and the per-model constants of one call."""

    X: Any  # dense float64 C array or canonical CSR (int32 indices)
    y: NDArray[Any]  # int64 labels (with pos_label) or float64 targets
    sample_weight: NDArray[np.float64]
    train_rows: NDArray[np.int64]
    pos_label: NDArray[np.int64] | None
    pos_weight: NDArray[np.float64]
    neg_weight: NDArray[np.float64]
    # model c's validation score for (coef, intercept), or None
    score: Callable[[int, NDArray[np.float64], float], float] | None = None
    rows_total: int = 0  # every process's rows when data-parallel
    # data-parallel: a _data_parallel.DataParallel (the communicator, the
    # global rows of each step), or None
    par: Any = None


@dataclass
class Rule:
    """The hyperparameters the epochs read (codes as in steepest.reference.sgd)."""

    loss: str
    loss_param: float
    penalty: int
    alpha: float
    l1_ratio: float
    learning_rate: int
    eta0: float
    power_t: float
    fit_intercept: bool
    average: int
    max_iter: int
    tol: float  # -inf for None
    n_iter_no_change: int
    early_stopping: bool
    shuffle: bool
    verbose: int = 0
    # the mini-batch path (._sgd_batch): rows per step and the optimizer
    # (a functools.partial of its class); factory None is plain SGD
    batch_size: int = 1
    factory: Any = None
    # steepest's own: learning_rate given as a schedule (then learning_rate
    # is SCHEDULE_RATE), the weights' dtype, threads (0: the default)
    schedule: Schedule | None = None
    dtype: np.dtype[Any] = field(default_factory=lambda: np.dtype(np.float64))
    n_threads: int = 0
    optimal_init: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        if self.penalty == 2:
            self.l1_ratio = 0.0
        elif self.penalty == 1:
            self.l1_ratio = 1.0
        if self.learning_rate == 2:
            typw = math.sqrt(1.0 / math.sqrt(self.alpha))
            grad = ref.loss_gradient(self.loss, self.loss_param, 1.0, -typw)
            initial = typw / max(1.0, grad)
            self.optimal_init = 1.0 / (initial * self.alpha)


def new_state(
    coef: NDArray[np.float64],
    intercept: NDArray[np.float64],
    rule: Rule,
    avg_coef: NDArray[np.float64] | None,
    avg_intercept: NDArray[np.float64] | None,
) -> dict[str, Any]:
    """The epoch state of one call over copies of the given weights."""
    k, d = coef.shape
    dt = rule.dtype
    v = np.array(coef, dtype=dt, order="C", copy=True)
    state: dict[str, Any] = {
        "coef": v,
        "intercept": np.array(intercept, dtype=dt, copy=True),
        "wscale": np.ones(k, dt),
        # NumPy's sum, not a BLAS dot (scikit-learn's): one BLAS call wakes
        # OpenBLAS's threads, which cost more than this fit's first epoch on
        # a busy machine; the norms only feed the stopping objective
        "sq_norm": np.array([float((row * row).sum()) for row in v], dt),
        "l1_norm": np.array([float(np.abs(row).sum()) for row in v], dt),
        "u": np.zeros(k, dt),
        "eta": np.full(k, rule.eta0),  # rates stay float64 (rounded when used)
        "q": np.zeros((k, d), dt) if rule.penalty in (1, 3) else None,
    }
    if rule.average > 0:
        assert avg_coef is not None
        assert avg_intercept is not None
        state["avg_coef"] = np.array(avg_coef, dtype=dt, order="C", copy=True)
        state["avg_intercept"] = np.array(avg_intercept, dtype=dt, copy=True)
        state["avg_a"] = np.zeros(k, dt)
        state["avg_b"] = np.ones(k, dt)
    return state


def schedule_values(
    backend: str, schedule: Schedule
) -> Callable[[int, int], NDArray[np.float64]]:
    """``values(n, start)`` of the schedule, in one native call on the native
    backend whichever module the schedule is from (the two evaluate the
    same bits; a reference schedule's values loop in Python)."""
    if backend == "native":
        from .. import _core

        out: Callable[[int, int], NDArray[np.float64]] = _core.Schedule(
            schedule.to_native()
        ).values
        return out
    return schedule.values


def _csr_parts(X: Any) -> tuple[Any, Any, Any]:
    if sp.issparse(X):
        return X.data, X.indices, X.indptr.astype(np.int64, copy=False)
    return X, None, None


def run(
    backend: str,
    problem: Problem,
    rule: Rule,
    state: dict[str, Any],
    t: float,
    rng: np.random.Generator,
) -> int:
    """Epochs until every model stopped or ``max_iter``; returns ``n_iter_``.

    ``state`` is updated in place and ends folded (wscale = 1).
    """
    if backend == "native":
        # here, not at the top: the reference backend needs no extension
        from .. import _core

        epoch_fn: Any = _core.sgd_epoch
    else:
        epoch_fn = ref.sgd_epoch
    k = state["coef"].shape[0]
    state["pos_weight"] = problem.pos_weight
    state["neg_weight"] = problem.neg_weight
    state["pos_label"] = problem.pos_label
    active = np.ones(k, dtype=np.uint8)
    state["active"] = active
    data, indices, indptr = _csr_parts(problem.X)
    rows = problem.train_rows
    n_train = rows.shape[0]
    best_objective = np.full(k, np.inf)
    best_score = np.full(k, -np.inf)
    strikes = np.zeros(k, dtype=np.int64)
    epochs = np.zeros(k, dtype=np.int64)
    settings = {
        "loss": rule.loss, "loss_param": rule.loss_param, "penalty": rule.penalty,
        "learning_rate": rule.learning_rate, "alpha": rule.alpha,
        "l1_ratio": rule.l1_ratio, "power_t": rule.power_t, "eta0": rule.eta0,
        "optimal_init": rule.optimal_init, "intercept_decay": 1.0, "t": t,
        "average": rule.average, "fit_intercept": rule.fit_intercept,
        "track": not rule.early_stopping, "n_threads": rule.n_threads,
    }  # fmt: skip
    rates = None if rule.schedule is None else schedule_values(backend, rule.schedule)
    if indices is not None:
        settings["intercept_decay"] = 0.01  # scikit-learn's SPARSE_INTERCEPT_DECAY
    for epoch in range(rule.max_iter):
        if not rule.shuffle:
            perm = rows
        elif n_train == problem.rows_total:  # rows is arange(n): skip a gather
            perm = rng.permutation(n_train)
        else:
            perm = rows[rng.permutation(n_train)]
        settings["t"] = t
        if rates is not None:
            # per row: row r of the epoch is step t - 1 + r of the schedule
            settings["etas"] = rates(n_train, int(t) - 1)
        sumloss, objective = epoch_fn(
            data,
            indices,
            indptr,
            problem.y,
            problem.sample_weight,
            perm,
            state,
            settings,
        )
        t += n_train
        for c in (int(i) for i in np.flatnonzero(active)):
            epochs[c] = epoch + 1
            b = float(state["intercept"][c])
            if not (math.isfinite(b) and np.isfinite(state["coef"][c]).all()):
                raise ValueError(OVERFLOW.format(epoch=epoch + 1))
            if rule.early_stopping:
                assert problem.score is not None
                w = state["coef"][c] * state["wscale"][c]
                score = problem.score(int(c), w, b)
                # a NaN score is no improvement
                if rule.tol > -np.inf and not score >= best_score[c] + rule.tol:
                    strikes[c] += 1
                else:
                    strikes[c] = 0
                best_score[c] = max(best_score[c], score)  # NaN keeps the best
            else:
                mean = float(objective[c]) / n_train
                if rule.tol > -np.inf and mean > best_objective[c] - rule.tol:
                    strikes[c] += 1
                else:
                    strikes[c] = 0
                best_objective[c] = min(best_objective[c], mean)
            if rule.verbose:
                print(
                    f"-- Epoch {epoch + 1}, model {c}: avg. loss "
                    f"{float(sumloss[c]) / n_train:f}, T: {int(t) - 1}"
                )
            if strikes[c] >= rule.n_iter_no_change:
                if rule.learning_rate == 4 and state["eta"][c] > 1e-6:
                    state["eta"][c] /= 5
                    strikes[c] = 0
                else:
                    active[c] = 0
        if not active.any():
            break
    for c in range(k):
        ref.reset_wscale(state, c)
    return int(epochs.max())


__all__ = ["OVERFLOW", "Problem", "Rule", "new_state", "run", "schedule_values"]
