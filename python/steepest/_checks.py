"""The one checking vocabulary: every layer's argument checks, one message shape.

Messages read ``"<function>: <argument> must be <what was expected>, got <what
was got>"``. Exception types follow one rule (README, "Errors"): ``TypeError``
when the kind of object is wrong (not a number, not a bool, not an int, not an
ndarray, a non-float dtype, mixed dtypes), ``ValueError`` when the kind is
right but the value is not (out of range, not finite, not among the choices, a
shape or a layout).

Pure Python, so the foundations and the NumPy reference can use it without the
extension. The native bindings (``cpp/bindings/array_checks.hpp``,
``register_schedule.cpp``) apply the same rules in the same order with the
same messages; ``tests/test_validation.py`` and the schedule tests run one
body over both backends to keep them so.
"""

from __future__ import annotations

import bisect
import math
import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .typing import FloatArray

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def is_half(dtype: np.dtype[Any]) -> bool:
    """float16, or bfloat16 (``ml_dtypes``'; by name, so it is not imported)."""
    return dtype.itemsize == 2 and (dtype.kind == "f" or str(dtype) == "bfloat16")


def _type_name(obj: object) -> str:
    return type(obj).__name__


def _label(name: str, index: int, single: bool) -> str:
    return name if single else f"{name}[{index}]"


def unpack(fn: str, name: str, obj: Any) -> tuple[list[np.ndarray], bool]:
    """Return the arrays of a list argument, and whether a bare array was given."""
    if isinstance(obj, np.ndarray):
        return [obj], True
    if not isinstance(obj, (list, tuple)):
        msg = f"{fn}: {name} must be a numpy.ndarray or a list of them, got {_type_name(obj)}"
        raise TypeError(msg)
    for i, item in enumerate(obj):
        if not isinstance(item, np.ndarray):
            msg = f"{fn}: {name}[{i}] must be a numpy.ndarray, got {_type_name(item)}"
            raise TypeError(msg)
    return list(obj), False


def any_half(obj: Any) -> bool:
    """Whether a list argument holds a float16 or bfloat16 array (no checks:
    :func:`check_lists` checks it after)."""
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return any(isinstance(a, np.ndarray) and is_half(a.dtype) for a in items)


def check_lists(
    fn: str,
    args: Sequence[tuple[str, Any, bool]],
    *,
    half: bool = False,
    state_from: int = 2,
) -> list[list[FloatArray]]:
    """Validate list arguments ``(name, obj, written)``; the first is the params.

    Checks count, dtype (float32/float64, equal to the param's), shape,
    C-contiguity, alignment, writeability of written arrays, and that no
    written array overlaps another array in memory. Returns the array lists.
    With ``half`` (the optimizer steps, whose second list is the grads), a
    float16 or bfloat16 param takes a grad of its dtype and float32 state:
    the lists from ``state_from`` on (1 where no grads come between, as
    Lookahead's slow weights).
    """
    unpacked = [unpack(fn, name, obj) for name, obj, _ in args]
    names = [name for name, _, _ in args]
    params, _ = unpacked[0]
    if not params:
        msg = f"{fn}: {names[0]} is an empty list"
        raise ValueError(msg)
    for k in range(1, len(args)):
        if len(unpacked[k][0]) != len(params):
            msg = (
                f"{fn}: {names[k]} has {len(unpacked[k][0])} arrays "
                f"but {names[0]} has {len(params)}"
            )
            raise ValueError(msg)
    written: list[tuple[int, int, int, int]] = []
    read: list[tuple[int, int, int, int]] = []
    for i, p in enumerate(params):
        plabel = _label(names[0], i, unpacked[0][1])
        narrow = half and is_half(p.dtype)
        if p.dtype not in _FLOAT_DTYPES and not narrow:
            kinds = (
                "float32, float64, float16 or bfloat16"
                if half
                else "float32 or float64"
            )
            msg = f"{fn}: {plabel} has dtype {p.dtype}; expected {kinds}"
            raise TypeError(msg)
        for k, (name, _, is_written) in enumerate(args):
            x = unpacked[k][0][i]
            label = _label(name, i, unpacked[k][1])
            if k >= state_from and narrow:
                if x.dtype != np.float32:
                    msg = (
                        f"{fn}: {label} has dtype {x.dtype}; expected float32, "
                        f"the state of {plabel} ({p.dtype})"
                    )
                    raise TypeError(msg)
            elif k > 0 and x.dtype != p.dtype:
                msg = f"{fn}: {label} has dtype {x.dtype} but {plabel} has dtype {p.dtype}"
                raise TypeError(msg)
            if k > 0 and x.shape != p.shape:
                msg = f"{fn}: {label} has shape {x.shape} but {plabel} has shape {p.shape}"
                raise ValueError(msg)
            if not x.flags.c_contiguous:
                msg = f"{fn}: {label} is not C-contiguous"
                raise ValueError(msg)
            if not x.flags.aligned:
                msg = f"{fn}: {label} is not aligned"
                raise ValueError(msg)
            if is_written and not x.flags.writeable:
                msg = f"{fn}: {label} is read-only"
                raise ValueError(msg)
            if x.nbytes == 0:
                continue
            lo = x.__array_interface__["data"][0]
            (written if is_written else read).append((lo, lo + x.nbytes, k, i))

    def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> None:
        first = _label(names[a[2]], a[3], unpacked[a[2]][1])
        second = _label(names[b[2]], b[3], unpacked[b[2]][1])
        msg = f"{fn}: {second} overlaps {first} in memory"
        raise ValueError(msg)

    written.sort(key=lambda r: r[0])
    for j in range(1, len(written)):
        if written[j][0] < written[j - 1][1]:
            overlap(written[j - 1], written[j])
    starts = [r[0] for r in written]
    for r in read:
        j = bisect.bisect_right(starts, r[0])
        if j < len(written) and written[j][0] < r[1]:
            overlap(written[j], r)
        if j > 0 and written[j - 1][1] > r[0]:
            overlap(written[j - 1], r)
    return [arrays for arrays, _ in unpacked]


