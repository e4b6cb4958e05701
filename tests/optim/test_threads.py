"""The threaded paths: a non-finite gradient seen by any thread stops every
thread's update (the check and the update share one parallel region)."""

from __future__ import annotations

import numpy as np
import pytest
from steepest import functional


@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("mode", ["raise", "skip"])
def test_nonfinite_in_any_thread_range_writes_nothing(
    n_threads: int, where: str, mode: str, rng: np.random.Generator
) -> None:
    params = [rng.standard_normal(n).astype(np.float32) for n in (150_000, 3, 90_001)]
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    if where == "first":
        grads[0][0] = np.nan
    else:
        grads[-1][-1] = np.inf
    before = [a.copy() for a in params + ms + vs]
    if mode == "raise":
        label = r"grad\[0\]" if where == "first" else r"grad\[2\]"
        with pytest.raises(
            ValueError, match=rf"^adam_step: {label} contains NaN or inf"
        ):
            functional.adam_step(params, grads, ms, vs, step=1, nonfinite=mode)
    else:
        assert (
            functional.adam_step(params, grads, ms, vs, step=1, nonfinite=mode) is False
        )
    for a, b in zip(params + ms + vs, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_finite_gradients_update_every_array(
    n_threads: int, rng: np.random.Generator
) -> None:
    params = [rng.standard_normal(n) for n in (150_000, 3, 90_001)]
    grads = [rng.standard_normal(p.shape) for p in params]
    before = [p.copy() for p in params]
    assert functional.sgd_step(params, grads, step=1, lr=0.5, nonfinite="raise")
    for p, b, g in zip(params, before, grads, strict=True):
        np.testing.assert_array_equal(p, b - 0.5 * g)
