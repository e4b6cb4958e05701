"""Multi-layer perceptron (dense layers): the reference model math.

Twin: ``cpp/include/steepest/model/mlp.hpp``; tests: ``tests/nn/test_mlp.py``.

Params are ``[W1, b1, W2, b2, ..., WL, bL]`` with ``Wl`` of shape
(n_{l-1}, n_l), ``bl`` of shape (n_l,), n_0 = d (features) and n_L = k (outputs);
L - 1 >= 0 hidden layers share one activation g (see
:mod:`steepest.nn._activations`; relu'(0) = 0). On a batch X
(n, d), in the dtype T of X::

    A0 = X
    Al = g(A{l-1} @ Wl + bl)            l = 1 .. L-1   (hidden)
    Z  = A{L-1} @ WL + bL               (n, k)         (output, no activation)
    J  = (1/n) * sum_i loss(Z_i, y_i)  +  R(W1, ..., WL)

Output losses (``loss=``), exactly those of :mod:`.linear` / :mod:`.logistic`:

* ``"log_loss"`` with k = 1: binary sigmoid cross-entropy, labels in {0, 1}.
  Two classes use **one sigmoid output unit**, not a 2-way softmax (as
  scikit-learn's MLPClassifier and as the binary :mod:`.logistic`; half the
  output weights and no redundant direction); :func:`init_params` takes
  ``n_outputs = 1`` for them.
* ``"log_loss"`` with k >= 2: softmax cross-entropy, labels in [0, k).
* ``"squared_error"``: ``(0.5 * sum_ij (Z_ij - y_ij)^2) / (n*k)`` (scikit-learn's
  MLPRegressor ``squared_error / 2``); y of shape (n,) when k = 1, else (n, k).
* ``"multilabel_log_loss"``: k independent sigmoid cross-entropies on a 0/1
  indicator matrix y (n, k) of the dtype of X, summed over the labels and
  averaged over the samples (scikit-learn's multi-label MLPClassifier).

Backward pass, with D = dJ/dZ from the loss (1/n included)::

    for l = L .. 1:
        dJ/dWl = A{l-1}^T @ D + dR/dWl
        dJ/dbl = sum_i D_i
        if l > 1:  D = (D @ Wl^T) * g'(A{l-1})     (g' from the stored output)

R is the elastic-net penalty of :mod:`steepest.nn._penalty` on
every Wl, never on a bias; the MLP estimators will expose alpha only
(l1_ratio = 0), the reference accepts l1_ratio for one signature across models.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import _checks as v
from ..typing import FloatArray
from . import _inputs as c
from ._activations import ACTIVATIONS, activate, derivative, sigmoid
from ._dense import layer_grads
from ._init import INIT_KINDS, init_weight
from ._losses import binary, multilabel, softmax, softmax_proba, squared
from ._penalty import penalty_value

LOSSES = ("log_loss", "squared_error", "multilabel_log_loss")


def _check_model(fn: str, params: Any, X: Any) -> tuple[list[FloatArray], FloatArray]:
    X = c.check_X(fn, X)
    arrays = c.check_params(fn, params, X.dtype)
    if len(arrays) < 2 or len(arrays) % 2:
        msg = f"{fn}: params must hold [W1, b1, ..., WL, bL] (an even count >= 2), got {len(arrays)} arrays"
        raise ValueError(msg)
    fan_in = X.shape[1]
    for i in range(0, len(arrays), 2):
        W, b = arrays[i], arrays[i + 1]
        if W.ndim != 2 or W.shape[0] != fan_in:
            msg = (
                f"{fn}: params[{i}] (W{i // 2 + 1}) has shape {W.shape}; expected "
                f"({fan_in}, n_units) to follow "
                + ("X" if i == 0 else f"params[{i - 2}] (W{i // 2})")
            )
            raise ValueError(msg)
        c.check_shape(fn, f"params[{i + 1}] (b{i // 2 + 1})", b, (W.shape[1],))
        fan_in = W.shape[1]
    return arrays, X


def _forward(
    params: list[FloatArray], X: FloatArray, activation: str
) -> list[NDArray[Any]]:
    """``[A0, A1, ..., A{L-1}, Z]``: the input, each hidden activation, the output."""
    A: list[NDArray[Any]] = [X]
    last = len(params) - 2
    for i in range(0, len(params), 2):
        Z = A[-1] @ params[i] + params[i + 1]
        A.append(Z if i == last else activate(activation, Z))
    return A


def _output(fn: str, params: Any, X: Any, activation: Any) -> NDArray[Any]:
    """Z (n, k) of checked params on checked X."""
    params, X = _check_model(fn, params, X)
    activation = v.choice(fn, "activation", activation, ACTIVATIONS)
    return _forward(params, X, activation)[-1]


def init_params(
    kind: str,
    n_features: int,
    hidden_layer_sizes: Sequence[int],
    n_outputs: int,
    *,
    rng: np.random.Generator,
    dtype: Any = np.float64,
) -> list[FloatArray]:
    """Initial ``[W1, b1, ..., WL, bL]``; biases 0, weights drawn layer by layer.

    Parameters
    ----------
    kind : {"normal", "uniform", "xavier", "he"}
        Weight scheme (:mod:`steepest.nn._init`). "zeros" is
        refused: all hidden units would stay identical (with relu, all zero).
    n_features : int
    hidden_layer_sizes : sequence of int
        Units of each hidden layer (may be empty).
    n_outputs : int
        1 for regression of 1-D y and for binary classification (one sigmoid
        unit), K for K >= 3 classes, k for k regression targets.
    rng : numpy.random.Generator
    dtype : float32 or float64

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.nn import mlp
    >>> params = mlp.init_params("he", 4, (8, 8), 3, rng=np.random.default_rng(0))
    >>> [p.shape for p in params]
    [(4, 8), (8,), (8, 8), (8,), (8, 3), (3,)]
    """
    fn = "mlp.init_params"
    kind = v.choice(fn, "kind", kind, INIT_KINDS[1:])
    sizes = [v.integer(fn, "n_features", n_features, 1)]
    if isinstance(hidden_layer_sizes, (str, bytes)) or not isinstance(
        hidden_layer_sizes, Sequence
    ):
        msg = f"{fn}: hidden_layer_sizes must be a sequence of ints, got {type(hidden_layer_sizes).__name__}"
        raise TypeError(msg)
    for j, h in enumerate(hidden_layer_sizes):
        sizes.append(v.integer(fn, f"hidden_layer_sizes[{j}]", h, 1))
    sizes.append(v.integer(fn, "n_outputs", n_outputs, 1))
    rng, dt = v.generator(fn, "rng", rng), v.dtype(fn, dtype)
    params: list[FloatArray] = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params += [init_weight(kind, (fan_in, fan_out), rng, dt), np.zeros(fan_out, dt)]
    return params


def decision_function(
    params: list[FloatArray], X: FloatArray, *, activation: str = "relu"
) -> FloatArray:
    """The output Z before any output function: (n,) when k = 1, else (n, k)."""
    Z: FloatArray = _output("mlp.decision_function", params, X, activation)
    return Z[:, 0] if Z.shape[1] == 1 else Z


def predict_proba(
    params: list[FloatArray],
    X: FloatArray,
    *,
    activation: str = "relu",
    loss: str = "log_loss",
) -> FloatArray:
    """Class probabilities (n, K) of a ``log_loss`` network (binary: 2 columns);
    ``multilabel_log_loss``: each label's probability, sigmoid(Z) of shape (n, k)."""
    fn = "mlp.predict_proba"
    Z = _output(fn, params, X, activation)
    loss = v.choice(fn, "loss", loss, LOSSES)
    if loss == "multilabel_log_loss":
        out: FloatArray = sigmoid(Z)
        return out
    if Z.shape[1] == 1:
        out = np.concatenate([sigmoid(-Z), sigmoid(Z)], axis=1)
        return out
    out = softmax_proba(Z)
    return out