def check_scalars(fn: str, name: str, obj: Any, count: int) -> list[FloatArray]:
    """Validate a per-param scalar of a rule's state: one 0-d float32/float64
    writeable array per param (``count`` of them); returns the arrays."""
    arrays, single = unpack(fn, name, obj)
    if len(arrays) != count:
        msg = f"{fn}: {name} has {len(arrays)} arrays but param has {count}"
        raise ValueError(msg)
    for i, x in enumerate(arrays):
        label = _label(name, i, single)
        if x.dtype not in _FLOAT_DTYPES:
            msg = f"{fn}: {label} has dtype {x.dtype}; expected float32 or float64"
            raise TypeError(msg)
        if x.ndim != 0:
            msg = f"{fn}: {label} has shape {x.shape}; expected a 0-d array"
            raise ValueError(msg)
        if not x.flags.aligned:
            msg = f"{fn}: {label} is not aligned"
            raise ValueError(msg)
        if not x.flags.writeable:
            msg = f"{fn}: {label} is read-only"
            raise ValueError(msg)
    return arrays


def check_scalar_overlap(
    fn: str, args: Sequence[tuple[str, Any]], scalars: Sequence[tuple[str, Any]]
) -> None:
    """ValueError if a per-param scalar shares memory with any array or another
    scalar (all checked already). The step writes the scalars after the arrays,
    so an overlap would clobber one or the other; arrays among themselves are
    :func:`check_lists`' business. Ranges are swept in address order (ties in
    argument order), the message naming the later one and the one it overlaps."""
    ranges = []
    for order, (name, obj, is_scalar) in enumerate(
        [(n, o, False) for n, o in args] + [(n, o, True) for n, o in scalars]
    ):
        arrays, single = unpack(fn, name, obj)
        for i, x in enumerate(arrays):
            if x.nbytes:
                lo = x.__array_interface__["data"][0]
                ranges.append(
                    (lo, order, i, lo + x.nbytes, _label(name, i, single), is_scalar)
                )
    ranges.sort(key=lambda r: r[:3])
    top: tuple[int, str] = (0, "")
    top_scalar: tuple[int, str] = (0, "")
    for lo, _, _, hi, label, is_scalar in ranges:
        holder = top if is_scalar else top_scalar
        if lo < holder[0]:
            msg = f"{fn}: {label} overlaps {holder[1]} in memory"
            raise ValueError(msg)
        if hi > top[0]:
            top = (hi, label)
        if is_scalar and hi > top_scalar[0]:
            top_scalar = (hi, label)


def labels(fn: str, name: str, obj: Any) -> list[str]:
    """Labels of a list argument's items as messages print them."""
    arrays, single = unpack(fn, name, obj)
    return [_label(name, i, single) for i in range(len(arrays))]


