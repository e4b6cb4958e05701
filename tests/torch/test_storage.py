"""steepest.torch with float16 / bfloat16 params: float32 state, rounded params.

The oracle is torch.optim on a float32 master copy made from the 16-bit param
before each step and rounded back after it (torch's state kept in float32):
the same computation, which steepest fuses. torch.optim's float32 arithmetic
differs from the kernels' by rounding, so a 16-bit result may land one ulp
apart where the float32 one sits next to a rounding boundary; anything more
is a failure.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._train import CASE_IDS, CASES, Case, optimizer

torch = pytest.importorskip("torch")
pytest.importorskip("ml_dtypes")
import steepest.torch

HALVES = {"float16": torch.float16, "bfloat16": torch.bfloat16}
STEPS = 5


@pytest.fixture(params=list(HALVES))
def half(request: pytest.FixtureRequest) -> Any:
    return HALVES[request.param]


def _ulps(a: torch.Tensor, b: torch.Tensor) -> int:
    """The largest distance between a and b in units in the last place."""
    ia, ib = a.view(torch.int16).int(), b.view(torch.int16).int()
    # sign-magnitude bits to a monotonic integer line
    ia = torch.where(ia < 0, -32768 - ia, ia)
    ib = torch.where(ib < 0, -32768 - ib, ib)
    return int((ia - ib).abs().max())


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_torch_on_rounded_master_copy(case: Case, half: Any) -> None:
    gen = torch.Generator().manual_seed(11)
    w = torch.randn(4000, generator=gen).to(half)
    grads = [torch.randn(4000, generator=gen).to(half) for _ in range(STEPS)]
    ours = w.clone().requires_grad_()
    opt = optimizer(steepest.torch, case, [ours])
    master = w.float().requires_grad_()
    ref = optimizer(torch.optim, case, [master])
    mismatched = 0.0
    for g in grads:
        # lockstep: torch's step starts from our params, so one step's
        # rounding-boundary case does not carry into the next comparison
        with torch.no_grad():
            master.copy_(ours.detach().float())
        ours.grad = g.clone()
        opt.step()
        master.grad = g.float()
        ref.step()
        theirs = master.detach().to(half)
        assert _ulps(ours.detach(), theirs) <= 1
        same = ours.detach().view(torch.int16) == theirs.view(torch.int16)
        mismatched = max(mismatched, 1.0 - float(same.float().mean()))
    assert mismatched < 0.01
    assert not torch.equal(ours.detach(), w)
    for key, value in opt.state[ours].items():
        if key == "step" or value.dim() == 0:
            continue
        assert value.dtype == torch.float32, key
        torch.testing.assert_close(value, ref.state[master][key], rtol=1e-3, atol=1e-6)


def test_mixed_group_and_channels_last(half: Any) -> None:
    gen = torch.Generator().manual_seed(5)
    conv = torch.randn(8, 3, 3, 3, generator=gen).to(half)
    conv = conv.to(memory_format=torch.channels_last).requires_grad_()
    flat = torch.randn(300, generator=gen).to(half).requires_grad_()
    full = torch.randn(7, generator=gen).requires_grad_()
    params = [conv, flat, full]
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen).to(p.dtype)
    conv.grad = conv.grad.to(memory_format=torch.channels_last)
    before = [p.detach().clone() for p in params]
    opt = steepest.torch.AdamW(params, lr=0.01)
    opt.step()
    for p, b in zip(params, before, strict=True):
        assert p.dtype == b.dtype
        assert not torch.equal(p.detach(), b)
        assert opt.state[p]["exp_avg"].dtype == torch.float32
    assert opt.state[conv]["exp_avg"].is_contiguous(memory_format=torch.channels_last)
    # the same arithmetic as a contiguous copy of the conv weight
    twin = before[0].contiguous().requires_grad_()
    twin.grad = conv.grad.contiguous()
    steepest.torch.AdamW([twin], lr=0.01).step()
    assert torch.equal(twin.detach(), conv.detach())


def test_state_dict_round_trips(half: Any) -> None:
    gen = torch.Generator().manual_seed(3)
    p = torch.randn(50, generator=gen).to(half).requires_grad_()
    p.grad = torch.randn(50, generator=gen).to(half)
    opt = steepest.torch.NAdam([p], lr=0.01)
    opt.step()
    saved = opt.state_dict()
    # our own dict: float32 state stays float32 and exact (torch would cast it)
    again = steepest.torch.NAdam([p], lr=0.01)
    again.load_state_dict(saved)
    for key in ("exp_avg", "exp_avg_sq", "mu_product"):
        assert again.state[p][key].dtype == saved["state"][0][key].dtype, key
        assert torch.equal(again.state[p][key], saved["state"][0][key]), key
    # torch.optim's dict (16-bit state): widened to float32, and the step runs
    theirs = torch.optim.NAdam([p], lr=0.01)
    theirs.load_state_dict(saved)
    assert theirs.state[p]["exp_avg"].dtype == half
    again.load_state_dict(theirs.state_dict())
    assert again.state[p]["exp_avg"].dtype == torch.float32
    assert again.state[p]["mu_product"].dtype in (torch.float32, torch.float64)
    again.step()


def test_wrong_state_dtype_rejected(half: Any) -> None:
    p = torch.zeros(5, dtype=half, requires_grad=True)
    p.grad = torch.zeros(5, dtype=half)
    opt = steepest.torch.Adam([p], lr=0.01)
    opt.step()
    opt.state[p]["exp_avg"] = opt.state[p]["exp_avg"].to(half)
    with pytest.raises(
        TypeError, match=r"m\[0\] has dtype .*; expected float32, the state of param"
    ):
        opt.step()


def test_other_low_precision_refused() -> None:
    p = torch.zeros(3, dtype=torch.float8_e4m3fn)
    with pytest.raises(TypeError, match="only float32, float64, float16 and bfloat16"):
        steepest.torch.Adam([p])
