"""The data-parallel epoch: its global batches and its NumPy twin.

Twin: ``cpp/include/steepest/train/data_parallel.hpp`` (the native epoch, one
C++ call calling back into the communicator once per batch);
:func:`reference_epoch` performs the same steps in NumPy. Tests:
``tests/distributed/test_epoch.py`` (one process, against the plain loop)
and ``tests/distributed/test_estimators.py`` (2 and 3 processes).

Process r holds ``n_r`` rows and takes ``B_r = min(batch_size, n_r)`` of them
per step (``n_r`` when ``batch_size`` is None); global step j sees rows
``perm_r[j*B_r : (j+1)*B_r]`` of every process, ``g_j`` rows in all::

    g_j  = sum_r max(0, min(B_r, n_r - j*B_r)),  j < max_r ceil(n_r / B_r)
    buf  = [ (b_r / g_j) * grad_r , b_r * J_r ]      (J_r, grad_r: the mean over the b_r rows
                                                      of w_i * loss_i, w: sample weights or 1)
    buf  = sum over the processes of buf              (one all-reduce)
    J_j  = buf_loss / g_j + R(W);   grad = buf_grad + dR/dW
    one optimizer step from grad, identical on every process

which is the step of one process on the g_j rows of the global batch. A
process whose shard ran out contributes zeros until the last step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..nn._penalty import add_penalty_grad, penalty_value
from ..typing import FloatArray
from ._comm import Communicator

LossAndGrad = Callable[..., tuple[float, list[FloatArray]]]
Step = Callable[[list[FloatArray]], Any]


def local_batch(n: int, batch_size: int | None) -> int:
    """This process's rows per step (``B_r``)."""
    return n if batch_size is None or batch_size > n else batch_size


def global_batches(sizes: list[int], batch_size: int | None) -> NDArray[np.int64]:
    """``g_j`` for every global step, from every process's shard size."""
    per = [local_batch(n, batch_size) for n in sizes]
    steps = max(-(-n // b) for n, b in zip(sizes, per, strict=True))
    out = np.zeros(steps, dtype=np.int64)
    for n, b in zip(sizes, per, strict=True):
        j = np.arange(steps, dtype=np.int64)
        out += np.clip(n - j * b, 0, b)
    return out


def reference_epoch(
    loss_and_grad: LossAndGrad,
    params: list[FloatArray],
    X: FloatArray,
    y: NDArray[Any],
    perm: NDArray[np.intp],
    batch_size: int | None,
    step: Step,
    comm: Communicator,
    batches: NDArray[np.int64],
    *,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: FloatArray | None = None,
) -> float:
    """One data-parallel epoch in NumPy; returns the epoch's mean loss (global).

    As :func:`steepest.reference.train.run_epoch` with every batch's loss and
    gradient summed over the processes (see the module docstring);
    ``batches`` is :func:`global_batches` of every process's shard size.
    The returned loss is the same on every process. ``sample_weight``: this
    process's rows' weights (passed to ``loss_and_grad`` per batch, as
    :func:`steepest.reference.train.run_epoch` does), already scaled over
    every process's rows, or None.
    """
    n = int(X.shape[0])
    B = local_batch(n, batch_size)
    T = params[0].dtype.type
    sizes = [p.size for p in params]
    total = seen = 0.0
    for j, g in enumerate(batches.tolist()):
        idx = perm[min(n, j * B) : min(n, (j + 1) * B)]
        b = int(idx.shape[0])
        buf = np.zeros(sum(sizes) + 1, dtype=params[0].dtype)
        if b > 0:
            # the data term only: the penalty is added once, after the sum
            extra = (
                {} if sample_weight is None else {"sample_weight": sample_weight[idx]}
            )
            loss, grads = loss_and_grad(
                params, X[idx], y[idx], alpha=0.0, l1_ratio=0.0, **extra
            )
            share = T(b / g)
            at = 0
            for gr, m in zip(grads, sizes, strict=True):
                buf[at : at + m] = (gr * share).reshape(-1)
                at += m
            buf[-1] = T(loss) * T(b)
        comm.allreduce(buf)
        J = buf[-1] / T(g)
        reduced, at = [], 0
        for i, (p, m) in enumerate(zip(params, sizes, strict=True)):
            gr = buf[at : at + m].reshape(p.shape).copy()
            at += m
            if i % 2 == 0 and alpha != 0:
                gr = add_penalty_grad(p, gr, alpha, l1_ratio)
            reduced.append(gr)
        if alpha != 0:
            J = J + penalty_value(params[0::2], alpha, l1_ratio)
        total += float(J) * g
        seen += g
        step(reduced)
    return total / seen


__all__ = ["global_batches", "local_batch", "reference_epoch"]
