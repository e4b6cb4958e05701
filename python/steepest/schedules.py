"""Learning-rate schedules evaluated natively (C++), for optimizers and training loops.

A schedule is an immutable object and a pure function of the step index:
``sched(t)`` is the learning rate of optimizer step ``t + 1`` (``t = 0`` is the
first step: torch's ``last_epoch`` after ``t`` calls of ``scheduler.step()``),
and ``sched.values(n)`` is the float64 array of ``sched(0), ..., sched(n - 1)``,
computed in one native call. Every optimizer accepts ``lr=<float | schedule>``.

Kinds (names, parameters and defaults of :mod:`torch.optim.lr_scheduler`; the
learning rate is the keyword ``lr``, except ``CyclicLR(base_lr, max_lr)`` and
``OneCycleLR(max_lr)``):

=============================  ===============================================
``Constant``                   ``lr``
``ConstantLR``                 ``lr * factor`` for ``t < total_iters``, then ``lr``
``LinearLR``                   linear factor ramp (warm-up)
``StepLR``, ``MultiStepLR``    step decay by ``gamma``
``ExponentialLR``              ``lr * gamma ** t``
``InverseTimeLR``              ``lr / (1 + decay_rate * t / decay_steps)``
``PolynomialLR``               ``lr * (1 - min(t, T) / T) ** power``
``CosineAnnealingLR``          cosine from ``lr`` to ``eta_min`` over ``T_max``
``CosineAnnealingWarmRestarts`` SGDR: cosine periods ``T_0 * T_mult ** i``
``CyclicLR``                   triangular / triangular2 / exp_range cycles
``OneCycleLR``                 1cycle (two or three phases, cos or linear)
``SequentialLR``               one schedule after another (e.g. warm-up, cosine)
``ReduceLROnPlateau``          metric-driven decay (``update(metric)``), then stop
=============================  ===============================================

Where the code is: every class here is a two-line subclass of its twin in
:mod:`steepest.reference.schedules` that changes only how it is evaluated
(``__call__`` and ``values`` run the C++ twin, ``_core.Schedule``, which agrees
with the reference bit for bit). Parameters, validation, formula and docstring
live once, in the twin: ``Constant`` to ``PolynomialLR`` and ``SequentialLR`` in
``reference/schedules.py``; ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``,
``CyclicLR`` and ``OneCycleLR`` in ``reference/_schedules_periodic.py``; the base
class :class:`Schedule` (immutability, ``values``, ``to_native``, equality) and
the checks of a description in ``_schedule_base.py``; ``ReduceLROnPlateau``
(fed metrics, not steps: one Python implementation serves both backends) in
``_plateau.py``. The C++ formulas are in
``cpp/include/steepest/schedule/schedules.hpp``. ``to_native()`` returns the
plain-dict description the C++ side reads; :func:`from_native` rebuilds an
object from it.

Compared with torch, which computes most kinds recursively from the previous
step's value, the closed forms here agree to within rounding (relative
difference below 1e-10 over 10,000 steps, see ``tests/test_schedules.py``).
Not offered: ``LambdaLR``, ``MultiplicativeLR`` (arbitrary Python callables),
``ChainedScheduler``, momentum cycling and custom ``scale_fn``.

Examples
--------
>>> from steepest.schedules import CosineAnnealingLR, LinearLR, SequentialLR
>>> warm = LinearLR(lr=0.1, start_factor=0.1, total_iters=5)
>>> sched = SequentialLR([warm, CosineAnnealingLR(lr=0.1, T_max=95)], milestones=[5])
>>> sched.values(6).round(4)
array([0.01 , 0.028, 0.046, 0.064, 0.082, 0.1  ])
>>> sched(100)
0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import _core
from ._plateau import ReduceLROnPlateau
from ._schedule_base import Schedule
from .reference import schedules as _ref


class _Native:
    """Evaluates ``__call__`` and ``values`` with the compiled description."""

    def _native(self) -> _core.Schedule:
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            assert isinstance(self, Schedule)
            compiled = _core.Schedule(self.to_native())
            object.__setattr__(self, "_compiled", compiled)
        return compiled

    def __getstate__(self) -> dict[str, Any]:
        # the compiled twin is a cache: copies and pickles rebuild it on first use
        return {k: v for k, v in self.__dict__.items() if k != "_compiled"}

    def __call__(self, t: int) -> float:
        """The learning rate at step index ``t`` (an int in ``[0, 2**53)``), natively."""
        lr: float = self._native()(t)
        return lr

    def values(self, n: int, start: int = 0) -> NDArray[np.float64]:
        """``[sched(start), ..., sched(start + n - 1)]`` as float64, in one native call."""
        out: NDArray[np.float64] = self._native().values(n, start)
        return out


class Constant(_Native, _ref.Constant):
    __doc__ = _ref.Constant.__doc__


class ConstantLR(_Native, _ref.ConstantLR):
    __doc__ = _ref.ConstantLR.__doc__


class LinearLR(_Native, _ref.LinearLR):
    __doc__ = _ref.LinearLR.__doc__


class StepLR(_Native, _ref.StepLR):
    __doc__ = _ref.StepLR.__doc__


class MultiStepLR(_Native, _ref.MultiStepLR):
    __doc__ = _ref.MultiStepLR.__doc__


class ExponentialLR(_Native, _ref.ExponentialLR):
    __doc__ = _ref.ExponentialLR.__doc__


class InverseTimeLR(_Native, _ref.InverseTimeLR):
    __doc__ = _ref.InverseTimeLR.__doc__


class PolynomialLR(_Native, _ref.PolynomialLR):
    __doc__ = _ref.PolynomialLR.__doc__


class CosineAnnealingLR(_Native, _ref.CosineAnnealingLR):
    __doc__ = _ref.CosineAnnealingLR.__doc__


class CosineAnnealingWarmRestarts(_Native, _ref.CosineAnnealingWarmRestarts):
    __doc__ = _ref.CosineAnnealingWarmRestarts.__doc__


class CyclicLR(_Native, _ref.CyclicLR):
    __doc__ = _ref.CyclicLR.__doc__


class OneCycleLR(_Native, _ref.OneCycleLR):
    __doc__ = _ref.OneCycleLR.__doc__


class SequentialLR(_Native, _ref.SequentialLR):
    __doc__ = _ref.SequentialLR.__doc__


#: every schedule kind, by description name: the twin's list, each bound to its class here
KINDS: dict[str, type[Schedule]] = {kind: globals()[kind] for kind in _ref.KINDS}


def from_native(desc: dict[str, Any]) -> Schedule:
    """The (native) schedule a :meth:`Schedule.to_native` description describes.

    Examples
    --------
    >>> from_native({"kind": "ExponentialLR", "lr": 1.0, "gamma": 0.5}).values(3)
    array([1.  , 0.5 , 0.25])
    """
    return _ref.build(desc, KINDS)


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
