"""Learning-rate schedules in pure Python: the specification of :mod:`steepest.schedules`.

A schedule is an immutable object and a pure function of the step index:
``sched(t)`` is the learning rate of optimizer step ``t + 1`` (``t = 0`` is the
first step, as torch's ``last_epoch`` after ``t`` calls of ``scheduler.step()``)
and ``sched.values(n)`` holds ``sched(0), ..., sched(n - 1)``. Names, parameters
and defaults follow :mod:`torch.optim.lr_scheduler`; the learning rate is the
keyword ``lr`` (``CyclicLR`` keeps ``base_lr``/``max_lr``, ``OneCycleLR``
``max_lr``). ``to_native()`` gives the plain-dict description the C++ side
evaluates (``cpp/include/steepest/schedule/schedules.hpp``); :func:`from_native`
rebuilds the object.

Every kind is evaluated in closed form with scalar ``math`` operations in the
same order as the C++ twin, so native and reference values agree bit for bit.
torch computes most kinds recursively (``lr_t`` from ``lr_{t-1}``); its values
then differ from the closed form by rounding only (relative 1e-10 or less after
10,000 steps). Never imports ``steepest._core``.

Examples
--------
>>> from steepest.reference.schedules import CosineAnnealingLR, LinearLR, SequentialLR
>>> warm = LinearLR(lr=0.1, start_factor=0.1, total_iters=5)
>>> sched = SequentialLR([warm, CosineAnnealingLR(lr=0.1, T_max=95)], milestones=[5])
>>> sched(0), sched(5), sched(100)
(0.010000000000000002, 0.1, 0.0)
"""

from __future__ import annotations

import bisect
from typing import Any

from .. import _checks as v
from .. import _schedule_base as sb
from .._plateau import ReduceLROnPlateau
from .._schedule_base import Schedule, exact_int, power
from ._schedules_periodic import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
)


class Constant(Schedule):
    """The same learning rate at every step: ``lr_t = lr``.

    Parameters
    ----------
    lr : float
        The learning rate, finite and >= 0.

    Examples
    --------
    >>> Constant(lr=0.1).values(3)
    array([0.1, 0.1, 0.1])
    """

    kind = "Constant"

    def __init__(self, *, lr: float) -> None:
        self._init(lr=v.check_nonnegative(self.kind, "lr", lr))

    def _at(self, t: int) -> float:
        return float(self.lr)


class ConstantLR(Schedule):
    """A constant factor for the first ``total_iters`` steps (``torch.optim.lr_scheduler.ConstantLR``).

    ``lr_t = lr * factor`` for ``t < total_iters``, else ``lr``.

    Parameters
    ----------
    lr : float
        Learning rate after the first ``total_iters`` steps.
    factor : float, default 1/3
        Multiplier in [0, 1] applied before ``total_iters``.
    total_iters : int, default 5
        Number of steps (>= 0) that use the factor.

    Notes
    -----
    torch's recursive form differs in one degenerate case: with ``factor=0``
    it never leaves 0 (it would divide by the factor); here ``lr`` returns
    at ``total_iters``, as torch's own closed form says.

    Examples
    --------
    >>> ConstantLR(lr=1.0, factor=0.5, total_iters=2).values(4)
    array([0.5, 0.5, 1. , 1. ])
    """

    kind = "ConstantLR"

    def __init__(
        self, *, lr: float, factor: float = 1.0 / 3, total_iters: int = 5
    ) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            factor=v.check_between(
                k, "factor", factor, 0, 1, lo_open=False, hi_open=False
            ),
            total_iters=exact_int(k, "total_iters", total_iters, 0),
        )

    def _at(self, t: int) -> float:
        return float(self.lr * self.factor if t < self.total_iters else self.lr)


class LinearLR(Schedule):
    """Linear change of a factor; the usual linear warm-up (``torch.optim.lr_scheduler.LinearLR``).

    ``lr_t = lr * (start_factor + (end_factor - start_factor) * min(t, T) / T)``
    with ``T = total_iters``: ``lr * start_factor`` at ``t = 0``, ``lr * end_factor``
    from ``t = T`` on.

    Parameters
    ----------
    lr : float
        The learning rate the factors multiply.
    start_factor : float, default 1/3
        Factor at ``t = 0``, in (0, 1].
    end_factor : float, default 1.0
        Factor from ``t = total_iters`` on, in [0, 1].
    total_iters : int, default 5
        Length of the ramp, >= 1.

    Examples
    --------
    >>> LinearLR(lr=1.0, start_factor=0.25, total_iters=3).values(5)
    array([0.25, 0.5 , 0.75, 1.  , 1.  ])
    """

    kind = "LinearLR"

    def __init__(
        self,
        *,
        lr: float,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            start_factor=v.check_between(
                k, "start_factor", start_factor, 0, 1, lo_open=True, hi_open=False
            ),
            end_factor=v.check_between(
                k, "end_factor", end_factor, 0, 1, lo_open=False, hi_open=False
            ),
            total_iters=exact_int(k, "total_iters", total_iters, 1),
        )

    def _at(self, t: int) -> float:
        m = float(min(t, self.total_iters))
        slope = self.end_factor - self.start_factor
        return float(self.lr * (self.start_factor + slope * m / self.total_iters))


