"""Type aliases used across steepest's public API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

FloatArray: TypeAlias = NDArray[np.float32] | NDArray[np.float64]
ArrayOrList: TypeAlias = FloatArray | Sequence[FloatArray]

__all__ = ["ArrayOrList", "FloatArray"]