def predict(
    params: list[FloatArray],
    X: FloatArray,
    *,
    activation: str = "relu",
    loss: str = "log_loss",
) -> NDArray[Any]:
    """Class indices (``log_loss``; binary: z > 0), the regression output, or
    the 0/1 indicator matrix (n, k) of ``multilabel_log_loss`` (z > 0)."""
    fn = "mlp.predict"
    Z = _output(fn, params, X, activation)
    loss = v.choice(fn, "loss", loss, LOSSES)
    if loss == "squared_error":
        out: NDArray[Any] = Z[:, 0] if Z.shape[1] == 1 else Z
    elif loss == "multilabel_log_loss":
        out = (Z > 0).astype(np.intp)
    elif Z.shape[1] == 1:
        out = (Z[:, 0] > 0).astype(np.intp)
    else:
        out = np.argmax(Z, axis=1).astype(np.intp)
    return out


def loss_and_grad(
    params: list[FloatArray],
    X: FloatArray,
    y: NDArray[Any],
    *,
    activation: str = "relu",
    loss: str = "log_loss",
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: FloatArray | None = None,
) -> tuple[float, list[FloatArray]]:
    """Objective J of one batch and its gradient w.r.t. ``[W1, b1, ..., WL, bL]``.

    Parameters
    ----------
    params : list of ndarray
        ``[W1, b1, ..., WL, bL]`` of the dtype of X.
    X : ndarray of shape (n, d), float32 or float64
    y : ndarray
        ``log_loss``: integer class indices (n,). ``squared_error``: targets
        of the dtype of X, (n,) for one output, else (n, k).
        ``multilabel_log_loss``: 0/1 indicators (n, k) of the dtype of X.
    activation : {"relu", "tanh", "sigmoid", "identity"}
        Of every hidden layer.
    loss : {"log_loss", "squared_error", "multilabel_log_loss"}
    alpha, l1_ratio : float
        Penalty on every Wl (``alpha >= 0``, ``0 <= l1_ratio <= 1``).
        :func:`steepest.reference.train.run_epoch` passes only these; bind
        ``activation`` and ``loss`` with :func:`functools.partial`.
    sample_weight : ndarray of shape (n,), dtype of X, or None
        Multiplies each row's loss and gradient (the mean stays ``1/n``; see
        :mod:`steepest.nn._losses`).

    Returns
    -------
    loss : float
        J, computed in the dtype of X.
    grads : list of ndarray
        New arrays shaped like the params.

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.nn import mlp
    >>> params = mlp.init_params("xavier", 2, (4,), 3, rng=np.random.default_rng(0))
    >>> params[-2][...] = 0.0  # zero output layer: every class has probability 1/3
    >>> X = np.ones((5, 2)); y = np.array([0, 1, 2, 0, 1])
    >>> J, grads = mlp.loss_and_grad(params, X, y, activation="tanh")
    >>> bool(np.isclose(J, np.log(3))), len(grads)
    (True, 4)
    """
    fn = "mlp.loss_and_grad"
    params, X = _check_model(fn, params, X)
    activation = v.choice(fn, "activation", activation, ACTIVATIONS)
    loss = v.choice(fn, "loss", loss, LOSSES)
    alpha, l1_ratio = c.check_penalty(fn, alpha, l1_ratio)
    n, k = X.shape[0], params[-1].shape[0]
    if loss == "log_loss":
        labels = c.check_labels(fn, y, n, max(k, 2))
    elif loss == "multilabel_log_loss":
        y = c.check_target(fn, y, (n, k), X.dtype)
        if not np.all((y == 0) | (y == 1)):
            msg = f"{fn}: y must hold 0 or 1 for loss='multilabel_log_loss'"
            raise ValueError(msg)
    else:
        y = c.check_target(fn, y, (n,) if k == 1 else (n, k), X.dtype)
    w = c.check_row_weights(fn, sample_weight, n, X.dtype)
    A = _forward(params, X, activation)
    Z = A.pop()
    if loss == "squared_error":
        value, D = squared(Z[:, 0] if k == 1 else Z, y, w)
    elif loss == "multilabel_log_loss":
        value, D = multilabel(Z, y, w)
    elif k == 1:
        value, D = binary(Z[:, 0], labels, w)
    else:
        value, D = softmax(Z, labels, w)
    D = D.reshape(Z.shape)
    weights = params[0::2]
    grads: list[FloatArray] = [X] * len(params)  # placeholders, all overwritten
    for layer in range(len(weights) - 1, -1, -1):
        W, A_prev = weights[layer], A[layer]
        grads[2 * layer], grads[2 * layer + 1] = layer_grads(
            W, A_prev, D, alpha, l1_ratio
        )
        if layer > 0:
            D = D @ W.T
            gprime = derivative(activation, A_prev)
            if gprime is not None:
                D = D * gprime
    total = value + penalty_value(weights, alpha, l1_ratio)
    return float(total), grads


__all__ = [
    "LOSSES",
    "decision_function",
    "init_params",
    "loss_and_grad",
    "predict",
    "predict_proba",
]
