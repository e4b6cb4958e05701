"""The base of every learning-rate schedule, and the checks of their descriptions.

A foundation module (it imports nothing native): :mod:`steepest.reference.schedules`
builds the closed-form twins on :class:`Schedule`, :mod:`steepest.schedules`
evaluates the same descriptions in C++. The binding that compiles a
description (``cpp/bindings/register_schedule.cpp``) applies the checks here in
the same order with the same messages; ``tests/test_schedules.py`` checks so.
Messages read ``"StepLR: step_size must be an int >= 1, got 0"``.
"""

from __future__ import annotations

import math
import operator
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from . import _checks as v

#: every int a schedule sees must be exact in a double
MAX_INT = 2**53

#: the keys of each kind's description (its constructor arguments after
#: defaults are resolved), in validation order
KEYS: dict[str, tuple[str, ...]] = {
    "Constant": ("lr",),
    "ConstantLR": ("lr", "factor", "total_iters"),
    "LinearLR": ("lr", "start_factor", "end_factor", "total_iters"),
    "StepLR": ("lr", "step_size", "gamma"),
    "MultiStepLR": ("lr", "milestones", "gamma"),
    "ExponentialLR": ("lr", "gamma"),
    "InverseTimeLR": ("lr", "decay_rate", "decay_steps", "staircase"),
    "PolynomialLR": ("lr", "total_iters", "power"),
    "CosineAnnealingLR": ("lr", "T_max", "eta_min"),
    "CosineAnnealingWarmRestarts": ("lr", "T_0", "T_mult", "eta_min"),
    "CyclicLR": (
        "base_lr",
        "max_lr",
        "step_size_up",
        "step_size_down",
        "mode",
        "gamma",
    ),
    "OneCycleLR": (
        "max_lr",
        "total_steps",
        "pct_start",
        "anneal_strategy",
        "div_factor",
        "final_div_factor",
        "three_phase",
    ),
    "SequentialLR": ("schedulers", "milestones"),
}


def exact_int(fn: str, name: str, x: Any, lo: int = 0) -> int:
    """An int >= lo that a double holds exactly (the C++ side computes in double)."""
    return v.integer(fn, name, x, lo, limit=MAX_INT)


def milestones(fn: str, name: str, x: Any, lo: int) -> list[int]:
    """A list of strictly increasing ints >= lo."""
    expect = f"{fn}: {name} must be a list of strictly increasing ints >= {lo}, got "
    if not isinstance(x, (list, tuple)):
        raise TypeError(expect + repr(x))
    items = list(x)
    out: list[int] = []
    for m in items:
        if not v.is_int(m):
            raise TypeError(expect + repr(items))
        value = operator.index(m)
        if value < lo or value >= MAX_INT or (out and value <= out[-1]):
            raise ValueError(expect + repr(items))
        out.append(value)
    return out


def open_description(desc: Any) -> str:
    """Check a description's kind and key set; return the kind."""
    fn = "schedule description"
    if not isinstance(desc, dict):
        msg = f"{fn}: must be a dict with a 'kind', got {type(desc).__name__}"
        raise TypeError(msg)
    if "kind" not in desc:
        msg = f"{fn}: has no 'kind'"
        raise ValueError(msg)
    kind = desc["kind"]
    if not isinstance(kind, str) or kind not in KEYS:
        msg = f"{fn}: unknown kind {kind!r}"
        raise ValueError(msg)
    keys = KEYS[kind]
    missing = [k for k in keys if k not in desc]
    unknown = [k for k in desc if k != "kind" and k not in keys]
    if missing:
        msg = f"{kind}: description lacks {missing!r}"
        raise ValueError(msg)
    if unknown:
        msg = f"{kind}: description has unknown keys {unknown!r}"
        raise ValueError(msg)
    return kind


def power(x: float, y: float) -> float:
    """``x ** y`` as C's ``pow``: inf on overflow where Python's ``math.pow`` raises."""
    try:
        return math.pow(x, y)
    except OverflowError:
        return math.inf


class Schedule:
    """A learning rate as a pure function of the step index ``t = 0, 1, 2, ...``.

    ``sched(t)`` is the learning rate of optimizer step ``t + 1``;
    ``sched.values(n)`` the first ``n`` of them. Schedules are immutable
    (their attributes are the constructor arguments, validated), compare equal
    when their descriptions do, and describe themselves to the C++ side with
    :meth:`to_native`. Subclasses implement ``_at(t)`` in closed form.
    """

    #: the description's ``kind`` (the torch class name where torch has the kind)
    kind: ClassVar[str] = ""

    def _init(self, **params: Any) -> None:
        for name, value in params.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"{self.kind}: schedules are immutable; build a new one instead of setting {name}"
        raise AttributeError(msg)

    def __getattr__(
        self, name: str
    ) -> Any:  # only reached for unknown names (typing aid)
        msg = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(msg)

    def _at(self, t: int) -> float:
        raise NotImplementedError

    def __call__(self, t: int) -> float:
        """The learning rate at step index ``t`` (an int in ``[0, 2**53)``)."""
        return self._at(exact_int(self.kind, "t", t))

    def values(self, n: int, start: int = 0) -> NDArray[np.float64]:
        """``[sched(start), ..., sched(start + n - 1)]`` as a float64 array."""
        fn = f"{self.kind}.values"
        n = exact_int(fn, "n", n)
        start = exact_int(fn, "start", start)
        if start + n > MAX_INT:
            msg = f"{fn}: start + n must be <= 2**53, got {start} + {n}"
            raise ValueError(msg)
        return np.fromiter(
            (self._at(t) for t in range(start, start + n)), np.float64, count=n
        )

    def to_native(self) -> dict[str, Any]:
        """The plain-dict description the C++ side evaluates (all defaults resolved)."""
        desc: dict[str, Any] = {"kind": self.kind}
        for key in KEYS[self.kind]:
            value = getattr(self, key)
            desc[key] = list(value) if isinstance(value, list) else value
        return desc

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in KEYS[self.kind])
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self.to_native() == other.to_native()

    def __hash__(self) -> int:
        return hash(repr(self.to_native()))
