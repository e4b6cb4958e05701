"""pytest-benchmark cases: one step of every optimizer, native vs reference vs torch.

Run with ``python -m pytest bench --benchmark-only`` (see bench/conftest.py).
Each benchmark group is one optimizer at one size, float32, all contenders
stepping through the public classes with ``nonfinite="ignore"`` (``native
raise`` keeps the default finiteness check). Before timing, every case checks
that one step from identical inputs gives the reference's params: bit for bit
for the native kernels, which are element-wise and follow the reference's
operation order; to float32 rounding for torch, whose order differs.
``python -m steepest bench`` prints the full table with the roofline.

torch here runs in steepest's process and so shares its libgomp and the
``OMP_WAIT_POLICY=passive`` that ``import steepest`` sets: every torch parallel
region pays the passive wake-up (50-250 µs on a 2-core VM), so torch's figures
at small sizes are pessimistic. ``python -m steepest bench`` measures torch in
a process of its own (see ``steepest/_cli/bench/torch_worker.py``) for fair ratios.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from steepest._cli.bench.measure import (
    CONTENDERS,
    REFERENCE,
    RULES,
    Rule,
    Size,
    make_stepper,
)
from steepest._cli.bench.torch_worker import TORCH_ATOL, TORCH_RTOL

# Modest sizes keep the whole file within a few minutes: per-call cost (1e4),
# bandwidth (1e6) and a list of arrays (20 x 1e4).
SIZES = [Size(1, 10**4), Size(1, 10**6), Size(20, 10**4)]


@pytest.mark.parametrize("contender", CONTENDERS, ids=lambda c: c.replace(" ", "-"))
@pytest.mark.parametrize("size", SIZES, ids=lambda s: s.label)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.key)
def test_step(
    benchmark: Any, rule: Rule, size: Size, contender: str, torch: Any
) -> None:
    # torch shares steepest's passive libgomp policy here: see the docstring
    is_torch = contender.startswith("torch")
    if is_torch and torch is None:
        pytest.skip("torch is not installed")
    rng = np.random.default_rng(0)
    params, grads = (
        [rng.standard_normal(size.n, dtype=np.float32) for _ in range(size.count)]
        for _ in range(2)
    )
    stepper = make_stepper(rule, contender, params, grads, torch)
    if stepper is None:
        pytest.skip(f"torch.optim.{rule.cls} has no {contender!r} variant on CPU")
    reference = make_stepper(rule, REFERENCE, params, grads)
    assert reference is not None
    reference.step()
    stepper.step()
    for got, want in zip(stepper.params, reference.params, strict=True):
        if is_torch:
            np.testing.assert_allclose(got, want, rtol=TORCH_RTOL, atol=TORCH_ATOL)
        else:
            np.testing.assert_array_equal(got, want)
    benchmark.group = f"{rule.label} {size.label}"
    benchmark(stepper.step)
