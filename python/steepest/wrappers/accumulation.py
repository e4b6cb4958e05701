"""Gradient accumulation over several calls (Keras' ``gradient_accumulation_steps``,
optax's ``MultiSteps``) around any optimizer."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .. import _checks as v
from ..typing import ArrayOrList, FloatArray
from ._base import Wrapper, wide_dtype


class GradientAccumulation(Wrapper):
    """Apply the wrapped optimizer to the mean gradient of every ``steps`` calls.

    Calls 1 .. steps-1 of each window only add their gradients to a buffer;
    the ``steps``-th call hands the wrapped optimizer
    ``(g_1 + ... + g_steps) / steps`` and empties the buffer.

    Parameters
    ----------
    optimizer : Optimizer or Wrapper
        Any steepest optimizer (either backend) or another wrapper.
    steps : int
        Calls per update, >= 1 (1: every call is an update, bit for bit the
        unwrapped optimizer).

    Attributes
    ----------
    accumulated : list of ndarray
        The sum of this window's gradients so far, one array per param.
    count : int
        Calls accumulated in this window, in [0, steps).

    Notes
    -----
    The mean, not the sum, as optax's ``MultiSteps`` and Keras: a window of
    ``steps`` mini-batches of size ``b`` updates as one batch of size
    ``steps * b`` with a mean loss would, at the same learning rate. (For
    the sum, scale ``lr`` by ``steps``.) The sum runs in the gradients'
    dtype and is divided once; optax keeps a running mean instead, which
    rounds differently (the two agree to a few ulps per call). For a float16
    or bfloat16 param the sum and the division run in float32 (as the rules
    keep their state) and the mean is rounded to the param's dtype, to
    nearest even, before the wrapped step.

    Every call checks ``grads`` against the params (count, dtype, shape)
    before anything changes. Non-finite gradients follow the wrapped
    optimizer's ``nonfinite``: under ``"raise"`` an accumulating call raises
    ``ValueError`` and adds nothing; under ``"skip"`` the window's update is
    skipped as a whole (its mean is not finite) and a new window starts;
    ``"ignore"`` does not look. ``step_count`` counts updates, not calls.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> p = np.array([1.0])
    >>> opt = steepest.GradientAccumulation(steepest.SGD([p], lr=0.1), steps=2)
    >>> opt.step([np.array([1.0])]); p
    array([1.])
    >>> opt.step([np.array([3.0])]); p
    array([0.8])
    """

    def __init__(self, optimizer: Any, steps: int) -> None:
        fn = "GradientAccumulation"
        super().__init__(fn, optimizer)
        self.steps = v.integer(fn, "steps", steps, 1)
        self.accumulated: list[FloatArray] = [
            np.zeros(p.shape, wide_dtype(p.dtype)) for p in self.params
        ]
        self.count = 0

    def step(self, grads: ArrayOrList) -> None:
        """Add ``grads`` (one array per param) to the window; on its last call, update."""
        fn = f"{type(self).__name__}.step"
        _, arrays = v.check_lists(
            fn, [("params", self.params, True), ("grads", grads, False)], half=True
        )
        if self.count + 1 < self.steps:
            if self.nonfinite == "raise":
                for i, g in enumerate(arrays):
                    if not np.isfinite(g).all():
                        msg = (
                            f"{fn}: grads[{i}] has a NaN or inf; nothing was "
                            "accumulated (nonfinite='raise')"
                        )
                        raise ValueError(msg)
            for a, g in zip(self.accumulated, arrays, strict=True):
                a += g
            self.count += 1
            return
        # new arrays: should the wrapped step raise, the window is as it was
        with np.errstate(over="ignore", invalid="ignore"):
            # a 16-bit param's grad takes its dtype (a float32 mean rounded)
            sums = [a + g for a, g in zip(self.accumulated, arrays, strict=True)]
            mean = [
                cast(
                    FloatArray,
                    (s / s.dtype.type(self.steps)).astype(g.dtype, copy=False),
                )
                for s, g in zip(sums, arrays, strict=True)
            ]
        self.optimizer.step(mean)
        for a in self.accumulated:
            a.fill(0)
        self.count = 0

    def state_dict(self) -> dict[str, Any]:
        """``steps``, ``count``, copies of the accumulated sums, and the wrapped
        optimizer's state dict as ``"inner"``."""
        return {
            "optimizer": type(self).__name__,
            "steps": self.steps,
            "count": self.count,
            "accumulated": [a.copy() for a in self.accumulated],
            "inner": self.optimizer.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; checks everything before changing anything."""
        fn = f"{type(self).__name__}.load_state_dict"
        sd = self._check_header(fn, state_dict, {"steps", "count", "accumulated"})
        try:
            steps = v.integer(fn, "steps", sd["steps"], 1)
        except TypeError as err:  # a state dict is data: ValueError throughout
            raise ValueError(str(err)) from err
        count = self._check_count(fn, "count", sd["count"], steps)
        accumulated = self._check_arrays(fn, "accumulated", sd["accumulated"])
        self.optimizer.load_state_dict(sd["inner"])
        self.steps, self.count, self.accumulated = steps, count, accumulated

    def __repr__(self) -> str:
        return f"GradientAccumulation({self.optimizer!r}, steps={self.steps})"


__all__ = ["GradientAccumulation"]
