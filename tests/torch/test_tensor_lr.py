"""A Tensor learning rate, as torch allows: one element works, others are refused.

torch takes any one-element tensor as ``lr`` (and as Adam's betas); for any
other tensor steepest.torch raises its own ValueError/TypeError naming the
hyperparameter, never the RuntimeError of ``Tensor.item``, and leaves params,
state and param groups as they were.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import steepest.torch
from steepest._rules import RULES

CLASSES = [r.cls for r in RULES if r.in_torch]

# (tensor, exception, message after "lr ")
BAD = [
    (lambda: torch.tensor([0.1, 0.2]), ValueError, "a tensor of shape (2,)"),
    (lambda: torch.tensor([]), ValueError, "a tensor of shape (0,)"),
    (lambda: torch.full((2, 2), 0.1), ValueError, "a tensor of shape (2, 2)"),
    (lambda: torch.tensor(0.1 + 0j), TypeError, "a tensor of dtype torch.complex64"),
    (lambda: torch.tensor(True), TypeError, "a tensor of dtype torch.bool"),
    (lambda: torch.tensor(0.1, device="meta"), ValueError, "on device meta"),
]
BAD_IDS = ["two", "empty", "matrix", "complex", "bool", "meta"]


def _param(n: int = 3) -> torch.Tensor:
    return torch.nn.Parameter(torch.ones(n, dtype=torch.float64))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(("make", "error", "got"), BAD, ids=BAD_IDS)
def test_bad_tensor_lr_is_refused_naming_lr(
    cls: str, make: Any, error: type[Exception], got: str
) -> None:
    opt_cls = getattr(steepest.torch, cls)
    lr = re.escape(f"steepest.torch.{cls}: lr must be")
    with pytest.raises(error, match=rf"^{lr} .*{re.escape(got)}"):
        opt_cls([_param()], lr=make())
    opt = opt_cls([_param()])
    with pytest.raises(error, match=rf"^{lr} .*{re.escape(got)}"):
        opt.add_param_group({"params": [_param()], "lr": make()})
    assert len(opt.param_groups) == 1
    # set after construction (as a user or a scheduler may): refused at the step
    w = opt.param_groups[0]["params"][0]
    w.grad = torch.ones(3, dtype=torch.float64)
    opt.param_groups[0]["lr"] = make()
    step = re.escape(f"steepest.torch.{cls}.step: param group 0: ")
    with pytest.raises(error, match=rf"^{step}\w+_step: lr must be .*{re.escape(got)}"):
        opt.step()
    assert torch.equal(w.detach(), torch.ones(3, dtype=torch.float64))


def test_bad_tensor_in_betas_names_the_element() -> None:
    betas = (torch.tensor(0.9), torch.tensor([0.99, 0.999]))
    with pytest.raises(ValueError, match=r"Adam: betas\[1\] must be .*shape \(2,\)"):
        steepest.torch.Adam([_param()], betas=betas)


def _train(opt: Any, w: torch.Tensor, scheduler: bool) -> None:
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5) if scheduler else None
    for k in range(6):
        opt.zero_grad()
        w.grad = torch.sin(w.detach() * (k + 1)) + w.detach()
        opt.step()
        if sched is not None:
            sched.step()


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("shape", [(), (1,), (1, 1)], ids=["0d", "1", "1x1"])
@pytest.mark.parametrize("scheduler", [False, True], ids=["const", "steplr"])
def test_one_element_tensor_lr_works_as_in_torch(
    cls: str, shape: tuple[int, ...], scheduler: bool
) -> None:
    start = torch.linspace(-1.0, 2.0, 5, dtype=torch.float64)
    ws = [torch.nn.Parameter(start.clone()) for _ in range(2)]
    lrs = [torch.full(shape, 0.05, dtype=torch.float64) for _ in range(2)]
    ours = getattr(steepest.torch, cls)([ws[0]], lr=lrs[0])
    theirs = getattr(torch.optim, cls)([ws[1]], lr=lrs[1])
    _train(ours, ws[0], scheduler)
    _train(theirs, ws[1], scheduler)
    torch.testing.assert_close(ws[0], ws[1], rtol=1e-12, atol=1e-14)
    # the tensor stays the group's lr (a scheduler writes into it, as in torch)
    assert ours.param_groups[0]["lr"] is lrs[0]
    assert torch.equal(lrs[0], lrs[1])
    assert not torch.equal(ws[0].detach(), start)
