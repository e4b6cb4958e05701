"""Every optimizer case of the table against torch.optim, 30 steps, float64 and float32.

Our classes take torch's parameter names, so ``case.cls_kwargs`` goes to both.
torch computes some running averages with ``lerp`` (m + (1 - beta) * (g - m))
where we follow the documented beta * m + (1 - beta) * g, so results agree to
rounding, not bit for bit. Skipped when torch is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS

from .._cases import CASES, Case

torch = pytest.importorskip("torch")
# the rows of rules torch.optim has; the others (Lion) meet their peer in
# tests/optim/test_optax_parity.py
TORCH_CASES = [c for c in CASES if BY_CLASS[c.cls].in_torch]

STEPS = 30
# (rtol, atol) per dtype: float64 agrees to rounding over 30 steps (measured
# 9e-15 relative); float32 differs in where torch rounds its per-step scalars
# (measured 6.3e-6 relative, 9.5e-7 absolute, both backends, every case).
TOLERANCES = {np.float64: (1e-13, 0.0), np.float32: (1e-5, 1e-6)}


def _torch_run(
    case: Case, params: list[np.ndarray], grads: list[list[np.ndarray]]
) -> list:
    # torch keeps per-param scalar state (NAdam's mu_product) in its default
    # dtype, float32 unless set; steepest's classes keep it in float64, so
    # float64 params compare with torch run at a float64 default
    # (steepest.torch, which keeps torch's float32 tensor, is compared with
    # torch as it is in tests/torch/).
    saved = torch.get_default_dtype()
    if params[0].dtype == np.float64:
        torch.set_default_dtype(torch.float64)
    try:
        tensors = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
        opt = getattr(torch.optim, case.cls)(tensors, foreach=False, **case.cls_kwargs)
        for gs in grads:
            for t, g in zip(tensors, gs, strict=True):
                t.grad = torch.from_numpy(g.copy())
            opt.step()
    finally:
        torch.set_default_dtype(saved)
    return [t.detach().numpy() for t in tensors]


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c.id for c in TORCH_CASES])
def test_matches_torch(
    case: Case, backend: str, dtype: type, rng: np.random.Generator
) -> None:
    params = [rng.standard_normal(s).astype(dtype) for s in [(7,), (3, 5), (1,)]]
    grads = [
        [rng.standard_normal(p.shape).astype(dtype) for p in params]
        for _ in range(STEPS)
    ]
    expected = _torch_run(case, params, grads)
    ours = [p.copy() for p in params]
    cls = getattr(steepest, case.cls)
    opt = cls(ours, backend=backend, **case.cls_kwargs)
    for gs in grads:
        opt.step(gs)
    rtol, atol = TOLERANCES[dtype]
    for a, b, p in zip(ours, expected, params, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        assert not np.allclose(a, p, rtol=0, atol=1e-3)  # they moved
