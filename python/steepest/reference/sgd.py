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
never NumPy's own vectorised ``exp``. In float32 (the C++ ``float``
instantiation) the weights, sums and scalars are ``numpy.float32``; the
loss, its derivative and the learning rate stay Python floats, rounded to
float32 where they enter the update.
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
#: settings["learning_rate"] of a steepest schedule (rates in settings["etas"])
SCHEDULE_RATE = 5


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


def _seqsum(a: NDArray[Any]) -> float:
    # a C loop's `s = 0.0; s += a[j]` in a's dtype (0.0 + ... turns a -0.0
    # total into +0.0; numpy.cumsum adds in order, in the array's dtype)
    return 0.0 + float(np.cumsum(a)[-1]) if a.size else 0.0


def scalar_type(dtype: Any) -> Any:
    """The scalar the arithmetic of ``dtype`` runs in: Python's float for
    float64 (the same IEEE operations, faster), ``numpy.float32`` for float32."""
    return np.float32 if np.dtype(dtype) == np.float32 else float


def reset_wscale(state: dict[str, Any], c: int) -> None:
    """Fold model ``c``'s wscale (and its average's a, b) into v (and avg_coef)."""
    v = state["coef"][c]
    T = scalar_type(v.dtype)
    if state.get("avg_a") is not None:
        aw = state["avg_coef"][c]
        aw += T(state["avg_a"][c]) * v
        aw *= T(1.0) / T(state["avg_b"][c])
        state["avg_a"][c] = 0.0
        state["avg_b"][c] = 1.0
    v *= T(state["wscale"][c])
    state["wscale"][c] = 1.0


def rate_at(s: dict[str, Any], eta_c: float, t: float, r: int) -> float:
    """The learning rate of row ``r`` of the epoch (``t`` counts rows over
    the fit), in double as the C++ computes it."""
    rate = s["learning_rate"]
    if rate == 2:
        return float(1.0 / (s["alpha"] * (s["optimal_init"] + t - 1)))
    if rate == 3:
        return float(s["eta0"] / math.pow(t, s["power_t"]))
    if rate == 5:
        return float(s["etas"][r])
    return eta_c


def _one_sample(
    s: dict[str, Any],
    st: dict[str, Any],
    c: int,
    idx: Any,
    val: NDArray[Any],
    y: float,
    sw: Any,
    t: float,
    r: int,
) -> tuple[float, float]:
    v = st["coef"][c]
    T = scalar_type(v.dtype)
    ws = T(st["wscale"][c])
    p = T(_seqsum(v[idx] * val)) * ws + T(st["intercept"][c])
    alpha, l1_ratio, penalty = T(s["alpha"]), T(s["l1_ratio"]), s["penalty"]
    eta = T(rate_at(s, float(st["eta"][c]), t, r))
    cur = pen = 0.0
    if s["track"]:
        # the loss and the objective in double, from T's prediction
        cur = loss_value(s["loss"], s["loss_param"], y, float(p))
        if penalty != 0:
            nrm = math.sqrt(float(st["sq_norm"][c]))
            a, l1r = s["alpha"], s["l1_ratio"]
            pen = a * ((1 - l1r) * 0.5 * (nrm * nrm) + l1r * float(st["l1_norm"][c]))
    cw = T(st["pos_weight"][c] if y > 0.0 else st["neg_weight"][c])
    dloss = loss_gradient(s["loss"], s["loss_param"], y, float(p))
    dloss = T(min(max(dloss, -MAX_DLOSS), MAX_DLOSS))
    update = -eta * dloss
    update *= cw * sw
    if penalty in (2, 3):
        f = T(1.0) - ((T(1.0) - l1_ratio) * eta * alpha)
        by = f if f > 0 else T(0.0)
        st["wscale"][c] *= by
        st["sq_norm"][c] *= by * by
        st["l1_norm"][c] *= abs(by)
        if float(st["wscale"][c]) < WSCALE_THRESHOLD:
            reset_wscale(st, c)
        ws = T(st["wscale"][c])
    if update != 0.0:
        v[idx] += val * (update / ws)
        w = v[idx]
        st["sq_norm"][c] = T(_seqsum(w * w)) * (ws * ws)
        st["l1_norm"][c] = T(_seqsum(np.abs(w))) * ws
    if s["fit_intercept"] and update != 0:
        st["intercept"][c] += update * T(s["intercept_decay"])
    average = s["average"]
    if 0 < average <= t:
        seen = t - average + 1
        mu = T(1.0 / seen)
        st["avg_coef"][c][idx] += T(st["avg_a"][c]) * val * (-update / ws)
        if seen > 1:
            st["avg_b"][c] /= T(1.0) - mu
        st["avg_a"][c] += mu * T(st["avg_b"][c]) * ws
        b0 = T(st["avg_intercept"][c])
        st["avg_intercept"][c] = b0 + (T(st["intercept"][c]) - b0) / T(seen)
    if penalty in (1, 3):
        st["u"][c] += l1_ratio * eta * alpha
        u = T(st["u"][c])
        q = st["q"][c]
        z = v[idx].copy()
        qi = q[idx]
        down = z - ((u + qi) / ws)
        up = z + ((u - qi) / ws)
        shrunk = np.where(
            ws * z > 0.0,
            np.where(down > 0.0, down, 0.0),
            np.where(ws * z < 0.0, np.where(up < 0.0, up, 0.0), z),
        ).astype(v.dtype, copy=False)
        v[idx] = shrunk
        q[idx] = qi + ws * (shrunk - z)
    return cur, pen


