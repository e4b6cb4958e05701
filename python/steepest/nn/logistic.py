"""Logistic regression, binary and multinomial: the reference model math.

Twin: ``cpp/include/steepest/model/logistic.hpp``; tests:
``tests/nn/test_logistic.py``.

Params are ``[coef, intercept]``; the shape of coef chooses the loss:

* binary: coef (d,), intercept (1,), labels y in {0, 1}. With ``z = X @ coef
  + intercept`` (n,), the per-sample loss is the sigmoid cross-entropy
  ``log(1 + exp(-z))`` for y = 1 and ``log(1 + exp(z))`` for y = 0, computed as
  ``softplus(t) = max(t, 0) + log1p(exp(-|t|))`` with ``t = -z`` or ``z``;
  ``dJ/dz_i = (sigmoid(z_i) - y_i) / n``.
* multinomial: coef (d, K), intercept (K,), labels y in {0, ..., K-1}. With
  ``Z = X @ coef + intercept`` (n, K), the per-sample loss is the softmax
  cross-entropy ``logsumexp(z_i) - z_i,y_i`` with the row maximum subtracted
  before exponentiating; ``dJ/dZ = (softmax(Z) - onehot(y)) / n``. K = 2 is
  allowed (an over-parameterised binary model); :func:`init_params` gives the
  1-D binary form for two classes, as scikit-learn does.

Labels are class *indices* (an integer or bool array); mapping arbitrary class
labels to indices is the estimator's job. On a batch of n samples::

    J = (1/n) * sum_i loss_i  +  R(coef)
    dJ/dcoef      = X^T @ D + dR/dcoef,     D = dJ/dZ  (1/n included)
    dJ/dintercept = sum_i D_i

with R the elastic-net penalty of :mod:`steepest.nn._penalty`
(not applied to the intercept). All in the dtype T of X; see
:mod:`steepest.nn._losses` for the exact operation order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import _checks as v
from ..typing import FloatArray
from . import _inputs as c
from ._activations import sigmoid
from ._dense import check_layer_model, single_layer_objective
from ._init import INIT_KINDS, init_weight
from ._losses import binary, softmax, softmax_proba


def _check_model(fn: str, params: Any, X: Any) -> tuple[list[FloatArray], FloatArray]:
    return check_layer_model(
        fn, params, X, min_outputs=2,
        expected="({d},) (binary) or ({d}, n_classes >= 2) (multinomial)",
    )  # fmt: skip


def init_params(
    kind: str,
    n_features: int,
    n_classes: int,
    *,
    rng: np.random.Generator,
    dtype: Any = np.float64,
) -> list[FloatArray]:
    """Initial ``[coef, intercept]``: binary (d,) for 2 classes, else (d, K).

    ``kind`` is one of "zeros", "normal", "uniform", "xavier", "he" (see
    :mod:`steepest.nn._init`); the intercept starts at 0.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.nn import logistic
    >>> rng = np.random.default_rng(0)
    >>> [p.shape for p in logistic.init_params("xavier", 4, 3, rng=rng)]
    [(4, 3), (3,)]
    """
    fn = "logistic.init_params"
    kind = v.choice(fn, "kind", kind, INIT_KINDS)
    d = v.integer(fn, "n_features", n_features, 1)
    k = v.integer(fn, "n_classes", n_classes, 2)
    rng, dt = v.generator(fn, "rng", rng), v.dtype(fn, dtype)
    shape = (d,) if k == 2 else (d, k)
    return [init_weight(kind, shape, rng, dt), np.zeros(1 if k == 2 else k, dt)]


def decision_function(params: list[FloatArray], X: FloatArray) -> FloatArray:
    """Logits ``X @ coef + intercept``: (n,) for binary, (n, K) for multinomial."""
    (coef, intercept), X = _check_model("logistic.decision_function", params, X)
    out: FloatArray = X @ coef + intercept
    return out


def predict_proba(params: list[FloatArray], X: FloatArray) -> FloatArray:
    """Class probabilities (n, K); binary: columns ``[sigmoid(-z), sigmoid(z)]``."""
    (coef, intercept), X = _check_model("logistic.predict_proba", params, X)
    Z = X @ coef + intercept
    if coef.ndim == 1:
        # sigmoid(-z), not 1 - sigmoid(z): keeps tiny probabilities accurate
        out: FloatArray = np.stack([sigmoid(-Z), sigmoid(Z)], axis=1)
        return out
    out = softmax_proba(Z)
    return out


def predict(params: list[FloatArray], X: FloatArray) -> NDArray[np.intp]:
    """Class indices: ``z > 0`` (binary; ties go to 0) or the row argmax (first max)."""
    (coef, intercept), X = _check_model("logistic.predict", params, X)
    Z = X @ coef + intercept
    labels: NDArray[np.intp] = (
        (Z > 0).astype(np.intp) if coef.ndim == 1 else np.argmax(Z, axis=1)
    )
    return labels.astype(np.intp, copy=False)


def loss_and_grad(
    params: list[FloatArray],
    X: FloatArray,
    y: NDArray[Any],
    *,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: FloatArray | None = None,
) -> tuple[float, list[FloatArray]]:
    """Objective J of one batch and its gradient w.r.t. ``[coef, intercept]``.

    Parameters
    ----------
    params : [coef, intercept]
        Of the dtype of X; binary or multinomial by the shape of coef.
    X : ndarray of shape (n, d), float32 or float64
    y : integer ndarray of shape (n,)
        Class indices: in {0, 1} (binary) or [0, K) (multinomial).
    alpha, l1_ratio : float
        Elastic-net penalty on coef (``alpha >= 0``, ``0 <= l1_ratio <= 1``).
    sample_weight : ndarray of shape (n,), dtype of X, or None
        Multiplies each row's loss and gradient (the mean stays ``1/n``; see
        :mod:`steepest.nn._losses`).

    Returns
    -------
    loss : float
        J, computed in the dtype of X.
    grads : list of ndarray
        ``[dJ/dcoef, dJ/dintercept]``, new arrays shaped like the params.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.nn import logistic
    >>> X = np.ones((2, 3)); y = np.array([0, 1])
    >>> loss, _ = logistic.loss_and_grad([np.zeros(3), np.zeros(1)], X, y)
    >>> bool(np.isclose(loss, np.log(2)))  # every probability is 1/2
    True
    """
    fn = "logistic.loss_and_grad"
    (coef, intercept), X = _check_model(fn, params, X)
    k = 2 if coef.ndim == 1 else coef.shape[1]
    labels = c.check_labels(fn, y, X.shape[0], k)
    alpha, l1_ratio = c.check_penalty(fn, alpha, l1_ratio)
    w = c.check_row_weights(fn, sample_weight, X.shape[0], X.dtype)
    Z = X @ coef + intercept
    loss, D = binary(Z, labels, w) if coef.ndim == 1 else softmax(Z, labels, w)
    return single_layer_objective([coef, intercept], X, loss, D, alpha, l1_ratio)


__all__ = [
    "decision_function",
    "init_params",
    "loss_and_grad",
    "predict",
    "predict_proba",
]
