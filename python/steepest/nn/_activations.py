"""Hidden-layer activations g and their derivatives, in the dtype of the input.

Twin: ``cpp/include/steepest/model/mlp.hpp``; tests: ``tests/nn/test_mlp.py``.

Each derivative is written as a function of the activation's *output*
``a = g(z)`` (as scikit-learn's MLP does), so the backward pass needs only the
stored activations, never the pre-activations::

    identity  g(z) = z                          g'(z) = 1
    relu      g(z) = max(z, 0)                  g'(z) = 1 if a > 0 else 0
    tanh      g(z) = tanh(z)                    g'(z) = 1 - a*a
    sigmoid   g(z) = 1 / (1 + exp(-z))          g'(z) = a * (1 - a)

relu'(0) is taken as 0 (the derivative is undefined there; 0 is what
scikit-learn and PyTorch use, and it keeps a dead unit dead). The sigmoid is
evaluated without overflow: with ``e = exp(-|z|)`` (in (0, 1]),
``sigmoid(z) = 1 / (1 + e)`` for z >= 0 and ``e / (1 + e)`` for z < 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")


def sigmoid(z: NDArray[Any]) -> NDArray[Any]:
    """Logistic function 1 / (1 + exp(-z)), without overflow for any finite z."""
    T = z.dtype.type
    e = np.exp(-np.abs(z))
    one_plus_e = T(1.0) + e
    s: NDArray[Any] = np.where(z >= T(0.0), T(1.0) / one_plus_e, e / one_plus_e)
    return s


def activate(kind: str, z: NDArray[Any]) -> NDArray[Any]:
    """``g(z)`` for one of :data:`ACTIVATIONS` (a new array)."""
    T = z.dtype.type
    if kind == "relu":
        out: NDArray[Any] = np.maximum(z, T(0.0))
        return out
    if kind == "tanh":
        out = np.tanh(z)
        return out
    if kind == "sigmoid":
        return sigmoid(z)
    return z.copy()  # identity


def derivative(kind: str, a: NDArray[Any]) -> NDArray[Any] | None:
    """``g'(z)`` from the output ``a = g(z)``; None for identity (factor 1)."""
    T = a.dtype.type
    if kind == "relu":
        d: NDArray[Any] = (a > T(0.0)).astype(a.dtype)
        return d
    if kind == "tanh":
        d = T(1.0) - a * a
        return d
    if kind == "sigmoid":
        d = a * (T(1.0) - a)
        return d
    return None
