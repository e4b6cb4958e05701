"""scikit-learn's plain SGD, one epoch at a time: the twin of the native kernel.

Twin: ``cpp/include/steepest/sgd/plain.hpp`` (and ``losses.hpp``), bound as
``steepest._core.sgd_epoch`` with this module's :func:`sgd_epoch` signature.
Tests: ``tests/models/test_sgd_parity.py`` (bit for bit), and the estimator
tests against scikit-learn itself.

Each of the ``k`` models keeps its weights as ``w = wscale * v``; one epoch
visits the rows ``perm`` in order and, for each row, every active model (the
one-vs-rest classes share the pass). The update of one model on one row
``x`` with target ``y`` and weight ``s`` (symbols of the C++ header)::

    p      = wscale * (v . x) + b
    eta    = 1 / (alpha (t0 + t - 1))   optimal
           = eta0 / t ** power_t        invscaling
           = eta_c                      constant, adaptive (per model)
    update = -eta * clip(dloss(y, p), -1e12, 1e12) * class_weight(y) * s
    wscale *= max(0, 1 - (1 - l1_ratio) eta alpha)          l2, elasticnet
    v      += x * (update / wscale);  b += update * intercept_decay
    ASGD (t >= average), cumulative L1 truncation (l1, elasticnet), t += 1

The operation order is scikit-learn's ``_plain_sgd`` (1.9), so the same
arithmetic happens here, in C++ and in scikit-learn: sums over a row are
sequential (``numpy.cumsum``, never a pairwise or BLAS sum), scalars are
Python floats and ``math`` functions (the C library's, as C++ calls them),
never NumPy's own vectorised ``exp``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

WSCALE_THRESHOLD = 1e-9
MAX_DLOSS = 1e12
PENALTIES = {"none": 0, "l1": 1, "l2": 2, "elasticnet": 3}
LEARNING_RATES = {"constant": 1, "optimal": 2, "invscaling": 3, "adaptive": 4}


def _log1pexp(x: float) -> float:
    if x <= -37:
        return math.exp(x)
    if x <= -2:
        return math.log1p(math.exp(x))
    if x <= 18:
        return math.log(1.0 + math.exp(x))
    if x <= 33.3:
        return x + math.exp(-x)
    return x


def loss_value(kind: str, c: float, y: float, p: float) -> float:
    """The loss ``kind`` (width or threshold ``c``) of prediction ``p``."""
    if kind == "hinge":
        z = p * y
        return c - z if z <= c else 0.0
    if kind == "squared_hinge":
        z = c - p * y
        return z * z if z > 0 else 0.0
    if kind == "log_loss":
        return _log1pexp(p) - y * p
    if kind == "modified_huber":
        z = p * y
        if z >= 1.0:
            return 0.0
        return (1.0 - z) * (1.0 - z) if z >= -1.0 else -4.0 * z
    if kind == "squared_error":
        return 0.5 * (p - y) * (p - y)
    if kind == "huber":
        r = abs(y - p)
        return 0.5 * (r * r) if r <= c else c * (r - 0.5 * c)
    r = abs(y - p) - c
    if kind == "epsilon_insensitive":
        return r if r > 0 else 0.0
    return r * r if r > 0 else 0.0  # squared_epsilon_insensitive


def loss_gradient(kind: str, c: float, y: float, p: float) -> float:
    """d loss / d p."""
    if kind == "hinge":
        return -y if p * y <= c else 0.0
    if kind == "squared_hinge":
        z = c - p * y
        return -2 * y * z if z > 0 else 0.0
    if kind == "log_loss":
        if p > -37:
            e = math.exp(-p)
            return ((1 - y) - y * e) / (1 + e)
        return math.exp(p) - y
    if kind == "modified_huber":
        z = p * y
        if z >= 1.0:
            return 0.0
        return 2.0 * (1.0 - z) * -y if z >= -1.0 else -4.0 * y
    if kind == "squared_error":
        return p - y
    if kind == "huber":
        r = p - y
        if abs(r) <= c:
            return r
        return c if r >= 0 else -c
    if kind == "epsilon_insensitive":
        if y - p > c:
            return -1.0
        return 1.0 if p - y > c else 0.0
    z = y - p  # squared_epsilon_insensitive
    if z > c:
        return -2 * (z - c)
    return 2 * (-z - c) if z < -c else 0.0


def _seqsum(a: NDArray[np.float64]) -> float:
    # a C loop's `s = 0.0; s += a[j]` (0.0 + ... turns a -0.0 total into +0.0)
    return 0.0 + float(np.cumsum(a)[-1]) if a.size else 0.0


def reset_wscale(state: dict[str, Any], c: int) -> None:
    """Fold model ``c``'s wscale (and its average's a, b) into v (and avg_coef)."""
    v = state["coef"][c]
    if state.get("avg_a") is not None:
        aw = state["avg_coef"][c]
        aw += state["avg_a"][c] * v
        aw *= 1.0 / float(state["avg_b"][c])
        state["avg_a"][c] = 0.0
        state["avg_b"][c] = 1.0
    v *= state["wscale"][c]
    state["wscale"][c] = 1.0


def _one_sample(
    s: dict[str, Any],
    st: dict[str, Any],
    c: int,
    idx: Any,
    val: NDArray[np.float64],
    y: float,
    sw: float,
    t: float,
) -> tuple[float, float]:
    v = st["coef"][c]
    ws = float(st["wscale"][c])
    p = _seqsum(v[idx] * val) * ws + float(st["intercept"][c])
    alpha, l1_ratio, penalty = s["alpha"], s["l1_ratio"], s["penalty"]
    eta = float(st["eta"][c])
    if s["learning_rate"] == 2:
        eta = 1.0 / (alpha * (s["optimal_init"] + t - 1))
    elif s["learning_rate"] == 3:
        eta = s["eta0"] / math.pow(t, s["power_t"])
    cur = pen = 0.0
    if s["track"]:
        cur = loss_value(s["loss"], s["loss_param"], y, p)
        if penalty != 0:
            nrm = math.sqrt(float(st["sq_norm"][c]))
            pen = alpha * (
                (1 - l1_ratio) * 0.5 * (nrm * nrm) + l1_ratio * float(st["l1_norm"][c])
            )
    cw = float(st["pos_weight"][c] if y > 0.0 else st["neg_weight"][c])
    dloss = loss_gradient(s["loss"], s["loss_param"], y, p)
    dloss = min(max(dloss, -MAX_DLOSS), MAX_DLOSS)
    update = -eta * dloss
    update *= cw * sw
    if penalty in (2, 3):
        f = 1.0 - ((1.0 - l1_ratio) * eta * alpha)
        by = f if f > 0 else 0.0
        st["wscale"][c] *= by
        st["sq_norm"][c] *= by * by
        st["l1_norm"][c] *= abs(by)
        if st["wscale"][c] < WSCALE_THRESHOLD:
            reset_wscale(st, c)
        ws = float(st["wscale"][c])
    if update != 0.0:
        v[idx] += val * (update / ws)
        w = v[idx]
        st["sq_norm"][c] = _seqsum(w * w) * (ws * ws)
        st["l1_norm"][c] = _seqsum(np.abs(w)) * ws
    if s["fit_intercept"] and update != 0:
        st["intercept"][c] += update * s["intercept_decay"]
    average = s["average"]
    if 0 < average <= t:
        seen = t - average + 1
        mu = 1.0 / seen
        st["avg_coef"][c][idx] += float(st["avg_a"][c]) * val * (-update / ws)
        if seen > 1:
            st["avg_b"][c] /= 1.0 - mu
        st["avg_a"][c] += mu * float(st["avg_b"][c]) * ws
        b0 = float(st["avg_intercept"][c])
        st["avg_intercept"][c] = b0 + (float(st["intercept"][c]) - b0) / seen
    if penalty in (1, 3):
        st["u"][c] += l1_ratio * eta * alpha
        u = float(st["u"][c])
        q = st["q"][c]
        z = v[idx].copy()
        qi = q[idx]
        down = z - ((u + qi) / ws)
        up = z + ((u - qi) / ws)
        shrunk = np.where(
            ws * z > 0.0,
            np.where(down > 0.0, down, 0.0),
            np.where(ws * z < 0.0, np.where(up < 0.0, up, 0.0), z),
        )
        v[idx] = shrunk
        q[idx] = qi + ws * (shrunk - z)
    return cur, pen


def sgd_epoch(
    X: NDArray[np.float64],
    indices: NDArray[np.int32] | None,
    indptr: NDArray[np.int64] | None,
    y: NDArray[Any],
    sample_weight: NDArray[np.float64],
    perm: NDArray[np.int64],
    state: dict[str, Any],
    settings: dict[str, Any],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One epoch over rows ``perm`` for every active model, ``state`` in place.

    ``X`` is a dense (n, d) array, or with ``indices`` and ``indptr`` the
    ``data`` of a CSR matrix (sorted unique int32 indices, int64 indptr).
    ``y``: int64 labels (model c's target is 1 where ``y == pos_label[c]``,
    else 0 for log_loss and -1 otherwise) or float64 targets (one model).
    ``state`` holds float64 arrays: ``coef`` (k, d) = v, ``intercept``,
    ``wscale``, ``sq_norm``, ``l1_norm``, ``u``, ``eta``, ``pos_weight``,
    ``neg_weight`` (k,), ``active`` (uint8, k), ``pos_label`` (int64 or
    None), and when used ``q`` (k, d), ``avg_coef`` (k, d), ``avg_a``,
    ``avg_b``, ``avg_intercept`` (k,). ``settings``: ``loss``, ``loss_param``,
    ``penalty`` and ``learning_rate`` (codes of PENALTIES, LEARNING_RATES),
    ``alpha``, ``l1_ratio``, ``power_t``, ``eta0``, ``optimal_init``,
    ``intercept_decay``, ``t`` (of the first row), ``average``,
    ``fit_intercept``, ``track`` (sum the loss and objective).
    Returns the summed loss and objective of each model.
    """
    k = state["coef"].shape[0]
    sumloss = np.zeros(k)
    objective = np.zeros(k)
    labels = state.get("pos_label")
    neg = 0.0 if settings["loss"] == "log_loss" else -1.0
    t = float(settings["t"])
    d = state["coef"].shape[1]
    for i in (int(r) for r in perm):
        if indices is None:
            idx: Any = slice(0, d)
            val = X[i]
        else:
            assert indptr is not None
            lo, hi = int(indptr[i]), int(indptr[i + 1])
            idx, val = indices[lo:hi], X[lo:hi]
        for c in range(k):
            if not state["active"][c]:
                continue
            target = (
                float(y[i]) if labels is None else (1.0 if y[i] == labels[c] else neg)
            )
            sw = float(sample_weight[i])
            cur, pen = _one_sample(settings, state, c, idx, val, target, sw, t)
            # summed as the C++ loop does: loss, then penalty, into the total
            sumloss[c] += cur
            objective[c] += cur
            objective[c] += pen
        t += 1
    return sumloss, objective


__all__ = [
    "LEARNING_RATES",
    "PENALTIES",
    "loss_gradient",
    "loss_value",
    "reset_wscale",
    "sgd_epoch",
]
