"""The estimators' data parallelism: ``fit(X_shard, y_shard, comm=...)``.

Twins: the epoch is ``cpp/include/steepest/train/data_parallel.hpp``
(native) or :func:`steepest.distributed.reference_epoch` (NumPy), both
described in :mod:`steepest.distributed._epoch`. Tests:
``tests/distributed/test_data_parallel.py``.

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
  rows, R^2 from the summed residual and total sums of squares (both
  weighted by the held-out rows' sample weights, as one process's are);
* sample weights are scaled to mean 1 over every process's training rows
  (``w_i * N / sum(w)`` with N and the sum global; a process without
  ``sample_weight`` weighs its rows 1; a shard whose weights are all 0
  trains and adds nothing, all 0 over every process is the same error on
  every process), and ``class_weight="balanced"``
  counts every process's labels, so k processes with batch b take the steps
  of one process with batch k*b over the same global batches, weights
  included; ``fit_intercept`` and the L1 proximal step act as in one process.

So every process takes the same decisions and ends with the same weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils.multiclass import check_classification_targets  # type: ignore[import-untyped]

from ..distributed import (
    CommunicationError,
    Communicator,
    as_communicator,
    broadcast_params,
    reference_epoch,
)
from ..distributed import global_batches as _global_batches
from ..optim import Optimizer
from ..reference.functional import ema_update
from ..typing import FloatArray
from ._epoch import (
    Network,
    ParamAverage,
    _reference_loss_and_grad,
    native_rule,
    native_X,
    shrink_l1,
)
from ._labels import at_least_two_classes, encode_labels
from ._weights import class_weights as _class_weights


@dataclass(frozen=True)
class DataParallel:
    """A run's communicator and the global rows of each step of its epochs."""

    comm: Communicator
    batches: NDArray[np.int64]


class Agreeing(Communicator):
    """``inner`` for a fit's setup, where every process must fail together.

    A process whose own input is bad (NaN in its shard, say) raises before
    a collective the others already wait in, so they would wait for the
    timeout. Until :meth:`settle`, each collective here is preceded by a
    one-element all-reduce of a failure flag; a process whose setup raised
    sends 1 instead (:func:`agreement`), then every process gathers the
    errors and the others raise one naming the failed rank. After
    :meth:`settle` (the end of the setup) collectives pass straight through,
    so the epochs pay nothing.
    """

    def __init__(self, inner: Communicator, fn: str) -> None:
        self.inner, self.fn, self.open = inner, fn, True
        self.rank, self.size, self.timeout = inner.rank, inner.size, inner.timeout

    def _checkpoint(self, failure: Exception | None) -> None:
        if not self.open:
            return
        # closed while the flag travels: a broken collective ends the agreement
        self.open = False
        flag = np.array([0 if failure is None else 1], dtype=np.int64)
        self.inner.allreduce(flag)
        if flag[0] == 0:
            self.open = True
            return
        kind = (
            "TypeError" if isinstance(failure, TypeError)
            else "ValueError" if isinstance(failure, ValueError)
            else "CommunicationError"
        )  # fmt: skip
        mine = (
            None if failure is None else (kind, f"{type(failure).__name__}: {failure}")
        )
        reports = self.inner.allgather(mine)
        if failure is not None:
            return  # the failed process raises its own error
        rank, (kind, text) = next(
            (r, e) for r, e in enumerate(reports) if e is not None
        )
        msg = (
            f"{self.fn}: every process's arguments must be valid, got an error on "
            f"rank {rank} of {self.size} before training ({text})"
        )
        raise {"TypeError": TypeError, "ValueError": ValueError}.get(
            kind, CommunicationError
        )(msg)

    def allreduce(self, buf: np.ndarray) -> None:
        self._checkpoint(None)
        self.inner.allreduce(buf)

    def allgather(self, obj: Any) -> list[Any]:
        self._checkpoint(None)
        return self.inner.allgather(obj)

    def settle(self) -> None:
        """The setup's end: raises if another process failed; then pass-through."""
        self._checkpoint(None)
        self.open = False

    def fail(self, err: Exception) -> None:
        """Tell every process (still in the setup) that this one raised ``err``."""
        self._checkpoint(err)


def communicator(comm: Any, fn: str = "fit") -> Agreeing | None:
    """The :class:`Communicator` of a ``comm`` argument, in :class:`Agreeing`
    for the setup (None: one process)."""
    return None if comm is None else Agreeing(as_communicator(comm), fn)


@contextmanager
def agreement(comm: Communicator | None) -> Iterator[None]:
    """The setup of a fit: an error in it fails every process at once
    (:class:`Agreeing`); leaving it without one settles ``comm``."""
    try:
        yield
    except Exception as err:
        if isinstance(comm, Agreeing) and not isinstance(err, CommunicationError):
            try:
                comm.fail(err)
            except CommunicationError:
                pass  # the others are gone: this process's own error says more
        raise
    settle(comm)


