"""L2 and elastic-net penalty: value and (sub)gradient, shared by every model.

Twin: ``cpp/include/steepest/model/linear.hpp`` (used by logistic and mlp too);
tests: ``tests/nn/test_linear.py``.

Objective of every reference model on a batch of n samples (scikit-learn's
SGDClassifier/SGDRegressor scaling: the penalty is *not* divided by n)::

    J(params) = (1/n) * sum_i loss_i  +  R(W)
    R(W)      = alpha * ( l1_ratio * ||W||_1 + (1 - l1_ratio)/2 * ||W||_2^2 )
    dR/dW     = alpha * ( l1_ratio * sign(W) + (1 - l1_ratio) * W )

W stands for every weight matrix (coef of linear/logistic, W1, W2, ... of the
MLP), never for an intercept or bias: shifting the targets or the logits must
not be penalised. ``alpha = 0`` is no penalty, ``l1_ratio = 0`` pure L2 (ridge,
weight decay alpha), ``l1_ratio = 1`` pure L1 (lasso).

Conventions:

* ``sign(0) = 0``: at a weight exactly 0 the L1 subgradient chosen is 0 (the
  element of [-1, 1] with the smallest magnitude). These functions give the
  gradient of J; the estimators' training loop does not step along the L1
  subgradient but puts only the L2 part in the gradient and applies the L1
  part as a proximal step after each update (soft thresholding, which gives
  exact zeros; :mod:`steepest.models._epoch`).
* scikit-learn's MLP divides its L2 term by the batch size
  (``alpha_sklearn / (2 n) * ||W||^2``); here the same alpha is used for every
  model, so ``alpha_here = alpha_sklearn_MLP / n_batch``.
* In the dtype T of W, with ``a1 = T(alpha * l1_ratio)`` and
  ``a2 = T(alpha * (1 - l1_ratio))`` computed once in double: the value is
  ``a1 * sum|W| + (a2 * T(0.5)) * sum W*W`` per array, summed over the arrays
  in order; the gradient adds ``a1 * sign(W)`` and then ``a2 * W`` to the data
  gradient. A term whose coefficient is 0 is skipped, not multiplied by 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


def penalty_value(
    weights: Sequence[NDArray[Any]], alpha: float, l1_ratio: float
) -> Any:
    """R(W) summed over ``weights``, a scalar of their dtype."""
    T = weights[0].dtype.type
    a1, a2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    total = T(0.0)
    for w in weights:
        if a1 != 0:
            total = total + T(a1) * np.sum(np.abs(w))
        if a2 != 0:
            total = total + (T(a2) * T(0.5)) * np.sum(w * w)
    return total


def add_penalty_grad(
    w: NDArray[Any], g: NDArray[Any], alpha: float, l1_ratio: float
) -> NDArray[Any]:
    """``g + dR/dw`` for one weight array (a new array; ``g`` is not modified)."""
    T = w.dtype.type
    a1, a2 = alpha * l1_ratio, alpha * (1.0 - l1_ratio)
    if a1 != 0:
        g = g + T(a1) * np.sign(w)
    if a2 != 0:
        g = g + T(a2) * w
    return g
