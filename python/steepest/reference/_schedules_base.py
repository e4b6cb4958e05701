"""The base class every learning-rate schedule shares (see :mod:`steepest.reference.schedules`)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .. import _schedule_validation as sv


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
        return self._at(sv.count(self.kind, "t", t))

    def values(self, n: int, start: int = 0) -> NDArray[np.float64]:
        """``[sched(start), ..., sched(start + n - 1)]`` as a float64 array."""
        fn = f"{self.kind}.values"
        n = sv.count(fn, "n", n)
        start = sv.count(fn, "start", start)
        if start + n > sv.MAX_INT:
            msg = f"{fn}: start + n must be <= 2**53, got {start} + {n}"
            raise ValueError(msg)
        return np.fromiter(
            (self._at(t) for t in range(start, start + n)), np.float64, count=n
        )

    def to_native(self) -> dict[str, Any]:
        """The plain-dict description the C++ side evaluates (all defaults resolved)."""
        desc: dict[str, Any] = {"kind": self.kind}
        for key in sv.KEYS[self.kind]:
            value = getattr(self, key)
            desc[key] = list(value) if isinstance(value, list) else value
        return desc

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in sv.KEYS[self.kind])
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Schedule):
            return NotImplemented
        return self.to_native() == other.to_native()

    def __hash__(self) -> int:
        return hash(repr(self.to_native()))
