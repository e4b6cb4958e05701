"""SGDClassifier / SGDRegressor data-parallel: ``fit(X_shard, y_shard, comm=...)``.

Twins: the epoch is the mini-batch one of :mod:`._sgd_batch` with its
all-reduce (``cpp/include/steepest/sgd/batch.hpp``, native, or
:func:`steepest.reference.sgd_batch.sgd_batch_epoch`); this module holds the
decisions every process must take alike. Tests:
``tests/distributed/test_sgd_data_parallel.py``.

With k > 1 processes every step sees at least two rows, so a data-parallel
fit always takes the mini-batch path (the optimizer of ``optimizer``,
``"sgd"`` by default, and the learning-rate strings it supports), whatever
``batch_size``: k processes with ``batch_size=b`` take the steps of one
process with ``batch_size=k*b`` over the same global batches (global step j:
the j-th ``b`` rows of every shard; a shard that ran out adds none).
scikit-learn's per-sample plain SGD is the case k = 1, b = 1 only: a
communicator of size 1 is ignored, so its fit is exactly the one without.
Global semantics, so that every process decides alike:

* ``classes_``: ``fit`` takes the union of every shard's labels (one
  allgather); ``partial_fit`` needs the same ``classes=`` on every process
  and raises on every process when a shard holds a label outside them;
* weights: rank 0's initial weights (``coef_init`` / ``warm_start`` /
  the previous call) on every process; ``sample_weight`` as given (as in
  one process, scikit-learn's SGD does not rescale it), a shard whose
  weights are all 0 trains and adds nothing, and all 0 over every process
  is the same error on every process; ``class_weight="balanced"`` counts
  every shard's labels;
* the epoch objective (``tol``, ``n_iter_no_change``, ``adaptive``) is
  summed over every process and divided by every process's training rows;
  ``early_stopping``'s validation split is per shard, its score (accuracy or
  R^2, weighted) over every shard's validation rows;
* ``t_`` counts every process's rows; shuffling is per shard, from a
  generator seeded per rank; ``average`` is refused, as for any mini-batch
  fit (one process with batch k*b refuses it too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import r2_score  # type: ignore[import-untyped]
from sklearn.utils.class_weight import compute_class_weight  # type: ignore[import-untyped]
from sklearn.utils.extmath import safe_sparse_dot  # type: ignore[import-untyped]

from ..distributed import Communicator, broadcast_params
from ..distributed import global_batches as _global_batches
from . import _data_parallel as dp
from ._data_parallel import DataParallel

# model c's validation score for its (coef row, intercept)
Score = Callable[[int, NDArray[np.float64], float], float]


def communicator(comm: Any, fn: str) -> Communicator | None:
    """The communicator of a ``comm`` argument; None for one process (also
    a communicator of size 1, so that its fit is exactly the plain one).
    Until :func:`steepest.models._data_parallel.settle` (in ``_run``), an
    error on one process fails every process (``dp.agreement``)."""
    group = dp.communicator(comm, fn)
    return None if group is None or group.size == 1 else group


def union_classes(comm: Communicator, y: NDArray[Any]) -> NDArray[Any]:
    """Every shard's labels, sorted (one allgather)."""
    return np.unique(np.concatenate(comm.allgather(np.unique(y))))


def agree_classes(
    fn: str, comm: Communicator, known: NDArray[Any], y: NDArray[Any]
) -> None:
    """partial_fit: the same classes on every process, every label among them.

    One allgather, so that every process raises the same error or none.
    """
    unknown = np.setdiff1d(np.unique(y), known)
    stats = comm.allgather((known.tolist(), unknown.tolist()))
    for rank, (theirs, extra) in enumerate(stats):
        if theirs != stats[0][0]:
            msg = (
                f"{fn}: classes must be the same on every process, got "
                f"{stats[0][0]!r} on rank 0 and {theirs!r} on rank {rank}"
            )
            raise ValueError(msg)
        if extra:
            msg = f"{fn}: y holds labels {extra} that are not in classes (rank {rank})"
            raise ValueError(msg)


def class_weights(
    fn: str,
    comm: Communicator | None,
    class_weight: Any,
    classes: NDArray[Any],
    y: NDArray[Any],
    codes: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Each class's weight (scikit-learn's); "balanced" from every shard's
    counts when data-parallel."""
    if class_weight is None:
        return np.ones(classes.shape[0])
    if (
        comm is not None
        and isinstance(class_weight, str)
        and class_weight == "balanced"
    ):
        out = dp.class_weights(comm, fn, "balanced", classes, codes, chunk=False)
        assert out is not None
        return out
    return np.asarray(
        compute_class_weight(class_weight, classes=classes, y=y), dtype=float
    )


def check_weights(
    fn: str, comm: Communicator, w: NDArray[np.float64], *, allow_zero: bool
) -> None:
    """Every process raises alike when every shard's weights are all 0."""
    if any(comm.allgather(bool((w > 0).any()))) or allow_zero:
        return
    msg = (
        f"{fn}: sample_weight must contain at least one non-zero number over "
        "every process, got zeros only"
    )
    raise ValueError(msg)


def check_validation_weights(fn: str, comm: Communicator, w: NDArray[Any]) -> None:
    """early_stopping: some validation row of some shard weighs more than 0."""
    if not any(comm.allgather(bool((w > 0).any()))):
        msg = (
            f"{fn}: the sample weights of the validation set are all zero on "
            "every process; use another random_state"
        )
        raise ValueError(msg)


def plan(
    comm: Communicator, n_train: int, n_rows: int, batch_size: int
) -> tuple[DataParallel, int]:
    """The global rows of each step, and every process's rows (one allgather)."""
    sizes = comm.allgather((int(n_train), int(n_rows)))
    batches = _global_batches([s[0] for s in sizes], batch_size)
    # the epochs' collectives go to the engine itself, past the setup's flags
    engine = comm.inner if isinstance(comm, dp.Agreeing) else comm
    return DataParallel(engine, batches), int(sum(s[1] for s in sizes))


def start(
    comm: Communicator, coef: NDArray[np.float64], intercept: NDArray[np.float64]
) -> None:
    """Rank 0's weights on every process, in place (one all-reduce)."""
    broadcast_params([coef, intercept], comm)


def classifier_score(
    comm: Communicator | None,
    X_val: Any,
    truth: NDArray[Any],
    weight: NDArray[np.float64],
    pos_label: NDArray[np.int64],
) -> Score:
    """early_stopping's score of model c: its weighted accuracy on the
    validation rows (every shard's when data-parallel)."""

    def score(c: int, w: NDArray[np.float64], b: float) -> float:
        decision = safe_sparse_dot(X_val, w, dense_output=True) + b
        right = (decision > 0) == (truth == pos_label[c])
        if comm is None:
            return float(np.average(right, weights=weight))
        return dp.accuracy(comm, right, weight)

    return score


def regressor_score(
    comm: Communicator | None,
    X_val: Any,
    y_val: NDArray[Any],
    weight: NDArray[np.float64],
) -> Score:
    """early_stopping's score: the weighted R^2 on the validation rows
    (every shard's when data-parallel)."""

    def score(c: int, w: NDArray[np.float64], b: float) -> float:
        pred = safe_sparse_dot(X_val, w, dense_output=True) + b
        if comm is None:
            return float(r2_score(y_val, pred, sample_weight=weight))
        return dp.r2(comm, y_val, np.asarray(pred), weight)

    return score


__all__ = [
    "agree_classes",
    "check_validation_weights",
    "check_weights",
    "class_weights",
    "classifier_score",
    "communicator",
    "plan",
    "regressor_score",
    "start",
    "union_classes",
]
