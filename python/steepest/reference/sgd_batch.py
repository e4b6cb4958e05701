"""Mini-batch SGD-estimator epochs with any rule: the twin of the native kernel.

Twin: ``cpp/include/steepest/sgd/batch.hpp``, bound as
``steepest._core.sgd_batch_epoch`` (same arguments, except that ``rule`` is
the native rule dict there and the reference Optimizer here). Tests:
``tests/models/test_sgd_batch.py`` (bit for bit). The estimators' side and
the formulas are in :mod:`steepest.models._sgd_batch`.

The operation order is the C++ loop's, so both round alike: every sum is
sequential from +0.0 (``numpy.cumsum``, never pairwise or BLAS), products
are rounded before they are added (the C++ is built without FMA
contraction), and the losses are the scalar functions of
:mod:`steepest.reference.sgd` (the C library's exp/log, not NumPy's),
in double, their derivatives rounded once to the weights' dtype (float32 or
float64), in which every other operation runs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .sgd import MAX_DLOSS, loss_gradient, loss_value, scalar_type

F64 = NDArray[np.float64]


def step_lr(settings: dict[str, Any], t: int) -> float:
    """The learning rate of step ``t`` (1-based, over the optimizer's life)."""
    rate = settings["learning_rate"]
    if rate == 2:
        return float(1.0 / (settings["alpha"] * (settings["optimal_init"] + t - 1)))
    if rate == 3:
        return float(settings["eta0"] / math.pow(t, settings["power_t"]))
    if rate == 5:  # a schedule: etas holds this epoch's steps
        return float(settings["etas"][t - int(settings["step"]) - 1])
    return float(settings["eta"])


def _seq_rows(a: F64) -> F64:
    """Sequential sums over axis 0 from +0.0 (a C loop's ``s += a[r]``)."""
    if a.shape[0] == 0:
        return np.zeros(a.shape[1:])
    out: F64 = 0.0 + np.cumsum(a, axis=0)[-1]
    return out


def _elementwise(fn: Any, Y: F64, P: Any, dtype: Any = np.float64) -> Any:
    # fn in double on each (y, p); the result rounded to dtype once
    out = np.empty(P.shape, dtype=dtype)
    for i, (y, p) in enumerate(
        zip(Y.ravel().tolist(), P.ravel().tolist(), strict=True)
    ):
        out.flat[i] = fn(y, p)
    return out


def sgd_batch_epoch(
    X: F64,
    indices: NDArray[np.int32] | None,
    indptr: NDArray[np.int64] | None,
    y: NDArray[Any],
    sample_weight: F64,
    perm: NDArray[np.int64],
    state: dict[str, Any],
    settings: dict[str, Any],
    rule: Any,
    reduce: Any = None,
    batches: NDArray[np.int64] | None = None,
) -> tuple[F64, int]:
    """One epoch of mini-batch steps over rows ``perm``; returns (objective, steps).

    ``X``, ``indices``, ``indptr``, ``y``, ``sample_weight``, ``perm`` as for
    :func:`steepest.reference.sgd.sgd_epoch`. ``state``: ``coef`` (k, d) and
    ``intercept`` (k,), the arrays ``rule`` (an Optimizer over exactly
    ``[coef, intercept]``) steps in place; ``pos_weight``, ``neg_weight``,
    ``active`` (uint8), ``pos_label``. ``settings``: ``loss``,
    ``loss_param``, ``penalty``, ``learning_rate`` (codes of
    :mod:`steepest.reference.sgd`), ``alpha``, ``l1_ratio``, ``eta0``,
    ``power_t``, ``optimal_init``, ``eta``, ``fit_intercept``, ``track``,
    ``batch_size`` and ``step`` (the optimizer's steps before this epoch).
    A model with ``active`` 0 gets zero gradients and keeps its weights; so
    does every intercept without ``fit_intercept``.

    Data-parallel (``reduce`` given, with ``batches`` the global rows of
    each step): global step j takes rows ``perm[j*B : (j+1)*B]`` of this
    shard (none once it ran out; ``B = min(batch_size, len(perm))``), the
    sums ``[G^T X_B, sum of G's rows]`` of every process are summed by
    ``reduce(buf)`` (one flat buffer of W.dtype, in place) and divided by
    ``batches[j]`` instead of ``|B|``.
    """
    W: F64 = state["coef"]
    b: F64 = state["intercept"]
    k, d = W.shape
    T = scalar_type(W.dtype)
    kind, c = settings["loss"], settings["loss_param"]
    alpha, l1_ratio, penalty = (
        settings["alpha"],
        settings["l1_ratio"],
        settings["penalty"],
    )
    labels = state.get("pos_label")
    neg = 0.0 if kind == "log_loss" else -1.0
    active = np.asarray(state["active"], dtype=bool)
    idle = ~active
    objective = np.zeros(k)
    size_max = int(settings["batch_size"])
    step = int(settings["step"])

    def dloss(yy: float, p: float) -> float:
        return min(max(loss_gradient(kind, c, yy, p), -MAX_DLOSS), MAX_DLOSS)

    def lossv(yy: float, p: float) -> float:
        return loss_value(kind, c, yy, p)

    n = int(perm.shape[0])
    if reduce is None:
        starts = list(range(0, n, size_max))
    else:
        assert batches is not None
        size_max = min(size_max, n)
        starts = [min(n, j * size_max) for j in range(batches.shape[0])]
    steps = 0
    for j, start in enumerate(starts):
        rows = perm[start : start + size_max]
        size = rows.shape[0]
        if indices is None:
            Xb = X[rows]
            P = (0.0 + np.cumsum(Xb[:, None, :] * W[None, :, :], axis=2)[..., -1]) + b
        else:
            assert indptr is not None
            parts = [(indices[indptr[r] : indptr[r + 1]], X[indptr[r] : indptr[r + 1]])
                     for r in rows.tolist()]  # fmt: skip
            P = np.empty((size, k), dtype=W.dtype)
            for i, (idx, val) in enumerate(parts):
                P[i] = (
                    (0.0 + np.cumsum(W[:, idx] * val, axis=1)[:, -1])
                    if idx.size
                    else 0.0
                )
            P += b
        if labels is None:
            Y = np.asarray(y[rows], dtype=np.float64)[:, None]
        else:
            Y = np.where(y[rows][:, None] == labels[None, :], 1.0, neg)
        if settings["track"]:
            losses = _elementwise(lossv, Y, P)
            for m in np.flatnonzero(active).tolist():
                objective[m] += _seq_rows(losses[:, m])
                if penalty == 0:
                    continue
                w = W[m]
                l2 = 0.0 + float(np.cumsum(w * w)[-1])
                l1 = 0.0 + float(np.cumsum(np.abs(w))[-1])
                pen = alpha * ((1 - l1_ratio) * 0.5 * l2 + l1_ratio * l1)
                objective[m] += size * pen
        cw = np.where(
            Y > 0.0, state["pos_weight"][None, :], state["neg_weight"][None, :]
        )
        G = _elementwise(dloss, Y, P, W.dtype) * (cw * sample_weight[rows][:, None])
        G[:, idle] = 0.0
        if indices is None:
            gW = _seq_rows(G[:, :, None] * Xb[:, None, :])
        else:
            gW = np.zeros((k, d), dtype=W.dtype)
            for i, (idx, val) in enumerate(parts):
                gW[:, idx] += G[i][:, None] * val[None, :]
        gb = _seq_rows(G) if settings["fit_intercept"] else np.zeros(k, W.dtype)
        if reduce is not None:
            assert batches is not None
            buf = np.concatenate([gW.reshape(-1), gb])
            reduce(buf)
            gW, gb, size = buf[: k * d].reshape(k, d), buf[k * d :], int(batches[j])
        gW = gW / T(size)
        if penalty in (2, 3):
            gW += T(alpha * (1.0 - l1_ratio)) * W
        gb = gb / T(size) if settings["fit_intercept"] else np.zeros(k, W.dtype)
        keep_W, keep_b = W[idle].copy(), b.copy()
        lr = step_lr(settings, step + steps + 1)
        rule.apply_step([gW, gb], lr=lr)
        steps += 1
        if penalty in (1, 3):
            shrunk = np.abs(W) - T((lr * alpha) * l1_ratio)
            W[...] = np.where(shrunk > 0.0, np.copysign(shrunk, W), 0.0)
        W[idle] = keep_W
        if not settings["fit_intercept"]:
            b[...] = keep_b
        else:
            b[idle] = keep_b[idle]
    return objective, steps


__all__ = ["sgd_batch_epoch", "step_lr"]
