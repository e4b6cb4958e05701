"""Type aliases used across steepest's public API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import numpy as np
from numpy.typing import NDArray

FloatArray = Union[NDArray[np.float32], NDArray[np.float64]]
ArrayOrList = Union[FloatArray, Sequence[FloatArray]]

__all__ = ["ArrayOrList", "FloatArray"]