class StepLR(Schedule):
    """Decay by ``gamma`` every ``step_size`` steps (``torch.optim.lr_scheduler.StepLR``).

    ``lr_t = lr * gamma ** floor(t / step_size)``.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    step_size : int
        Period of the decay, >= 1.
    gamma : float, default 0.1
        Multiplicative factor, finite and > 0.

    Examples
    --------
    >>> StepLR(lr=1.0, step_size=2, gamma=0.5).values(5)
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])
    """

    kind = "StepLR"

    def __init__(self, *, lr: float, step_size: int, gamma: float = 0.1) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            step_size=exact_int(k, "step_size", step_size, 1),
            gamma=v.check_positive(k, "gamma", gamma),
        )

    def _at(self, t: int) -> float:
        return float(self.lr * power(self.gamma, float(t // self.step_size)))


class MultiStepLR(Schedule):
    """Decay by ``gamma`` at each milestone (``torch.optim.lr_scheduler.MultiStepLR``).

    ``lr_t = lr * gamma ** k`` with ``k`` the number of milestones ``<= t``.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    milestones : list of int
        Strictly increasing step indices >= 0 (torch also allows repeats).
    gamma : float, default 0.1
        Multiplicative factor, finite and > 0.

    Examples
    --------
    >>> MultiStepLR(lr=1.0, milestones=[1, 3], gamma=0.5).values(4)
    array([1.  , 0.5 , 0.5 , 0.25])
    """

    kind = "MultiStepLR"

    def __init__(self, *, lr: float, milestones: list[int], gamma: float = 0.1) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            milestones=sb.milestones(k, "milestones", milestones, 0),
            gamma=v.check_positive(k, "gamma", gamma),
        )

    def _at(self, t: int) -> float:
        k = bisect.bisect_right(self.milestones, t)
        return float(self.lr * power(self.gamma, float(k)))


class ExponentialLR(Schedule):
    """Decay by ``gamma`` every step (``torch.optim.lr_scheduler.ExponentialLR``).

    ``lr_t = lr * gamma ** t``.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    gamma : float
        Multiplicative factor per step, finite and > 0 (> 1 grows, as in an
        LR range test).

    Examples
    --------
    >>> ExponentialLR(lr=1.0, gamma=0.5).values(3)
    array([1.  , 0.5 , 0.25])
    """

    kind = "ExponentialLR"

    def __init__(self, *, lr: float, gamma: float) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            gamma=v.check_positive(k, "gamma", gamma),
        )

    def _at(self, t: int) -> float:
        return float(self.lr * power(self.gamma, float(t)))


class InverseTimeLR(Schedule):
    """Inverse-time decay (no torch kind; as Keras' ``InverseTimeDecay``).

    ``lr_t = lr / (1 + decay_rate * s)`` with ``s = t / decay_steps``, or
    ``s = floor(t / decay_steps)`` when ``staircase``. With the defaults this
    is the classic ``lr0 / (1 + k t)`` of Robbins-Monro step sizes.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    decay_rate : float
        ``k``, finite and >= 0.
    decay_steps : int, default 1
        Steps per unit of ``s``, >= 1.
    staircase : bool, default False
        Decay in discrete jumps every ``decay_steps`` steps.

    Examples
    --------
    >>> InverseTimeLR(lr=1.0, decay_rate=1.0).values(4)
    array([1.        , 0.5       , 0.33333333, 0.25      ])
    """

    kind = "InverseTimeLR"

    def __init__(
        self,
        *,
        lr: float,
        decay_rate: float,
        decay_steps: int = 1,
        staircase: bool = False,
    ) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            decay_rate=v.check_nonnegative(k, "decay_rate", decay_rate),
            decay_steps=exact_int(k, "decay_steps", decay_steps, 1),
            staircase=v.flag(k, "staircase", staircase),
        )

    def _at(self, t: int) -> float:
        s = float(t // self.decay_steps) if self.staircase else t / self.decay_steps
        return float(self.lr / (1.0 + self.decay_rate * s))


class PolynomialLR(Schedule):
    """Polynomial decay to zero (``torch.optim.lr_scheduler.PolynomialLR``).

    ``lr_t = lr * (1 - min(t, T) / T) ** power`` with ``T = total_iters``.

    Parameters
    ----------
    lr : float
        Initial learning rate.
    total_iters : int, default 5
        Steps until the learning rate reaches 0, >= 1.
    power : float, default 1.0
        Exponent, finite and >= 0.

    Examples
    --------
    >>> PolynomialLR(lr=1.0, total_iters=4, power=2.0).values(6)
    array([1.    , 0.5625, 0.25  , 0.0625, 0.    , 0.    ])
    """

    kind = "PolynomialLR"

    def __init__(self, *, lr: float, total_iters: int = 5, power: float = 1.0) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            total_iters=exact_int(k, "total_iters", total_iters, 1),
            power=v.check_nonnegative(k, "power", power),
        )

    def _at(self, t: int) -> float:
        m = float(min(t, self.total_iters))
        return float(self.lr * power(1.0 - m / self.total_iters, self.power))


