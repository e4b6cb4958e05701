"""What every reference step shares: quiet NumPy errors, the nonfinite check."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import _checks as v
from ...typing import FloatArray

# Like the native kernels, the steps compute NaN/inf silently: non-finite
# gradients are the `nonfinite` option's business, divergence the loops'.
_quiet = np.errstate(all="ignore")


def _grads_finite(fn: str, grads: list[FloatArray], grad: Any, mode: str) -> bool:
    """False to skip the step; raises for mode "raise"; True when all finite."""
    if mode == "ignore":
        return True
    names = v.labels(fn, "grad", grad)
    for label, g in zip(names, grads, strict=True):
        if not np.isfinite(g).all():
            if mode == "skip":
                return False
            msg = f"{fn}: {label} contains NaN or inf; nothing was updated (nonfinite='raise')"
            raise ValueError(msg)
    return True
