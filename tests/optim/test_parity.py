"""Native kernels equal the NumPy reference bit for bit: params and state.

Every case of the table x dtype x shape (including a list of arrays of mixed
sizes and dtypes and one of 1e6 elements) x thread count x ISA path runs 20+
steps of the same random gradients through both backends.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import steepest
from steepest.reference import functional as ref

from .._cases import CASE_IDS, CASES, Case, call_step, new_state

STEPS = 21


def _states(case: Case, params: list[np.ndarray], rng: np.random.Generator) -> dict:
    # Random starts exercise the state paths harder than zeros do; second
    # moments lie in [0.1, 0.2) and grad_avg in [-0.05, 0.05) so that the
    # centered variance v - ga^2 starts positive.
    def start(name: str, p: np.ndarray) -> np.ndarray:
        if name == "grad_avg" or name == "momentum_buffer" or name == "m":
            return (rng.random(p.shape) * 0.1 - 0.05).astype(p.dtype)
        return (rng.random(p.shape) * 0.1 + 0.1).astype(p.dtype)

    return {
        name: [new_state(name, p, functools.partial(start, name)) for p in params]
        for name in case.states
        if name
    }


def _copy(states: dict) -> dict:
    return {k: [a.copy() for a in arrays] for k, arrays in states.items()}


def run_both(
    case: Case, params: list[np.ndarray], rng: np.random.Generator, steps: int
) -> None:
    native_p = [p.copy() for p in params]
    ref_p = [p.copy() for p in params]
    native_s = _states(case, params, rng)
    ref_s = _copy(native_s)
    for t in range(1, steps + 1):
        grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        assert call_step(steepest.functional, case, native_p, grads, native_s, t)
        assert call_step(ref, case, ref_p, grads, ref_s, t)
    for a, b in zip(native_p, ref_p, strict=True):
        np.testing.assert_array_equal(a, b)
    for name in native_s:
        for a, b in zip(native_s[name], ref_s[name], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
    # the run must have moved the params, or equality proves nothing
    for a, p in zip(native_p, params, strict=True):
        assert a.size == 0 or not np.array_equal(a, p)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_shapes(
    case: Case, dtype: type, shape: tuple, rng: np.random.Generator
) -> None:
    params = [rng.standard_normal(shape).astype(dtype)]
    run_both(case, params, rng, STEPS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_threads_and_isa(
    case: Case, isa: str, n_threads: int, rng: np.random.Generator
) -> None:
    # Above the parallel grain, with a mixed list so threads span arrays.
    sizes = [70_001, 1, 33, 40_000]
    dtypes = [np.float32, np.float64, np.float32, np.float64]
    params = [
        rng.standard_normal(n).astype(d) for n, d in zip(sizes, dtypes, strict=True)
    ]
    run_both(case, params, rng, STEPS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_million(case: Case, dtype: type, rng: np.random.Generator) -> None:
    params = [rng.standard_normal(1_000_003).astype(dtype)]
    run_both(case, params, rng, 3)


def test_many_small_arrays(rng: np.random.Generator) -> None:
    case = next(c for c in CASES if c.id == "adam")
    params = [
        rng.standard_normal(int(n)).astype(np.float32)
        for n in rng.integers(1, 3000, 100)
    ]
    run_both(case, params, rng, STEPS)