def sgd_epoch(
    X: NDArray[Any],
    indices: NDArray[np.int32] | None,
    indptr: NDArray[np.int64] | None,
    y: NDArray[Any],
    sample_weight: NDArray[Any],
    perm: NDArray[np.int64],
    state: dict[str, Any],
    settings: dict[str, Any],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One epoch over rows ``perm`` for every active model, ``state`` in place.

    ``X`` is a dense (n, d) array, or with ``indices`` and ``indptr`` the
    ``data`` of a CSR matrix (sorted unique int32 indices, int64 indptr).
    ``y``: int64 labels (model c's target is 1 where ``y == pos_label[c]``,
    else 0 for log_loss and -1 otherwise) or real targets (one model).
    ``state`` holds arrays of the weights' dtype T (float32 or float64):
    ``coef`` (k, d) = v, ``intercept``, ``wscale``, ``sq_norm``,
    ``l1_norm``, ``u``, ``pos_weight``, ``neg_weight`` (k,), and when used
    ``q`` (k, d), ``avg_coef`` (k, d), ``avg_a``, ``avg_b``,
    ``avg_intercept`` (k,); ``eta`` (float64, k), ``active`` (uint8, k),
    ``pos_label`` (int64 or None). X, real y and ``sample_weight`` are T
    too. ``settings``: ``loss``, ``loss_param``, ``penalty`` and
    ``learning_rate`` (codes of PENALTIES, LEARNING_RATES; 5: the rate of
    the epoch's row r is ``etas[r]``), ``alpha``, ``l1_ratio``,
    ``power_t``, ``eta0``, ``optimal_init``, ``intercept_decay``, ``t`` (of
    the first row), ``average``, ``fit_intercept``, ``track`` (sum the loss
    and objective), optionally ``etas`` and ``n_threads`` (native only).
    T's arithmetic runs every update; the loss, its derivative, the rate and
    the sums returned are double. Returns the summed loss and objective of
    each model.
    """
    k = state["coef"].shape[0]
    T = scalar_type(state["coef"].dtype)
    sumloss = np.zeros(k)
    objective = np.zeros(k)
    labels = state.get("pos_label")
    neg = 0.0 if settings["loss"] == "log_loss" else -1.0
    t = float(settings["t"])
    d = state["coef"].shape[1]
    for r, i in enumerate(int(j) for j in perm):
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
            sw = T(sample_weight[i])
            cur, pen = _one_sample(settings, state, c, idx, val, target, sw, t, r)
            # summed as the C++ loop does: loss, then penalty, into the total
            sumloss[c] += cur
            objective[c] += cur
            objective[c] += pen
        t += 1
    return sumloss, objective


__all__ = [
    "LEARNING_RATES",
    "PENALTIES",
    "SCHEDULE_RATE",
    "loss_gradient",
    "loss_value",
    "rate_at",
    "reset_wscale",
    "scalar_type",
    "sgd_epoch",
]
