"""The estimators' data parallelism: ``fit(X_shard, y_shard, comm=...)``.

Twins: the epoch is ``cpp/include/steepest/train/data_parallel.hpp``
(native) or :func:`steepest.distributed.reference_epoch` (NumPy), both
described in :mod:`steepest.distributed._epoch`. Tests:
``tests/distributed/test_estimators.py``.

What changes in a fit or ``partial_fit`` given ``comm`` (every process calls
it with its own shard and the same hyperparameters):

* classifiers: ``classes_`` is the union of every shard's labels;
* the initial weights are rank 0's (one all-reduce), so ``random_state``
  need not be set for the processes to agree;
* the permutations (and ``early_stopping``'s validation split of the shard)
  come from a generator of this rank, ``default_rng([draw, rank])`` with
  ``draw`` the next number of ``default_rng(random_state)``;
* each batch's gradient is summed over the processes (the module docs of
  :mod:`steepest.distributed._epoch`): the epoch loss, hence ``tol``,
  divergence and ``reduce_on_plateau``, is the global one;
* validation scores are global: accuracy over every process's validation
  rows, R^2 from the summed residual and total sums of squares.

So every process takes the same decisions and ends with the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped]

from ..distributed import (
    Communicator,
    as_communicator,
    broadcast_params,
    reference_epoch,
)
from ..distributed import global_batches as _global_batches
from ..optim import Optimizer
from ..reference.functional import ema_update
from ..typing import FloatArray
from ._epoch import Network, ParamAverage, _reference_loss_and_grad, native_rule
from ._labels import at_least_two_classes, encode_labels


@dataclass(frozen=True)
class DataParallel:
    """A run's communicator and the global rows of each step of its epochs."""

    comm: Communicator
    batches: NDArray[np.int64]


def communicator(comm: Any) -> Communicator | None:
    """The :class:`Communicator` of a ``comm`` argument (None: one process)."""
    return None if comm is None else as_communicator(comm)


def plan(comm: Communicator, n_rows: int, batch_size: int | None) -> DataParallel:
    """Every process's shard size gathered once: the steps of each epoch."""
    sizes = [int(s) for s in comm.allgather(int(n_rows))]
    return DataParallel(comm, _global_batches(sizes, batch_size))


def start(
    comm: Communicator, params: list[FloatArray], rng: np.random.Generator
) -> np.random.Generator:
    """Rank 0's weights everywhere; this rank's generator of the permutations."""
    broadcast_params(params, comm)
    draw = int(rng.integers(2**63))
    return np.random.default_rng([draw, comm.rank])


def classifier_targets(
    est: Any, fn: str, comm: Communicator, y: Any, why: str | None
) -> NDArray[np.intp]:
    """Class indices of the shard's labels among every shard's classes."""
    check_classification_targets(y)
    local = np.unique(y)
    classes = np.unique(np.concatenate(comm.allgather(local)))
    at_least_two_classes(fn, classes)
    if why and not np.array_equal(classes, est.classes_):
        msg = (
            f"{fn}: {why} needs the classes of the previous fit "
            f"{est.classes_.tolist()!r}; got {classes.tolist()!r}"
        )
        raise ValueError(msg)
    est.classes_ = classes
    return encode_labels(fn, classes, y, "y")


def run_epoch(
    backend: str,
    net: Network,
    params: list[FloatArray],
    opt: Optimizer,
    data: tuple[FloatArray, NDArray[Any]],
    perm: NDArray[np.intp],
    batch_size: int | None,
    par: DataParallel,
    *,
    lr_scale: float,
    n_threads: int,
    ema: ParamAverage | None = None,
) -> float:
    """:func:`steepest.models._epoch.run_epoch` over every process's shard."""
    X, y = data
    if backend == "native":
        from .. import _core

        schedule = opt.lr_schedule
        loss, steps = _core.train_epoch(
            params, native_rule(opt), opt.step_count,
            None if schedule is None else schedule.to_native(), opt.lr, lr_scale,
            X, y, perm, 0 if batch_size is None else batch_size,
            net.loss, net.activation, net.alpha, net.l1_ratio, n_threads,
            None if ema is None else ema.arrays, 0.0 if ema is None else ema.decay,
            -1 if ema is None else ema.copy_step,
            reduce=par.comm.allreduce, batches=par.batches,
        )  # fmt: skip
        opt.advance(steps)
        return float(loss)

    def step(grads: list[FloatArray]) -> None:
        t = opt.step_count + 1
        applied = opt.apply_step(grads, lr=opt.lr * lr_scale)
        if applied and ema is not None:
            ema_update(ema.arrays, params, ema.decay_at(t))

    return reference_epoch(
        _reference_loss_and_grad(net), params, X, y, perm, batch_size, step,
        par.comm, par.batches, alpha=net.alpha, l1_ratio=net.l1_ratio,
    )  # fmt: skip


def score(
    est: Any, comm: Communicator, params: list[FloatArray], X: FloatArray, y: Any
) -> float:
    """The validation score over every process's validation rows."""
    pred = est._raw_predict(params, X)
    if est._classifier:
        buf = np.array([np.sum(pred == y), y.shape[0]], dtype=np.float64)
        comm.allreduce(buf)
        return float(buf[0] / buf[1])
    # R^2 per output from sums (sklearn's: 1 where both sums are 0, 0 where
    # only the total is), averaged over the outputs
    t = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
    r = t - np.asarray(pred, dtype=np.float64).reshape(t.shape)
    k = t.shape[1]
    buf = np.concatenate(
        [[t.shape[0]], t.sum(axis=0), (t * t).sum(axis=0), (r * r).sum(axis=0)]
    )
    comm.allreduce(buf)
    n, s1, s2, res = buf[0], buf[1 : 1 + k], buf[1 + k : 1 + 2 * k], buf[1 + 2 * k :]
    tot = np.maximum(s2 - s1 * s1 / n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(tot > 0, 1.0 - res / tot, np.where(res == 0, 1.0, 0.0))
    return float(np.mean(r2))


__all__ = [
    "DataParallel",
    "classifier_targets",
    "communicator",
    "plan",
    "run_epoch",
    "score",
    "start",
]
