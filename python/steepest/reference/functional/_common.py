"""What every reference step shares: quiet NumPy errors, the nonfinite check,
the float16/bfloat16 storage round trip."""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import numpy as np

from ... import _checks as v
from ...typing import FloatArray

_P = ParamSpec("_P")

# (param, its float32 copy) of the 16-bit params of the step running now.
_writebacks: contextvars.ContextVar[list[tuple[FloatArray, FloatArray]] | None] = (
    contextvars.ContextVar("steepest_writebacks", default=None)
)

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


def _step_lists(
    fn: str, args: Sequence[tuple[str, Any, bool]]
) -> list[list[FloatArray]]:
    """The checked lists of a step (``args[1]`` the grads), a float16 or
    bfloat16 param and its grad replaced by float32 copies: the rule's float32
    step runs on them, and :func:`storage` rounds the params back (the native
    driver's tiles do the same, in ``step_driver.hpp``)."""
    arrays = v.check_lists(fn, args, half=True)
    pending = _writebacks.get()
    for i, p in enumerate(arrays[0]):
        if v.is_half(p.dtype):
            if pending is None:
                msg = f"{fn}: a 16-bit param outside a step wrapped by storage()"
                raise RuntimeError(msg)
            wide = p.astype(np.float32)
            pending.append((p, wide))
            arrays[0][i] = wide
            arrays[1][i] = arrays[1][i].astype(np.float32)
    return arrays


def storage(step: Callable[_P, bool]) -> Callable[_P, bool]:
    """Wrap a reference step so that its 16-bit params get their float32
    results rounded back, to nearest even (NumPy's / ml_dtypes' cast), when
    the step is applied."""

    @functools.wraps(step)
    def wrapped(*args: _P.args, **kwargs: _P.kwargs) -> bool:
        token = _writebacks.set([])
        try:
            applied = step(*args, **kwargs)
            pending = _writebacks.get() or []
            if applied:
                with np.errstate(all="ignore"):
                    for p, wide in pending:
                        p[...] = wide.astype(p.dtype)
            return applied
        finally:
            _writebacks.reset(token)

    return wrapped
