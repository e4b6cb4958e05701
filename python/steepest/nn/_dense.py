"""What the three models share: a dense layer's params check and its gradients.

Linear and logistic regression are one dense layer ``Z = X @ coef + intercept``
under different losses, and the MLP's backward pass takes the same gradients of
each of its layers (see the module docstrings of :mod:`.linear`,
:mod:`.logistic` and :mod:`.mlp` for the formulas). Tests: ``tests/nn/``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..typing import FloatArray
from . import _inputs as c
from ._penalty import add_penalty_grad, penalty_value


def check_layer_model(
    fn: str, params: Any, X: Any, *, min_outputs: int, expected: str
) -> tuple[list[FloatArray], FloatArray]:
    """``[coef, intercept]`` of the dtype of X: coef (d,) or (d, k >= min_outputs).

    ``expected`` describes the accepted coef shapes in the error message, with
    ``{d}`` standing for the number of features.
    """
    X = c.check_X(fn, X)
    arrays = c.check_params(fn, params, X.dtype)
    c.check_count(fn, arrays, 2, "coef, intercept")
    coef, intercept = arrays
    d = X.shape[1]
    ok = coef.ndim == 1 or (coef.ndim == 2 and coef.shape[1] >= min_outputs)
    if not ok or coef.shape[0] != d:
        msg = (
            f"{fn}: params[0] (coef) has shape {coef.shape}; expected "
            f"{expected.format(d=d)} for X with {d} features"
        )
        raise ValueError(msg)
    k = 1 if coef.ndim == 1 else coef.shape[1]
    c.check_shape(fn, "params[1] (intercept)", intercept, (k,))
    return arrays, X


def layer_grads(
    W: NDArray[Any], A: NDArray[Any], D: NDArray[Any], alpha: float, l1_ratio: float
) -> tuple[NDArray[Any], NDArray[Any]]:
    """``(A^T @ D + dR/dW, sum_i D_i)``: a layer's weight and bias gradients.

    ``A`` is the layer's input, ``D`` the gradient of J with respect to its
    output (1/n included).
    """
    return add_penalty_grad(W, A.T @ D, alpha, l1_ratio), np.sum(D, axis=0)


def single_layer_objective(
    params: list[FloatArray],
    X: FloatArray,
    loss: Any,
    D: NDArray[Any],
    alpha: float,
    l1_ratio: float,
) -> tuple[float, list[FloatArray]]:
    """``(J, [dJ/dcoef, dJ/dintercept])`` of linear or logistic regression.

    ``loss`` is the batch's mean loss and ``D = dJ/dZ``, both from the loss.
    """
    coef, intercept = params
    g_coef, g_intercept = layer_grads(coef, X, D, alpha, l1_ratio)
    total = loss + penalty_value([coef], alpha, l1_ratio)
    return float(total), [g_coef, g_intercept.reshape(intercept.shape)]