class SequentialLR(Schedule):
    """Schedules one after another (``torch.optim.lr_scheduler.SequentialLR``).

    ``lr_t = schedulers[i](t - milestones[i - 1])`` with ``i`` the number of
    milestones ``<= t`` (and ``milestones[-1]`` read as 0): each schedule starts
    at its own ``t = 0`` when its milestone is reached, as torch restarts it.
    Each child carries its own ``lr`` (torch's children share the optimizer's).

    Parameters
    ----------
    schedulers : list of Schedule
        At least one schedule (not :class:`ReduceLROnPlateau`); may nest.
    milestones : list of int
        ``len(schedulers) - 1`` strictly increasing step indices >= 1.

    Examples
    --------
    >>> warm = LinearLR(lr=1.0, start_factor=0.5, total_iters=2)
    >>> SequentialLR([warm, ExponentialLR(lr=1.0, gamma=0.5)], milestones=[2]).values(5)
    array([0.5 , 0.75, 1.  , 0.5 , 0.25])
    """

    kind = "SequentialLR"

    def __init__(self, schedulers: list[Schedule], milestones: list[int]) -> None:
        k = self.kind
        if not isinstance(schedulers, (list, tuple)):
            msg = f"{k}: schedulers must be a list of schedules, got {type(schedulers).__name__}"
            raise TypeError(msg)
        if not schedulers:
            msg = f"{k}: schedulers must not be empty"
            raise ValueError(msg)
        for i, s in enumerate(schedulers):
            if not isinstance(s, Schedule):
                msg = (
                    f"{k}: schedulers[{i}] must be a schedule (a function of the step), "
                    f"got {type(s).__name__}"
                )
                raise TypeError(msg)
        ms = sb.milestones(k, "milestones", milestones, 1)
        if len(ms) != len(schedulers) - 1:
            msg = (
                f"{k}: milestones must have len(schedulers) - 1 = {len(schedulers) - 1} "
                f"entries, got {len(ms)}"
            )
            raise ValueError(msg)
        self._init(schedulers=tuple(schedulers), milestones=ms)

    def _at(self, t: int) -> float:
        i = bisect.bisect_right(self.milestones, t)
        start = self.milestones[i - 1] if i > 0 else 0
        return float(self.schedulers[i]._at(t - start))

    def to_native(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "schedulers": [s.to_native() for s in self.schedulers],
            "milestones": list(self.milestones),
        }


#: every schedule kind, by description name
KINDS: dict[str, type[Schedule]] = {
    cls.kind: cls
    for cls in (
        Constant, ConstantLR, LinearLR, StepLR, MultiStepLR, ExponentialLR, InverseTimeLR,
        PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR,
        SequentialLR,
    )
}  # fmt: skip


def build(desc: Any, kinds: dict[str, type[Schedule]]) -> Schedule:
    """Rebuild a schedule from its description with the classes in ``kinds``."""
    kind = sb.open_description(desc)
    params = {k: desc[k] for k in sb.KEYS[kind]}
    if kind == "SequentialLR":
        children = params["schedulers"]
        if not isinstance(children, (list, tuple)):
            msg = f"{kind}: schedulers must be a list of schedules, got {type(children).__name__}"
            raise TypeError(msg)
        params["schedulers"] = [build(c, kinds) for c in children]
    return kinds[kind](**params)


def from_native(desc: dict[str, Any]) -> Schedule:
    """The schedule a :meth:`Schedule.to_native` description describes.

    Examples
    --------
    >>> from_native(StepLR(lr=0.1, step_size=3).to_native())
    StepLR(lr=0.1, step_size=3, gamma=0.1)
    """
    return build(desc, KINDS)


__all__ = [
    "Constant",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "InverseTimeLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "Schedule",
    "SequentialLR",
    "StepLR",
    "from_native",
]