def settle(comm: Communicator | None) -> None:
    """End ``comm``'s setup (:meth:`Agreeing.settle`); other communicators: nothing."""
    if isinstance(comm, Agreeing):
        comm.settle()


def same_features(fn: str, comm: Communicator, n_features: int) -> None:
    """Every process raises alike unless every shard has ``n_features`` columns."""
    widths = [int(w) for w in comm.allgather(int(n_features))]
    if len(set(widths)) > 1:
        msg = (
            f"{fn}: X must have as many features on every process, got {widths} by rank"
        )
        raise ValueError(msg)


def plan(comm: Communicator, n_rows: int, batch_size: int | None) -> DataParallel:
    """Every process's shard size gathered once: the steps of each epoch."""
    sizes = [int(s) for s in comm.allgather(int(n_rows))]
    # the epochs' collectives go to the engine itself, past the setup's flags
    engine = comm.inner if isinstance(comm, Agreeing) else comm
    return DataParallel(engine, _global_batches(sizes, batch_size))


def start(
    comm: Communicator, params: list[FloatArray], rng: np.random.Generator
) -> np.random.Generator:
    """Rank 0's weights everywhere; this rank's generator of the permutations."""
    broadcast_params(params, comm)
    draw = int(rng.integers(2**63))
    return np.random.default_rng([draw, comm.rank])


def classifier_targets(
    est: Any, fn: str, comm: Communicator, y: Any, why: str | None, dt: np.dtype[Any]
) -> NDArray[Any]:
    """Class indices of the shard's labels among every shard's classes
    (multi-label: the shard's 0/1 indicators, every shard with as many labels)."""
    check_classification_targets(y)
    widths = comm.allgather(int(y.shape[1]) if y.ndim == 2 else 0)
    if len(set(widths)) > 1:
        msg = (
            f"{fn}: every process needs y of one kind (1-D labels, or multi-label "
            f"with as many columns); got label columns {widths} by rank (0: 1-D)"
        )
        raise ValueError(msg)
    if y.ndim == 2:
        out: NDArray[Any] = est._indicators(fn, y, dt, why)
        return out
    local = np.unique(y)
    classes = np.unique(np.concatenate(comm.allgather(local)))
    at_least_two_classes(fn, classes)
    if why and not np.array_equal(classes, est.classes_):
        msg = (
            f"{fn}: {why} needs the classes of the previous fit "
            f"{est.classes_.tolist()!r}; got {classes.tolist()!r}"
        )
        raise ValueError(msg)
    if why and est._multilabel:
        msg = f"{fn}: {why} needs multi-label y as in the previous fit; got 1-D y"
        raise ValueError(msg)
    est._multilabel = False
    est.classes_ = classes
    return encode_labels(fn, classes, y, "y")


def class_weights(
    comm: Communicator,
    fn: str,
    class_weight: Any,
    classes: NDArray[Any],
    y: NDArray[np.intp],
    *,
    chunk: bool,
) -> NDArray[np.float64] | None:
    """:func:`steepest.models._weights.class_weights`, "balanced" from the
    class counts of every process's rows (one all-reduce)."""
    if chunk or not (isinstance(class_weight, str) and class_weight == "balanced"):
        return _class_weights(fn, class_weight, classes, y, chunk=chunk)
    k = classes.shape[0]
    buf = np.append(np.bincount(y, minlength=k), y.shape[0]).astype(np.float64)
    comm.allreduce(buf)
    balanced: NDArray[np.float64] = buf[-1] / (k * buf[:-1])
    return balanced