def is_real(x: Any) -> bool:
    """A real number: int, float, NumPy scalar; not bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def real(fn: str, name: str, x: Any) -> float:
    """``x`` as a float if it is a real number (int, float, NumPy scalar; not bool)."""
    if not is_real(x):
        msg = f"{fn}: {name} must be a real number, got {_type_name(x)}"
        raise TypeError(msg)
    return float(x)


def flag(fn: str, name: str, x: Any) -> bool:
    """``x`` as a bool if it is a Python or NumPy bool."""
    if not isinstance(x, (bool, np.bool_)):
        msg = f"{fn}: {name} must be a bool, got {_type_name(x)}"
        raise TypeError(msg)
    return bool(x)


def check_between(
    fn: str,
    name: str,
    x: Any,
    lo: float,
    hi: float,
    *,
    hi_open: bool,
    lo_open: bool = False,
    interval: str | None = None,
) -> float:
    """A real number in the interval from ``lo`` to ``hi``, either end open.

    The message prints the interval (``"[0, 1)"``); ``interval`` overrides it.
    """
    value = real(fn, name, x)
    ok = (
        math.isfinite(value)
        and (value > lo if lo_open else value >= lo)
        and (value < hi if hi_open else value <= hi)
    )
    if not ok:
        if interval is None:
            interval = (
                f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
            )
        msg = f"{fn}: {name} must be in {interval}, got {value!r}"
        raise ValueError(msg)
    return value


def check_nonnegative(fn: str, name: str, x: Any) -> float:
    """A finite real number >= 0."""
    value = real(fn, name, x)
    if not (math.isfinite(value) and value >= 0):
        msg = f"{fn}: {name} must be a finite number >= 0, got {value!r}"
        raise ValueError(msg)
    return value


def check_positive(fn: str, name: str, x: Any) -> float:
    """A finite real number > 0."""
    value = real(fn, name, x)
    if not (math.isfinite(value) and value > 0):
        msg = f"{fn}: {name} must be a finite number > 0, got {value!r}"
        raise ValueError(msg)
    return value


def is_int(x: Any) -> bool:
    """Any integer but bool (what ``operator.index`` accepts: int, NumPy integers)."""
    return hasattr(type(x), "__index__") and not isinstance(x, (bool, np.bool_))


def _limit_label(limit: int) -> str:
    # limits are powers of two (2**53: exact in a double; 2**63: a C++ int64)
    k = limit.bit_length() - 1
    return f"2**{k}" if limit == 1 << k else str(limit)


def integer(fn: str, name: str, x: Any, lo: int, *, limit: int | None = None) -> int:
    """An int (Python or NumPy, not bool) ``>= lo`` and, if given, ``< limit``."""
    expect = f"{fn}: {name} must be an int >= {lo}, got {x!r}"
    if not is_int(x):
        raise TypeError(expect)
    value = operator.index(x)
    if value < lo:
        raise ValueError(expect)
    if limit is not None and value >= limit:
        msg = f"{fn}: {name} must be < {_limit_label(limit)}, got {x!r}"
        raise ValueError(msg)
    return value


def count(fn: str, name: str, x: Any, *, limit: int | None = None) -> int:
    """A number of things or a 0-based index: an int >= 0."""
    return integer(fn, name, x, 0, limit=limit)


def choice(fn: str, name: str, x: Any, options: Sequence[str]) -> str:
    """One of the strings ``options``; the message lists them all."""
    if isinstance(x, str) and x in options:
        return x
    quoted = [f"'{o}'" for o in options]
    allowed = (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    )
    msg = f"{fn}: {name} must be {allowed}, got {x!r}"
    raise ValueError(msg)


def dtype(fn: str, x: Any, name: str = "dtype") -> np.dtype[Any]:
    """``numpy.float32`` or ``numpy.float64`` (anything ``numpy.dtype`` reads as one)."""
    try:
        dt: np.dtype[Any] = np.dtype(x)
    except TypeError:
        dt = np.dtype(np.object_)
    if dt not in _FLOAT_DTYPES:
        msg = f"{fn}: {name} must be float32 or float64, got {x!r}"
        raise TypeError(msg)
    return dt


def generator(fn: str, name: str, x: Any) -> np.random.Generator:
    """A ``numpy.random.Generator``, used as is (so advanced by its user)."""
    if not isinstance(x, np.random.Generator):
        msg = (
            f"{fn}: {name} must be a numpy.random.Generator "
            f"(numpy.random.default_rng(seed)), got {_type_name(x)}"
        )
        raise TypeError(msg)
    return x


def random_state(fn: str, x: Any, name: str = "random_state") -> np.random.Generator:
    """scikit-learn's ``random_state`` as one Generator.

    None, an int seed (or anything ``numpy.random.default_rng`` takes), a
    Generator (used as is, so advanced) or a legacy RandomState (seeds a new
    Generator from one draw).
    """
    if isinstance(x, np.random.RandomState):
        return np.random.default_rng(x.randint(np.iinfo(np.int32).max))
    try:
        return np.random.default_rng(x)
    except (TypeError, ValueError) as err:
        msg = (
            f"{fn}: {name} must be None, an int >= 0 or a numpy.random.Generator, "
            f"got {x!r}"
        )
        raise type(err)(msg) from err


def check_step(fn: str, step: Any) -> int:
    """Any integer (Python int, NumPy integer) but bool, like ``operator.index``."""
    try:
        if isinstance(step, bool):
            raise TypeError
        t = operator.index(step)
    except TypeError:
        msg = f"{fn}: step must be an int, got {_type_name(step)}"
        raise TypeError(msg) from None
    if t >= 2**63:
        msg = f"{fn}: step must be < 2**63, got {t}"
        raise ValueError(msg)
    if t < 1:
        msg = f"{fn}: step must be >= 1, got {t}"
        raise ValueError(msg)
    return t


NONFINITE_MODES = ("raise", "skip", "ignore")


def check_nonfinite(fn: str, mode: Any) -> str:
    return choice(fn, "nonfinite", mode, NONFINITE_MODES)


def check_nesterov(fn: str, nesterov: bool, momentum: float, dampening: float) -> None:
    if nesterov and (momentum <= 0 or dampening != 0):
        msg = f"{fn}: nesterov=True requires momentum > 0 and dampening == 0"
        raise ValueError(msg)
