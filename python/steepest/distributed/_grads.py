"""The functional layer's data parallelism: gradients summed before ``opt.step``.

Twins: none (one flat buffer through a :class:`._comm.Communicator`). Tests:
``tests/distributed/test_grads.py``.

The recipe for a user who computes gradients in NumPy, run on every
process over its own rows::

    comm = steepest.distributed.as_communicator("mpi")     # or "torch", or a group
    steepest.distributed.broadcast_params(params, comm)    # rank 0's initial weights
    opt = steepest.Adam(params, lr=1e-3)
    for Xb, yb in my_batches:                               # this process's rows
        loss, grads = my_loss_and_grad(params, Xb, yb)      # the mean over Xb
        steepest.distributed.allreduce_grads(grads, comm, weight=len(Xb))
        opt.step(grads)                                     # identical on every process

``weight=len(Xb)`` makes the result the gradient of the mean loss over the
rows of all processes together (exact for uneven batches); without it the
processes' gradients are averaged with equal weights. A penalty term should
be added after the all-reduce (or divided by ``size`` before), so that it
counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _checks as v
from ._comm import Communicator, as_communicator


def _same_dtype(fn: str, arrays: Sequence[Any], name: str) -> np.dtype[Any]:
    if not isinstance(arrays, (list, tuple)) or not arrays:
        msg = f"{fn}: {name} must be a non-empty list of ndarrays, got {type(arrays).__name__}"
        raise TypeError(msg)
    for i, a in enumerate(arrays):
        if not isinstance(a, np.ndarray):
            msg = f"{fn}: {name}[{i}] must be a numpy.ndarray, got {type(a).__name__}"
            raise TypeError(msg)
        if a.dtype not in (np.float32, np.float64) or a.dtype != arrays[0].dtype:
            msg = (
                f"{fn}: {name}[{i}] must be float32 or float64 like {name}[0] "
                f"({arrays[0].dtype}), got {a.dtype}"
            )
            raise TypeError(msg)
        if not a.flags.writeable:
            msg = f"{fn}: {name}[{i}] must be writeable, got a read-only array"
            raise ValueError(msg)
    dt: np.dtype[Any] = arrays[0].dtype
    return dt


def _flat_allreduce(
    comm: Communicator, arrays: Sequence[np.ndarray], extra: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    """One buffer: the arrays, then ``extra``; summed; returns (buf, summed extra)."""
    sizes = [a.size for a in arrays]
    n = sum(sizes)
    buf = np.empty(n + len(extra), dtype=arrays[0].dtype)
    at = 0
    for a, m in zip(arrays, sizes, strict=True):
        buf[at : at + m] = a.reshape(-1)
        at += m
    buf[n:] = extra
    comm.allreduce(buf)
    return buf, buf[n:]


def _scatter(buf: np.ndarray, arrays: Sequence[np.ndarray]) -> None:
    at = 0
    for a in arrays:
        a[...] = buf[at : at + a.size].reshape(a.shape)
        at += a.size


def allreduce_grads(
    grads: list[Any], comm: Any, *, weight: float | None = None
) -> None:
    """Average ``grads`` over the processes in place, in one message.

    Parameters
    ----------
    grads : list of ndarray
        This process's gradients (one float dtype); overwritten with the
        average.
    comm : Communicator, torch ProcessGroup, mpi4py communicator, "torch" or "mpi"
        See :func:`as_communicator`.
    weight : float or None
        This process's weight, e.g. its batch's rows: the result is
        ``sum_r weight_r * grads_r / sum_r weight_r`` (the gradient of the
        mean loss over every process's rows when each ``grads_r`` is the mean
        over its own). None: equal weights, ``sum_r grads_r / size``.

    Raises
    ------
    steepest.distributed.CommunicationError
        When another process failed or did not answer within the timeout.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.distributed import LocalCommunicator, allreduce_grads
    >>> g = [np.array([1.0, 3.0]), np.array([2.0])]
    >>> allreduce_grads(g, LocalCommunicator(), weight=4)
    >>> g
    [array([1., 3.]), array([2.])]
    """
    fn = "allreduce_grads"
    comm = as_communicator(comm)
    dt = _same_dtype(fn, grads, "grads")
    if weight is None:
        buf, _ = _flat_allreduce(comm, grads, ())
        buf /= dt.type(comm.size)
    else:
        w = v.check_positive(fn, "weight", weight)
        scaled = [g * dt.type(w) for g in grads]
        buf, total = _flat_allreduce(comm, scaled, (w,))
        buf /= total[0]
    _scatter(buf, grads)


def broadcast_params(params: list[Any], comm: Any, *, root: int = 0) -> None:
    """Copy ``root``'s ``params`` to every process, in place (one all-reduce).

    Call it once before training, so that every process starts from the same
    weights even when each drew its own.
    """
    fn = "broadcast_params"
    comm = as_communicator(comm)
    _same_dtype(fn, params, "params")
    r = v.integer(fn, "root", root, 0)
    if r >= comm.size:
        msg = f"{fn}: root must be a rank below size={comm.size}, got {root}"
        raise ValueError(msg)
    mine = params if comm.rank == r else [np.zeros_like(p) for p in params]
    buf, _ = _flat_allreduce(comm, mine, ())
    _scatter(buf, params)


__all__ = ["allreduce_grads", "broadcast_params"]
