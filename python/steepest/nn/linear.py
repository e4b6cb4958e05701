"""Linear least-squares regression: the reference model math (the specification).

Twin: ``cpp/include/steepest/model/linear.hpp``; tests:
``tests/nn/test_linear.py``.

Params are ``[coef, intercept]``: coef of shape (d,) with intercept (1,) for
one target (y of shape (n,)), or coef (d, k) with intercept (k,) for k targets
(y of shape (n, k)). On a batch X (n, d), in the dtype T of X::

    Z = X @ coef + intercept                      (n,) or (n, k)
    r = Z - y
    J = (0.5 * sum_ij r_ij^2) / (n*k)  +  R(coef)
    dJ/dcoef      = X^T @ (r / (n*k)) + dR/dcoef
    dJ/dintercept = sum_i r_i / (n*k)

i.e. the loss is ``mean 0.5 * (y_hat - y)^2`` over samples and targets
(scikit-learn's MLPRegressor ``squared_error / 2``; SGDRegressor's
``squared_error`` is the same ``0.5 * (y_hat - y)^2`` per sample). R is the
elastic-net penalty of :mod:`steepest.nn._penalty`; it is not
applied to the intercept.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as v
from ..typing import FloatArray
from . import _inputs as c
from ._dense import check_layer_model, single_layer_objective
from ._init import INIT_KINDS, init_weight
from ._losses import squared


def _check_model(fn: str, params: Any, X: Any) -> tuple[list[FloatArray], FloatArray]:
    return check_layer_model(
        fn, params, X, min_outputs=0,
        expected="({d},) or ({d}, n_targets)",
    )  # fmt: skip


def init_params(
    kind: str,
    n_features: int,
    n_targets: int | None = None,
    *,
    rng: np.random.Generator,
    dtype: Any = np.float64,
) -> list[FloatArray]:
    """Initial ``[coef, intercept]`` (see :mod:`steepest.nn._init`).

    Parameters
    ----------
    kind : {"zeros", "normal", "uniform", "xavier", "he"}
        Scheme of the coef; the intercept starts at 0.
    n_features : int
        d, the number of columns of X.
    n_targets : int or None
        None for 1-D y (coef (d,), intercept (1,)); k for y of shape (n, k)
        (coef (d, k), intercept (k,)).
    rng : numpy.random.Generator
        Source of the random draws (unused by "zeros").
    dtype : float32 or float64

    Examples
    --------
    >>> import numpy as np
    >>> from steepest.nn import linear
    >>> coef, b = linear.init_params("zeros", 3, rng=np.random.default_rng(0))
    >>> coef, b
    (array([0., 0., 0.]), array([0.]))
    """
    fn = "linear.init_params"
    kind = v.choice(fn, "kind", kind, INIT_KINDS)
    d = v.integer(fn, "n_features", n_features, 1)
    k = 1 if n_targets is None else v.integer(fn, "n_targets", n_targets, 1)
    shape = (d,) if n_targets is None else (d, k)
    rng, dt = v.generator(fn, "rng", rng), v.dtype(fn, dtype)
    return [init_weight(kind, shape, rng, dt), np.zeros(k, dt)]


def predict(params: list[FloatArray], X: FloatArray) -> FloatArray:
    """``X @ coef + intercept``: shape (n,) for a 1-D coef, else (n, k)."""
    (coef, intercept), X = _check_model("linear.predict", params, X)
    out: FloatArray = X @ coef + intercept
    return out


def loss_and_grad(
    params: list[FloatArray],
    X: FloatArray,
    y: FloatArray,
    *,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: FloatArray | None = None,
) -> tuple[float, list[FloatArray]]:
    """Objective J of one batch and its gradient w.r.t. ``[coef, intercept]``.

    Parameters
    ----------
    params : [coef, intercept]
        Of the dtype of X; shapes as in the module docstring.
    X : ndarray of shape (n, d), float32 or float64
    y : ndarray of shape (n,) or (n, k), dtype of X
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
    >>> from steepest.nn import linear
    >>> X = np.array([[1.0], [2.0]]); y = np.array([1.0, 3.0])
    >>> loss, (g_coef, g_b) = linear.loss_and_grad([np.zeros(1), np.zeros(1)], X, y)
    >>> loss  # (0.5 * (1 + 9)) / 2
    2.5
    >>> g_coef, g_b
    (array([-3.5]), array([-2.]))
    """
    fn = "linear.loss_and_grad"
    (coef, intercept), X = _check_model(fn, params, X)
    n = X.shape[0]
    y = c.check_target(fn, y, (n,) if coef.ndim == 1 else (n, coef.shape[1]), X.dtype)
    alpha, l1_ratio = c.check_penalty(fn, alpha, l1_ratio)
    w = c.check_row_weights(fn, sample_weight, n, X.dtype)
    Z = X @ coef + intercept
    loss, D = squared(Z, y, w)
    return single_layer_objective([coef, intercept], X, loss, D, alpha, l1_ratio)


__all__ = ["init_params", "loss_and_grad", "predict"]
