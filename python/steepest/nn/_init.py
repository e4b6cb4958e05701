"""Weight initialisation schemes of the reference models.

Twin: the estimators draw initial params in Python from this module for both
backends (like the shuffle, no RNG is reimplemented in C++); tests:
``tests/nn/test_mlp.py``.

A weight matrix of shape (fan_in, fan_out) (a 1-D coef has fan_out = 1) is
drawn as::

    zeros    W = 0                                   (linear/logistic only)
    normal   W ~ N(0, 1/fan_in)                      (LeCun normal)
    uniform  W ~ U(-b, b),  b = 1/sqrt(fan_in)       (torch.nn.Linear's default)
    xavier   W ~ U(-b, b),  b = sqrt(6/(fan_in + fan_out))  (Glorot uniform)
    he       W ~ N(0, 2/fan_in)                      (He/Kaiming normal, for relu)

Intercepts and biases always start at 0. Values are drawn in float64 from the
given ``numpy.random.Generator`` (``standard_normal`` / ``uniform``), one call
per weight matrix in parameter order, then scaled and cast to the dtype, so a
float32 model starts from the float64 model's values rounded.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

INIT_KINDS = ("zeros", "normal", "uniform", "xavier", "he")


def init_weight(
    kind: str,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    dtype: np.dtype[Any],
) -> NDArray[Any]:
    """One weight array of ``shape`` ((fan_in,) or (fan_in, fan_out)) by ``kind``."""
    fan_in = shape[0]
    fan_out = shape[1] if len(shape) == 2 else 1
    if kind == "zeros":
        return np.zeros(shape, dtype)
    if kind == "normal":
        w = rng.standard_normal(shape) * (1.0 / math.sqrt(fan_in))
    elif kind == "he":
        w = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
    else:
        if kind == "uniform":
            bound = 1.0 / math.sqrt(fan_in)
        else:  # xavier
            bound = math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-bound, bound, shape)
    return w.astype(dtype)
