"""Argument checks of the learning-rate schedules.

Pure Python, shared by :mod:`steepest.reference.schedules` and the native
classes in :mod:`steepest.schedules`. The binding that compiles a schedule
description (``cpp/bindings/register_schedule.cpp``) applies the same rules in
the same order with the same messages; ``tests/test_schedules.py`` checks so.
Messages read ``"StepLR: step_size must be an int >= 1, got 0"``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

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


def is_bool(x: Any) -> bool:
    return isinstance(x, (bool, np.bool_))


def is_int(x: Any) -> bool:
    """Any integer but bool (what ``operator.index`` accepts: int, NumPy integers)."""
    return hasattr(type(x), "__index__") and not is_bool(x)


def number(fn: str, name: str, x: Any) -> float:
    """A real number (int, float, NumPy scalar; not bool) as a float."""
    return _checks.real(fn, name, x)


def nonnegative(fn: str, name: str, x: Any) -> float:
    value = number(fn, name, x)
    if not (math.isfinite(value) and value >= 0):
        msg = f"{fn}: {name} must be a finite number >= 0, got {value!r}"
        raise ValueError(msg)
    return value


def positive(fn: str, name: str, x: Any) -> float:
    value = number(fn, name, x)
    if not (math.isfinite(value) and value > 0):
        msg = f"{fn}: {name} must be a finite number > 0, got {value!r}"
        raise ValueError(msg)
    return value


def between(
    fn: str,
    name: str,
    x: Any,
    *,
    lo_open: bool,
    hi_open: bool,
    lo: int = 0,
    hi: int = 1,
) -> float:
    """``lo <= x <= hi`` with either end open; the message prints the interval."""
    value = number(fn, name, x)
    ok = (
        math.isfinite(value)
        and (value > lo if lo_open else value >= lo)
        and (value < hi if hi_open else value <= hi)
    )
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        msg = f"{fn}: {name} must be in {interval}, got {value!r}"
        raise ValueError(msg)
    return value


def integer(fn: str, name: str, x: Any, lo: int) -> int:
    expect = f"{fn}: {name} must be an int >= {lo}, got {x!r}"
    if not is_int(x):
        raise TypeError(expect)
    value = operator.index(x)
    if value < lo:
        raise ValueError(expect)
    if value >= MAX_INT:
        msg = f"{fn}: {name} must be < 2**53, got {x!r}"
        raise ValueError(msg)
    return value


def count(fn: str, name: str, x: Any) -> int:
    """A step index or a number of steps: an int in [0, 2**53)."""
    return integer(fn, name, x, 0)


def boolean(fn: str, name: str, x: Any) -> bool:
    if not is_bool(x):
        msg = f"{fn}: {name} must be a bool, got {type(x).__name__}"
        raise TypeError(msg)
    return bool(x)


def choice(fn: str, name: str, x: Any, options: Sequence[str]) -> str:
    if isinstance(x, str) and x in options:
        return x
    quoted = [f"'{o}'" for o in options]
    allowed = ", ".join(quoted[:-1]) + " or " + quoted[-1]
    msg = f"{fn}: {name} must be {allowed}, got {x!r}"
    raise ValueError(msg)


def milestones(fn: str, name: str, x: Any, lo: int) -> list[int]:
    """A list of strictly increasing ints >= lo."""
    expect = f"{fn}: {name} must be a list of strictly increasing ints >= {lo}, got "
    if not isinstance(x, (list, tuple)):
        raise TypeError(expect + repr(x))
    items = list(x)
    out: list[int] = []
    for m in items:
        if not is_int(m):
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