def training_weights(
    comm: Communicator,
    fn: str,
    w: NDArray[np.float64] | None,
    n: int,
    dt: np.dtype[Any],
) -> FloatArray | None:
    """This shard's training weights scaled to mean 1 over every shard's rows.

    :func:`steepest.models._weights.training_weights` over the ``n`` training
    rows of every process together (one allgather, so every process decides
    alike): None when no process has weights or all weights are equal; a
    process without ``sample_weight`` weighs its rows 1.
    """
    if w is None:
        mine = (False, float(n), n, 1.0, 1.0)
    else:
        mine = (True, float(np.sum(w)), n, float(np.min(w, initial=np.inf)),
                float(np.max(w, initial=-np.inf)))  # fmt: skip
    stats = comm.allgather(mine)
    if not any(st[0] for st in stats):
        return None
    total = float(sum(st[1] for st in stats))
    count = sum(st[2] for st in stats)
    if total == 0:
        msg = (
            f"{fn}: sample_weight of the training rows must have a positive sum, got "
            "0 over every process (all weights 0, or the validation split held out "
            "every weighted row)"
        )
        raise ValueError(msg)
    lo = min(st[3] for st in stats if st[2] > 0)
    hi = max(st[4] for st in stats if st[2] > 0)
    if lo == hi:
        return None
    rows = np.ones(n) if w is None else w
    out: FloatArray = (rows * (count / total)).astype(dt)
    return out


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
    sample_weight: FloatArray | None = None,
) -> float:
    """:func:`steepest.models._epoch.run_epoch` over every process's shard.

    ``sample_weight``: this shard's rows' weights, scaled by
    :func:`training_weights` (over every shard), or None.
    """
    X, y = data
    if backend == "native":
        from .. import _core

        schedule = opt.lr_schedule
        x = native_X(X)
        loss, steps = _core.train_epoch(
            params, native_rule(opt), opt.step_count,
            None if schedule is None else schedule.to_native(), opt.lr, lr_scale,
            x.pop("X"), y, perm, 0 if batch_size is None else batch_size,
            net.loss, net.activation, net.alpha, net.l1_ratio, n_threads,
            None if ema is None else ema.arrays, 0.0 if ema is None else ema.decay,
            -1 if ema is None else ema.copy_step, sample_weight, net.fit_intercept,
            reduce=par.comm.allreduce, batches=par.batches, **x,
        )  # fmt: skip
        opt.advance(steps)
        return float(loss)

    smooth = _reference_loss_and_grad(net)
    a1 = net.alpha * net.l1_ratio
    weights = params[0::2]

    def loss_and_grad(
        ps: list[FloatArray], Xb: FloatArray, yb: NDArray[Any], **kw: Any
    ) -> tuple[float, list[FloatArray]]:
        J, grads = smooth(ps, Xb, yb, **kw)
        if not net.fit_intercept:
            grads[-1] = np.zeros_like(grads[-1])
        if a1 != 0:
            # the L1 value at the weights before the step: added to each
            # process's mean, it is added once to the global mean
            J += float(sum(w.dtype.type(a1) * np.sum(np.abs(w)) for w in weights))
        return J, grads

    def step(grads: list[FloatArray]) -> None:
        t = opt.step_count + 1
        lr = opt.lr * lr_scale
        applied = opt.apply_step(grads, lr=lr)
        if applied and ema is not None:
            # as the single-process loop: the average before the shrink
            ema_update(ema.arrays, params, ema.decay_at(t))
        shrink_l1(weights, lr, a1)

    return reference_epoch(
        loss_and_grad, params, X, y, perm, batch_size, step, par.comm, par.batches,
        alpha=net.alpha * (1.0 - net.l1_ratio), l1_ratio=0.0,
        sample_weight=sample_weight,
    )  # fmt: skip


def score(
    est: Any,
    comm: Communicator,
    params: list[FloatArray],
    X: FloatArray,
    y: Any,
    weight: NDArray[Any] | None = None,
) -> float:
    """The validation score over every process's validation rows.

    ``weight``: this process's validation rows' sample weights (None: 1
    each); weighted as one process's score (NaN when every weight is 0).
    """
    pred = est._raw_predict(params, X)
    w = np.ones(y.shape[0]) if weight is None else np.asarray(weight, np.float64)
    if est._classifier:
        hit = pred == y
        hit = hit.all(axis=1) if hit.ndim == 2 else hit  # multi-label: subset accuracy
        return accuracy(comm, hit, w)
    return r2(comm, y, pred, w)


def accuracy(comm: Communicator, right: NDArray[Any], w: NDArray[Any]) -> float:
    """The ``w``-weighted share of ``right`` over every process's rows (NaN
    when every weight is 0)."""
    buf = np.array([np.sum(w * right), np.sum(w)], dtype=np.float64)
    comm.allreduce(buf)
    if not buf[1] > 0:
        return float("nan")
    return float(buf[0] / buf[1])


def r2(
    comm: Communicator, y: NDArray[Any], pred: NDArray[Any], w: NDArray[Any]
) -> float:
    """The ``w``-weighted R^2 of ``pred`` over every process's rows (NaN when
    every weight is 0)."""
    # R^2 per output from sums (sklearn's: 1 where both sums are 0, 0 where
    # only the total is), averaged over the outputs
    t = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
    r = t - np.asarray(pred, dtype=np.float64).reshape(t.shape)
    k = t.shape[1]
    wc = w[:, None]
    buf = np.concatenate(
        [[np.sum(w)], (wc * t).sum(axis=0), (wc * t * t).sum(axis=0),
         (wc * r * r).sum(axis=0)]
    )  # fmt: skip
    comm.allreduce(buf)
    if not buf[0] > 0:
        return float("nan")
    n, s1, s2, res = buf[0], buf[1 : 1 + k], buf[1 + k : 1 + 2 * k], buf[1 + 2 * k :]
    tot = np.maximum(s2 - s1 * s1 / n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(tot > 0, 1.0 - res / tot, np.where(res == 0, 1.0, 0.0))
    return float(np.mean(r2))


__all__ = [
    "Agreeing",
    "DataParallel",
    "accuracy",
    "agreement",
    "class_weights",
    "classifier_targets",
    "communicator",
    "plan",
    "r2",
    "run_epoch",
    "same_features",
    "score",
    "settle",
    "start",
    "training_weights",
]
