"""Params that are not contiguous, as torch.optim takes them.

A dense layout other than C order (``channels_last`` conv weights, a
transposed matrix) is stepped in place with its grad and state in its own
layout; a view with gaps (a slice) is stepped through a contiguous copy,
written back once the step is applied. Both give torch.optim's result, and
neither writes outside the param or half a step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import steepest.torch
from steepest._rules import RULES
from steepest.torch import _layout

CLASSES = [r.cls for r in RULES if r.in_torch]
F64 = torch.float64


def _kwargs(cls: str) -> dict[str, Any]:
    """Every optional state slot of the class switched on, a small lr."""
    rule = getattr(steepest.torch, cls)._rule
    on = {
        s.when: True if isinstance(rule.defaults()[s.when], bool) else 0.5
        for s in rule.state
        if s.when
    }
    return {"lr": 0.01, **on}


def test_layout_helpers() -> None:
    grid = torch.zeros(4, 6)
    conv = torch.zeros(8, 3, 5, 5).contiguous(memory_format=torch.channels_last)
    assert _layout.is_dense(grid.t())
    assert _layout.is_dense(conv)
    assert not _layout.is_dense(grid[:, :3])
    assert _layout.is_dense(grid[2:3])  # one row: size-1 strides do not count
    assert not _layout.is_dense(grid[:, :1])  # one column: gaps between rows
    assert not _layout.overlaps_itself(grid[:, ::2].t())
    assert _layout.overlaps_itself(torch.zeros(4, 1).expand(4, 3))
    assert _layout.span_bytes(grid[:, :3]) == (3 * 6 + 3) * 4
    assert _layout.same_layout(conv, torch.empty_like(conv))
    assert not _layout.same_layout(conv, conv.contiguous())


def _conv_run(
    make: Callable[..., Any], cls: str, steps: int
) -> tuple[torch.nn.Module, Any]:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Tanh(), torch.nn.Conv2d(4, 2, 3)
    ).to(dtype=F64, memory_format=torch.channels_last)
    x = torch.randn(5, 3, 7, 7, dtype=F64).contiguous(memory_format=torch.channels_last)
    opt = make(net.parameters(), **_kwargs(cls))
    for _ in range(steps):
        opt.zero_grad()
        net(x).square().mean().backward()
        opt.step()
    return net, opt


@pytest.mark.parametrize("cls", CLASSES)
def test_channels_last_conv_matches_torch_in_place(cls: str) -> None:
    ours, opt = _conv_run(getattr(steepest.torch, cls), cls, 1)
    weight = ours[0].weight
    assert not weight.is_contiguous()
    assert _layout.is_dense(weight)
    where = weight.data_ptr()
    states = {k: t.data_ptr() for k, t in opt.state[weight].items() if t.dim()}
    for t in opt.state[weight].values():
        assert t.dim() == 0 or t.stride() == weight.stride()  # torch's layout
    x = torch.randn(5, 3, 7, 7, dtype=F64).contiguous(memory_format=torch.channels_last)
    for _ in range(9):
        opt.zero_grad()
        ours(x).square().mean().backward()
        opt.step()
    # in place: the same memory, no copy swapped in
    assert weight.data_ptr() == where
    assert weight.stride() == (27, 1, 9, 3)
    assert {k: t.data_ptr() for k, t in opt.state[weight].items() if t.dim()} == states
    # against torch over ten steps from the same start (own run, same inputs)
    ours, opt = _conv_run(getattr(steepest.torch, cls), cls, 10)
    theirs, ref = _conv_run(getattr(torch.optim, cls), cls, 10)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)
    # state dicts interchange with the layouts as they are
    ref2 = getattr(torch.optim, cls)(theirs.parameters(), **_kwargs(cls))
    ref2.load_state_dict(copy.deepcopy(opt.state_dict()))
    opt.load_state_dict(copy.deepcopy(ref.state_dict()))
    for p in ours.parameters():
        for t in opt.state[p].values():
            assert t.dim() == 0 or _layout.same_layout(t, p)
    # and each goes on from the other's state to the same params
    x = torch.randn(5, 3, 7, 7, dtype=F64).contiguous(memory_format=torch.channels_last)
    for net, o in ((ours, opt), (theirs, ref2)):
        o.zero_grad()
        net(x).square().mean().backward()
        o.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def _views() -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    return {
        "transposed": lambda base: base.t(),  # dense: in place
        "sliced": lambda base: base[1:5, 2:7],  # gaps: gathered
        "sliced-transposed": lambda base: base[1:5, 2:7].t(),
        "strided": lambda base: base[::2, ::3],
    }


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("view", list(_views()))
def test_strided_view_matches_torch(cls: str, view: str) -> None:
    torch.manual_seed(1)
    start = torch.randn(6, 10, dtype=F64)
    results = []
    for make in (getattr(steepest.torch, cls), getattr(torch.optim, cls)):
        base = start.clone()
        w = _views()[view](base)
        other = torch.nn.Parameter(torch.linspace(-1, 1, 4, dtype=F64))
        opt = make([w, other], **_kwargs(cls))  # one group, mixed layouts
        for k in range(12):
            w.grad = torch.cos(w * (k + 1)) + w
            other.grad = other * (k + 1)
            opt.step()
        results.append((base, other.detach()))
    (ours, ours_other), (theirs, theirs_other) = results
    # the whole buffer: the view's elements stepped, the rest untouched
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(ours_other, theirs_other, rtol=1e-12, atol=1e-14)
    outside = torch.ones_like(start, dtype=torch.bool)
    _views()[view](outside).fill_(False)
    assert torch.equal(ours[outside], start[outside])
    assert not torch.equal(ours, start)


@pytest.mark.parametrize("view", ["transposed", "sliced"])
def test_nothing_written_when_the_step_is_not_applied(view: str) -> None:
    base = torch.randn(6, 10, dtype=F64)
    w = _views()[view](base)
    for nonfinite in ("skip", "raise"):
        opt = steepest.torch.Adam([w], lr=0.1, nonfinite=nonfinite)
        w.grad = torch.ones_like(w)
        opt.step()
        before = copy.deepcopy((base.clone(), opt.state_dict()))
        w.grad = torch.ones_like(w)
        w.grad[0, 0] = float("nan")
        if nonfinite == "raise":
            with pytest.raises(ValueError, match="contains NaN or inf"):
                opt.step()
        else:
            opt.step()
        assert torch.equal(base, before[0])
        after = opt.state_dict()["state"][0]
        for key, t in before[1]["state"][0].items():
            assert torch.equal(after[key], t), key


def test_loaded_state_takes_the_params_layout() -> None:
    # a state saved for a contiguous param loads onto a channels_last one
    w = torch.nn.Parameter(torch.randn(4, 3, 2, 2, dtype=F64))
    ref = torch.optim.Adam([w], lr=0.1)
    w.grad = torch.randn_like(w)
    ref.step()
    v = torch.nn.Parameter(w.detach().contiguous(memory_format=torch.channels_last))
    opt = steepest.torch.Adam([v], lr=0.1)
    # a copy: a loaded state dict shares its tensors (``step`` too, as in torch)
    opt.load_state_dict(copy.deepcopy(ref.state_dict()))
    assert opt.state[v]["exp_avg"].stride() == v.stride()
    w.grad = torch.randn_like(w)
    v.grad = w.grad.contiguous(memory_format=torch.channels_last)
    ref.step()
    opt.step()
    torch.testing.assert_close(v, w, rtol=1e-12, atol=1e-14)


def test_grad_in_another_layout_is_copied_to_the_params() -> None:
    w = torch.randn(3, 5, dtype=F64).t()  # dense, transposed
    q = w.detach().clone()  # the same values, contiguous
    opt = steepest.torch.SGD([w], lr=0.1, momentum=0.9)
    ref = torch.optim.SGD([q], lr=0.1, momentum=0.9)
    for k in range(3):
        g = torch.randn(5, 3, dtype=F64) * k  # contiguous, w is not
        w.grad, q.grad = g, g.clone()
        opt.step()
        ref.step()
    torch.testing.assert_close(w, q, rtol=1e-12, atol=1e-14)
    assert opt.state[w]["momentum_buffer"].stride() == w.stride()
