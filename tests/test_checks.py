"""The checking vocabulary: one message shape, TypeError for a wrong kind, ValueError for a wrong value.

Twin: ``python/steepest/_checks.py`` (its array checks are tested, against the
C++ bindings too, in ``tests/test_validation.py``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from steepest import _checks as v

# (check with fn="f" and name="x" bound where it takes them, bad input, exception, message)
BAD: list[tuple[Callable[[Any], Any], Any, type[Exception], str]] = [
    (functools.partial(v.real, "f", "x"), "1", TypeError, "f: x must be a real number, got str"),
    (functools.partial(v.real, "f", "x"), True, TypeError, "f: x must be a real number, got bool"),
    (functools.partial(v.flag, "f", "x"), 1, TypeError, "f: x must be a bool, got int"),
    (functools.partial(v.check_nonnegative, "f", "x"), -1, ValueError,
     "f: x must be a finite number >= 0, got -1.0"),
    (functools.partial(v.check_nonnegative, "f", "x"), None, TypeError,
     "f: x must be a real number, got NoneType"),
    (functools.partial(v.check_positive, "f", "x"), 0.0, ValueError,
     "f: x must be a finite number > 0, got 0.0"),
    (functools.partial(v.check_positive, "f", "x"), math.inf, ValueError,
     "f: x must be a finite number > 0, got inf"),
    (functools.partial(v.check_between, "f", "x", lo=0, hi=1, hi_open=True), 1.0, ValueError,
     r"f: x must be in [0, 1), got 1.0"),
    (functools.partial(v.check_between, "f", "x", lo=0, hi=1, lo_open=True, hi_open=False),
     0, ValueError, "f: x must be in (0, 1], got 0.0"),
    (functools.partial(v.check_between, "f", "x", lo=0, hi=1, hi_open=True), math.nan,
     ValueError, "f: x must be in [0, 1), got nan"),
    (functools.partial(v.integer, "f", "x", lo=1), 0, ValueError, "f: x must be an int >= 1, got 0"),
    (functools.partial(v.integer, "f", "x", lo=1), 2.0, TypeError,
     "f: x must be an int >= 1, got 2.0"),
    (functools.partial(v.integer, "f", "x", lo=1), True, TypeError,
     "f: x must be an int >= 1, got True"),
    (functools.partial(v.integer, "f", "x", lo=0, limit=2**53), 2**53, ValueError,
     "f: x must be < 2**53, got 9007199254740992"),
    (functools.partial(v.count, "f", "x"), -1, ValueError, "f: x must be an int >= 0, got -1"),
    (functools.partial(v.choice, "f", "x", options=("a", "b", "c")), "d", ValueError,
     "f: x must be 'a', 'b' or 'c', got 'd'"),
    (functools.partial(v.choice, "f", "x", options=("a",)), None, ValueError,
     "f: x must be 'a', got None"),
    (functools.partial(v.dtype, "f"), np.int32, TypeError,
     "f: dtype must be float32 or float64, got <class 'numpy.int32'>"),
    (functools.partial(v.dtype, "f"), "float16", TypeError,
     "f: dtype must be float32 or float64, got 'float16'"),
    (functools.partial(v.generator, "f", "rng"), 0, TypeError,
     r"f: rng must be a numpy.random.Generator (numpy.random.default_rng(seed)), got int"),
    (functools.partial(v.random_state, "f"), "seed", TypeError,
     "f: random_state must be None, an int >= 0 or a numpy.random.Generator, got 'seed'"),
    (functools.partial(v.random_state, "f"), -1, ValueError,
     "f: random_state must be None, an int >= 0 or a numpy.random.Generator, got -1"),
    (functools.partial(v.check_nonfinite, "f"), "warn", ValueError,
     "f: nonfinite must be 'raise', 'skip' or 'ignore', got 'warn'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "bad", "error", "message"),
    BAD,
    ids=[f"{c[0].func.__name__}-{c[1]!r}" for c in BAD],  # type: ignore[attr-defined]
)
def test_bad_input_raises_the_rule_s_type_and_message(
    check: Callable[[Any], Any], bad: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        check(bad)
    assert type(info.value) is error
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("check", "good", "want"),
    [
        (functools.partial(v.real, "f", "x"), np.float32(0.5), 0.5),
        (functools.partial(v.flag, "f", "x"), np.bool_(True), True),
        (functools.partial(v.check_nonnegative, "f", "x"), 0, 0.0),
        (
            functools.partial(v.check_between, "f", "x", lo=0, hi=1, hi_open=True),
            0,
            0.0,
        ),
        (functools.partial(v.integer, "f", "x", lo=1), np.int64(3), 3),
        (functools.partial(v.choice, "f", "x", options=("a", "b")), "b", "b"),
        (functools.partial(v.dtype, "f"), "float32", np.dtype(np.float32)),
    ],
    ids=["real", "flag", "nonnegative", "between", "integer", "choice", "dtype"],
)
def test_good_input_comes_back_normalised(
    check: Callable[[Any], Any], good: Any, want: Any
) -> None:
    out = check(good)
    assert out == want
    assert type(out) is type(want)


def test_random_state_kinds() -> None:
    gen = np.random.default_rng(0)
    assert v.random_state("f", gen) is gen  # used as is, so advanced by its user
    a = v.random_state("f", 7).random()
    assert a == np.random.default_rng(7).random()
    legacy = np.random.RandomState(0)
    assert isinstance(v.random_state("f", legacy), np.random.Generator)
    assert isinstance(v.random_state("f", None), np.random.Generator)
