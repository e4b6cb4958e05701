"""Data terms of the objectives: batch-mean loss and its gradient w.r.t. the output.

Twin: ``cpp/include/steepest/model/{linear,logistic,mlp}.hpp``; tests:
``tests/nn/``.

Each function takes the model output ``Z`` of a batch of n samples and returns
``(L, D)`` with ``L`` the mean per-sample loss (a scalar of the dtype) and
``D = dL/dZ`` (the 1/n already applied), both in the dtype of ``Z``. "Mean" is
always "sum, then divide by T(n)" (a division, not a multiplication by a
rounded 1/n). The formulas never overflow for finite Z::

    squared   l_i = 1/(2k) * sum_j (z_ij - y_ij)^2          (k outputs per sample)
              L = (0.5 * sum_ij r_ij^2) / (n*k),   r = Z - Y
              D = r / (n*k)
    binary    y_i in {0, 1};  t_i = -z_i if y_i == 1 else z_i
              l_i = log(1 + exp(t_i)) = softplus(t_i)
                  = max(t_i, 0) + log1p(exp(-|t_i|))
              D_i = (sigmoid(z_i) - y_i) / n
    softmax   y_i in {0, ..., K-1};  m_i = max_j z_ij,  s_ij = z_ij - m_i
              l_i = log(sum_j exp(s_ij)) - s_i,y_i          (= logsumexp(z_i) - z_i,y_i)
              D_ij = (exp(s_ij) / sum_j exp(s_ij) - [j == y_i]) / n
    multilabel  Y (n, k) of 0/1 in the dtype of Z: k independent binary losses
              t_ij = -z_ij if y_ij == 1 else z_ij
              l_i = sum_j softplus(t_ij)      (summed over the labels)
              D_ij = (sigmoid(z_ij) - y_ij) / n

The multilabel loss is scikit-learn's ``binary_log_loss`` of a multi-label
MLPClassifier (mean over samples, sum over labels), and so is its gradient.
The squared loss is scikit-learn's ``squared_error / 2`` of MLPRegressor (mean
over samples *and* outputs, halved); with one output it is
``mean_i 0.5 * (z_i - y_i)^2``.

Sample weights ``w`` (n,), optional, multiply each row's loss and its row of
D before the division by n (or n*k), in that order: ``l_i -> w_i * l_i`` and
``D_i -> (w_i * dl_i) / n``, i.e. squared ``sum_ij w_i * (r_ij * r_ij)`` and
``(w_i * r_ij) / (n*k)``, softmax ``(w_i * P_ij) / n`` with ``P`` the
probabilities less the one-hot labels. The mean stays a division by n: the
estimators pass weights scaled to mean 1 over their training rows
(:mod:`steepest.models._weights`), so that the weighted batch objective
averages ``w_i * l_i`` over the rows. Without weights the operations are
exactly the unweighted ones above.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._activations import sigmoid


def softplus(t: NDArray[Any]) -> NDArray[Any]:
    """log(1 + exp(t)) = max(t, 0) + log1p(exp(-|t|)): no overflow, no cancellation."""
    T = t.dtype.type
    out: NDArray[Any] = np.maximum(t, T(0.0)) + np.log1p(np.exp(-np.abs(t)))
    return out


def _rows(w: NDArray[Any], like: NDArray[Any]) -> NDArray[Any]:
    """The row weights shaped to broadcast over ``like`` (n,) or (n, k)."""
    return w if like.ndim == 1 else w[:, None]


def squared(
    Z: NDArray[Any], Y: NDArray[Any], w: NDArray[Any] | None = None
) -> tuple[Any, NDArray[Any]]:
    """Half mean squared error over samples and outputs; Z and Y of one shape."""
    T = Z.dtype.type
    nk = T(Z.size)
    r = Z - Y
    if w is None:
        return T(0.5) * np.sum(r * r) / nk, r / nk
    wr = _rows(w, r)
    return T(0.5) * np.sum(wr * (r * r)) / nk, (wr * r) / nk


def binary(
    z: NDArray[Any], y: NDArray[np.intp], w: NDArray[Any] | None = None
) -> tuple[Any, NDArray[Any]]:
    """Sigmoid cross-entropy of logits z (n,) against labels y in {0, 1}."""
    T = z.dtype.type
    n = T(z.shape[0])
    t = np.where(y == 1, -z, z)
    if w is None:
        loss = np.sum(softplus(t)) / n
        return loss, (sigmoid(z) - y.astype(z.dtype)) / n
    loss = np.sum(w * softplus(t)) / n
    return loss, (w * (sigmoid(z) - y.astype(z.dtype))) / n


def multilabel(
    Z: NDArray[Any], Y: NDArray[Any], w: NDArray[Any] | None = None
) -> tuple[Any, NDArray[Any]]:
    """Per-label sigmoid cross-entropy of logits Z (n, k) against 0/1 targets Y (n, k)."""
    T = Z.dtype.type
    n = T(Z.shape[0])
    t = np.where(Y == T(1.0), -Z, Z)
    if w is None:
        return np.sum(softplus(t)) / n, (sigmoid(Z) - Y) / n
    wr = w[:, None]
    return np.sum(wr * softplus(t)) / n, (wr * (sigmoid(Z) - Y)) / n


def softmax(
    Z: NDArray[Any], y: NDArray[np.intp], w: NDArray[Any] | None = None
) -> tuple[Any, NDArray[Any]]:
    """Softmax cross-entropy of logits Z (n, K) against labels y in [0, K)."""
    T = Z.dtype.type
    n = Z.shape[0]
    rows = np.arange(n)
    S = Z - np.max(Z, axis=1, keepdims=True)
    E = np.exp(S)
    sums = np.sum(E, axis=1, keepdims=True)
    per_row = np.log(sums[:, 0]) - S[rows, y]
    D = E / sums
    D[rows, y] -= T(1.0)
    if w is None:
        return np.sum(per_row) / T(n), D / T(n)
    return np.sum(w * per_row) / T(n), (w[:, None] * D) / T(n)


def softmax_proba(Z: NDArray[Any]) -> NDArray[Any]:
    """Row-wise softmax exp(z_ij - m_i) / sum_j exp(z_ij - m_i)."""
    E = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    P: NDArray[Any] = E / np.sum(E, axis=1, keepdims=True)
    return P
