"""Every refusal of steepest.torch: a clear TypeError/ValueError naming the culprit.

Each error leaves the params (and the optimizer's groups) as they were.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import steepest.torch
from steepest._rules import RULES

# every class of steepest.torch: those of torch.optim (tests/test_rules.py
# checks that each is there) and those of rules torch lacks (Lion)
CLASSES = [r.cls for r in RULES if hasattr(steepest.torch, r.cls)]


def _param(*shape: int, **kwargs: Any) -> torch.Tensor:
    return torch.nn.Parameter(torch.ones(*shape, **kwargs))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize(
    ("dtype", "match"),
    [
        # float16 and bfloat16 are stepped (tests/torch/test_storage.py)
        (torch.float8_e5m2, "float8_e5m2 is not supported"),
        (torch.complex64, "complex tensors are not supported"),
        (torch.int32, "only float32, float64, float16 and bfloat16"),
    ],
    ids=["float8", "complex64", "int32"],
)
def test_dtype(cls: str, dtype: torch.dtype, match: str) -> None:
    t = torch.ones(3, dtype=dtype)  # a plain tensor: ints cannot require grad
    with pytest.raises(
        TypeError, match=rf"param_groups\[0\]\['params'\]\[0\].*{match}"
    ):
        getattr(steepest.torch, cls)([t])


def test_device() -> None:
    with pytest.raises(ValueError, match="on device meta; steepest updates CPU"):
        steepest.torch.Adam([_param(3, device="meta")])


def test_layout_and_sparse_grad() -> None:
    with pytest.raises(TypeError, match=r"sparse_coo.*dense"):
        steepest.torch.SGD([torch.ones(3).to_sparse()])
    emb = torch.nn.Embedding(5, 2, sparse=True)
    opt = steepest.torch.Adam(emb.parameters())
    emb(torch.tensor([1, 2])).sum().backward()
    before = emb.weight.detach().clone()
    with pytest.raises(TypeError, match=r"grad of .*is sparse"):
        opt.step()
    assert torch.equal(emb.weight.detach(), before)


def test_param_sharing_memory_with_itself() -> None:
    # strided params are stepped (tests/torch/test_layout.py); an expanded one
    # has elements that are one memory location, so no in-place update fits it
    p = torch.zeros(4, 1).expand(4, 6)
    with pytest.raises(
        ValueError, match=r"strides \(1, 0\)\) has elements sharing memory"
    ):
        steepest.torch.Adam([p])
    opt = steepest.torch.Adam([torch.zeros(3)])
    with pytest.raises(ValueError, match=r"\[1\]\['params'\]\[0\] .* sharing memory"):
        opt.add_param_group({"params": [torch.zeros(2, 1).expand(2, 2)]})
    assert len(opt.param_groups) == 1
    # added contiguous, then swapped for an expanded view: refused at the step
    w = torch.zeros(4, 6)
    opt = steepest.torch.Adam([w])
    w.data = torch.ones(4, 1).expand(4, 6)
    w.grad = torch.ones(4, 6)
    with pytest.raises(ValueError, match="sharing memory"):
        opt.step()
    assert torch.equal(w, torch.ones(4, 6))


def test_non_contiguous_grad_is_read_through_a_copy() -> None:
    p, q = _param(2, 3), _param(2, 3)
    p.grad = torch.arange(6.0).reshape(3, 2).t()
    q.grad = p.grad.contiguous()
    steepest.torch.SGD([p], lr=0.1).step()
    torch.optim.SGD([q], lr=0.1).step()
    assert torch.equal(p, q)


def test_overlapping_params_are_refused_when_added() -> None:
    base = torch.zeros(10)
    with pytest.raises(
        ValueError, match=r"\['params'\]\[1\] overlaps .*\['params'\]\[0\]"
    ):
        steepest.torch.Adam([base[:6], base[4:]])
    opt = steepest.torch.Adam([base[:6]])
    with pytest.raises(
        ValueError, match=r"param_groups\[1\]\['params'\]\[0\] overlaps"
    ):
        opt.add_param_group({"params": [base[5:]]})
    assert len(opt.param_groups) == 1  # not added
    steepest.torch.Adam([base[:5], base[5:]])  # disjoint views of one buffer: fine
    # views with gaps: their spans interleave (conservatively refused) or overlap
    grid = torch.zeros(4, 6)
    with pytest.raises(ValueError, match="overlaps"):
        steepest.torch.Adam([grid[:, :3], grid[:, 3:]])
    with pytest.raises(ValueError, match="overlaps"):  # grid[3, :3] twice
        steepest.torch.Adam([grid[:, :3], grid[3]])
    steepest.torch.Adam([grid[:2, :3], grid[2:]])  # apart: fine


def test_overlap_reaching_the_kernel() -> None:
    """The native check's message reaches the user, with the param's place."""
    a, b = _param(4), _param(4)
    opt = steepest.torch.Adam([a, b])
    b.data = a.data  # after the construction-time check
    a.grad, b.grad = torch.ones(4), torch.ones(4)
    with pytest.raises(
        ValueError,
        match=r"Adam.step: param group 0: adam_step: param\[1\] overlaps param\[0\]",
    ):
        opt.step()
    assert torch.equal(a.detach(), torch.ones(4))


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("flag", ["foreach", "fused", "capturable", "differentiable"])
def test_flags(cls: str, flag: str) -> None:
    make = getattr(steepest.torch, cls)
    accepted = make.__init__.__kwdefaults__ or {}
    names = set(make.__init__.__code__.co_varnames)
    if flag not in names:
        with pytest.raises(TypeError, match=flag):  # torch has no such argument
            make([_param(2)], **{flag: True})
        return
    default = accepted.get(flag, None if flag in ("foreach", "fused") else False)
    make([_param(2)], **{flag: default})
    if flag in ("foreach", "fused"):
        make([_param(2)], **{flag: False})
    with pytest.raises(ValueError, match=f"{flag}=True is not supported"):
        make([_param(2)], **{flag: True})


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        ("SGD", {"lr": -1.0}, "lr must be"),
        ("SGD", {"momentum": -0.5}, "momentum must be"),
        ("SGD", {"nesterov": True}, "nesterov=True requires momentum > 0"),
        ("SGD", {"momentum": 0.9, "dampening": 2.0}, "dampening must be in"),
        ("Adagrad", {"eps": 0.0}, "eps must be"),
        ("Adagrad", {"initial_accumulator_value": -1.0}, "initial_accumulator_value"),
        ("RMSprop", {"alpha": 1.5}, "alpha must be in"),
        ("Adam", {"betas": (1.0, 0.9)}, r"betas\[0\] must be in \[0, 1\)"),
        ("Adam", {"betas": (0.9,)}, "betas must be a pair"),
        ("AdamW", {"weight_decay": -0.1}, "weight_decay must be"),
        ("Adamax", {"betas": (0.9, 1.0)}, r"betas\[1\] must be in \[0, 1\)"),
    ],
)
def test_hyperparameters(cls: str, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        getattr(steepest.torch, cls)([_param(2)], **kwargs)
    opt = getattr(steepest.torch, cls)([_param(2)])
    with pytest.raises(ValueError, match=match):
        opt.add_param_group({"params": [_param(2)], **kwargs})
    assert len(opt.param_groups) == 1


def _out_of_range() -> list[tuple[str, str, Any, str]]:
    """(class, hyperparameter, -1 or a pair starting with it, message) wherever a
    number hyperparameter's check in the spec row refuses that value."""
    out = []
    for rule in RULES:
        if not hasattr(steepest.torch, rule.cls):
            continue
        for h in rule.hyper:
            if h.is_flag:
                continue
            bad = (-1.0, *h.default[1:]) if isinstance(h.default, tuple) else -1.0
            try:
                h.check(f"steepest.torch.{rule.cls}", h.name, bad)
            except ValueError as e:
                out.append((rule.cls, h.name, bad, str(e)))
    return out


