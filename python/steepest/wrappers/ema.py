"""An exponential moving average of the params (Keras' ``use_ema``, torch's
``AveragedModel`` with ``get_ema_multi_avg_fn``) around any optimizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _backend
from .. import _checks as v
from .._optimizer import Optimizer
from ..typing import ArrayOrList, FloatArray
from ._base import Wrapper, wide_copies


class EMA(Wrapper):
    """Keep an exponential moving average of the params, updated every step.

    After each update the wrapped optimizer applies::

        ema <- decay * ema + (1 - decay) * params

    except the first, which copies the params (``decay`` 0 once), as torch's
    ``AveragedModel`` and Keras' ``use_ema`` start. The params keep the
    optimizer's iterate; evaluate at :attr:`ema_params` (or :meth:`swap`
    them in and back out, or :meth:`copy_to_params` for good).

    Parameters
    ----------
    optimizer : Optimizer or Wrapper
        Any steepest optimizer (either backend) or another wrapper.
    decay : float
        In [0, 1) (default 0.999; Keras' ``ema_momentum`` 0.99); 0 makes the
        average the latest params.

    Attributes
    ----------
    ema_params : list of ndarray
        The averages, one array per param (copies of the params until the
        first update); float32 for a float16 or bfloat16 param, as the rules
        keep their state.
    updates : int
        Updates averaged so far.

    Notes
    -----
    Wrapping an optimizer directly, the native backend runs the average
    inside the step's own pass: each block of the params is averaged right
    after the rule wrote it, while it is in cache, so the average costs one
    read and one write of :attr:`ema_params` per element and no second read
    of the params. Around another wrapper, or on the reference backend, it
    is a pass of its own (:func:`steepest.functional.ema_update`); all agree
    bit for bit. Every array is checked before anything is written.

    Only applied updates count: a step skipped for a non-finite gradient
    (``nonfinite="skip"``) or a call that only accumulates
    (:class:`GradientAccumulation` inside) leaves the average as it was.
    No bias correction is offered, and none is needed: the first update
    copies instead of averaging with a zero start (optax's ``ema`` with
    ``debias=True`` reaches the same end another way).

    A float16 or bfloat16 param is averaged in float32 (its exact values
    after each update, widened): an average kept in the param's dtype could
    hardly move, since at ``decay`` 0.999 an increment
    ``(1 - decay) * (params - ema)`` below half an ulp of ``ema`` rounds
    away, and in bfloat16 (8 significant bits) that is every increment
    unless the params differ from the average by about four times its
    value. The float32 average is rounded to the param's dtype (to nearest,
    ties to even) where it reaches the params: :meth:`swap` and
    :meth:`copy_to_params`, as :class:`Lookahead` rounds its float32 slow
    weights into the params.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> p = np.array([1.0])
    >>> opt = steepest.EMA(steepest.SGD([p], lr=0.5), decay=0.5)
    >>> for _ in range(2):
    ...     opt.step([np.array([1.0])])
    >>> p, opt.ema_params
    (array([0.]), [array([0.25])])
    """

    def __init__(self, optimizer: Any, decay: float = 0.999) -> None:
        fn = "EMA"
        super().__init__(fn, optimizer)
        self.decay = v.check_between(fn, "decay", decay, 0.0, 1.0, hi_open=True)
        self.ema_params: list[FloatArray] = wide_copies(self.params)
        self.updates = 0
        # per 16-bit param, the float32 average a swap put into it (rounded):
        # swapping back restores it whole while the params still hold it
        self._swapped: list[FloatArray | None] = [None] * len(self.params)
        self._update: Callable[..., None] = _backend.package(
            fn, self.backend
        ).functional.ema_update

    def step(self, grads: ArrayOrList) -> None:
        """One update of the wrapped optimizer with the average following it."""
        decay = self.decay if self.updates else 0.0
        inner = self.optimizer
        if isinstance(inner, Optimizer):
            applied = inner._step_with_ema(grads, self.ema_params, decay)
        else:
            v.check_lists(f"{type(self).__name__}.step",
                          [("params", self.params, True), ("ema", self.ema_params, True)],
                          half=True, state_from=1)  # fmt: skip
            before = inner.step_count
            inner.step(grads)
            applied = inner.step_count != before
            if applied:
                self._update(self.ema_params, self.params, decay)
        if applied:
            self.updates += 1

    def swap(self) -> None:
        """Exchange the params' values and :attr:`ema_params`' in place.

        Call once to evaluate at the average, again to resume training
        (Keras' ``finalize_variable_values`` is :meth:`copy_to_params`).
        A float16 or bfloat16 param receives its float32 average rounded;
        swapping back gives both their values bit for bit, provided the
        params were not changed meanwhile.
        """
        for i, (p, e) in enumerate(zip(self.params, self.ema_params, strict=True)):
            held = p.copy()
            p[...] = e  # rounds to the param's dtype (a 16-bit one)
            kept = self._swapped[i]
            if v.is_half(p.dtype):
                self._swapped[i] = e.copy()
            if kept is not None and _same_bits(held, kept.astype(held.dtype)):
                e[...] = kept  # the average this param showed, whole
            else:
                e[...] = held

    def copy_to_params(self) -> None:
        """Write :attr:`ema_params` into the params (the end of training),
        rounded to a float16 or bfloat16 param's dtype."""
        for p, e in zip(self.params, self.ema_params, strict=True):
            p[...] = e

    def reset(self) -> None:
        """Restart the average: copies of the params, no update counted."""
        self.ema_params = wide_copies(self.params)
        self._swapped = [None] * len(self.params)
        self.updates = 0

    def state_dict(self) -> dict[str, Any]:
        """``decay``, ``updates``, copies of the averages, and the wrapped
        optimizer's state dict as ``"inner"``."""
        return {
            "optimizer": type(self).__name__,
            "decay": self.decay,
            "updates": self.updates,
            "ema_params": [a.copy() for a in self.ema_params],
            "inner": self.optimizer.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; checks everything before changing anything."""
        fn = f"{type(self).__name__}.load_state_dict"
        sd = self._check_header(fn, state_dict, {"decay", "updates", "ema_params"})
        try:
            decay = v.check_between(fn, "decay", sd["decay"], 0.0, 1.0, hi_open=True)
        except TypeError as err:  # a state dict is data: ValueError throughout
            raise ValueError(str(err)) from err
        updates = sd["updates"]
        if not (v.is_int(updates) and updates >= 0):
            msg = f"{fn}: updates must be an int >= 0, got {updates!r}"
            raise ValueError(msg)
        ema = self._check_arrays(fn, "ema_params", sd["ema_params"])
        # the wrapped optimizer checks its part before changing anything
        self.optimizer.load_state_dict(sd["inner"])
        self.decay, self.updates, self.ema_params = decay, int(updates), ema
        self._swapped = [None] * len(self.params)

    def __repr__(self) -> str:
        return f"EMA({self.optimizer!r}, decay={self.decay!r})"


def _same_bits(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    # bits, not values: NaN payloads and signed zeros count
    return bool(np.array_equal(a.view(np.uint16), b.view(np.uint16)))


__all__ = ["EMA"]