OUT_OF_RANGE = _out_of_range()


@pytest.mark.parametrize(
    ("cls", "name", "bad", "message"),
    OUT_OF_RANGE,
    ids=[f"{cls}-{name}" for cls, name, _, _ in OUT_OF_RANGE],
)
def test_hyperparameter_out_of_its_rows_range(
    cls: str, name: str, bad: Any, message: str
) -> None:
    """The class refuses what its spec row's check refuses, with that message."""
    assert message.startswith(f"steepest.torch.{cls}: {name}")
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(steepest.torch, cls)([_param(2)], **{name: bad})
    opt = getattr(steepest.torch, cls)([_param(2)])
    with pytest.raises(ValueError, match=re.escape(message)):
        opt.add_param_group({"params": [_param(2)], name: bad})
    assert len(opt.param_groups) == 1


def test_hyperparameter_edited_after_construction() -> None:
    w = _param(3)
    opt = steepest.torch.Adam([w])
    opt.param_groups[0]["lr"] = -1.0
    w.grad = torch.ones(3)
    with pytest.raises(ValueError, match=r"Adam\.step: param group 0: adam_step: lr"):
        opt.step()
    assert torch.equal(w.detach(), torch.ones(3))
    opt.param_groups[0]["lr"] = torch.tensor(0.1)  # a tensor lr, as torch allows
    opt.step()
    torch.testing.assert_close(w.detach(), torch.full((3,), 0.9))


def test_flag_from_a_torch_state_dict_is_reset() -> None:
    w = _param(3)
    ref = torch.optim.Adam([w], foreach=True)
    w.grad = torch.ones(3)
    ref.step()
    opt = steepest.torch.Adam([w])
    opt.load_state_dict(ref.state_dict())
    assert opt.param_groups[0]["foreach"] is None
    opt.step()


def test_loaded_state_of_the_wrong_shape() -> None:
    w = _param(3)
    opt = steepest.torch.Adam([w])
    w.grad = torch.ones(3)
    opt.step()
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = torch.zeros(4)
    with pytest.raises(ValueError, match="loaded state 'exp_avg' has shape"):
        steepest.torch.Adam([w]).load_state_dict(state)


@pytest.mark.parametrize("cls", CLASSES)
def test_accepted_flags_are_the_rows(cls: str) -> None:
    """The flags a class checks (its spec row's) are the flags its signature takes."""
    make = getattr(steepest.torch, cls)
    names = set(make.__init__.__code__.co_varnames)
    flags = {"foreach", "fused", "capturable", "differentiable"} & names
    assert flags == set(make._rule.torch_flags)
    assert make._rule.cls == cls
