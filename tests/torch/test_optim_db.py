"""steepest.torch against torch.optim over torch's own optimizer configurations.

For every spec row whose class torch.optim has, every configuration that
torch's ``torch.testing._internal.common_optimizers.optim_db`` generates for
that class on the CPU in float64 runs 30 steps on float64 params, without a
learning-rate scheduler and with each scheduler set torch's entry lists:
steepest.torch and torch.optim end at the same params (1e-12 relative) and
state, and their state dicts load into each other's optimizer and go on
alike; the NumPy classes of both backends (``steepest.Adam``, ...) take the
same steps at the learning rate torch's scheduled group holds. The rows come from the spec table, so a rule added later is run over
torch's configurations for it without an edit here.

What steepest does not do is listed in ``UNSUPPORTED`` with the reason, and
each such configuration torch's entry declares is tested to raise a clear
error instead of being skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # torch's testing package imports it
import steepest
import steepest.reference
import steepest.torch
from steepest._rules import RULES, Rule
from torch.optim.lr_scheduler import ReduceLROnPlateau

# torch's testing package loads a hypothesis profile of its own when imported
# (10 examples a test outside torch's CI): put back the suite's default
_SUITE_SETTINGS = hypothesis.settings.default
from torch.testing._internal.common_optimizers import OptimizerInfo, optim_db

hypothesis.settings.register_profile("steepest-suite", parent=_SUITE_SETTINGS)
hypothesis.settings.load_profile("steepest-suite")

F64 = torch.float64
STEPS = 30
MORE_STEPS = 3  # after a state dict changed hands
RTOL = 1e-12
ATOL = 1e-14  # params are of order 1
STATE_RTOL = 1e-11  # moments divided by small roots (as tests/torch/_train.py)

# What torch's entries declare and steepest.torch refuses (with the error it
# raises): the reason, then how to provoke it and what the message says.
UNSUPPORTED = {
    "foreach": "torch's multi-tensor code path; steepest always updates a whole "
    "param group in one native call (foreach=None/False accepted)",
    "fused": "torch's fused kernel; steepest's kernels are already fused "
    "(fused=None/False accepted)",
    "differentiable": "autograd through the step; a native step cannot be "
    "differentiated through",
    "capturable": "CUDA graph capture; steepest updates CPU tensors only "
    "(optim_db generates it on CUDA only)",
    "complex": "complex params; the kernels are real float32/float64",
    "sparse": "sparse gradients; the kernels take dense arrays",
}

TORCH_ROWS = [r for r in RULES if r.in_torch]
INFOS: dict[str, OptimizerInfo] = {info.optim_cls.__name__: info for info in optim_db}


def _configurations() -> list[Any]:
    out = []
    for rule in TORCH_ROWS:
        info = INFOS.get(rule.cls)
        if info is None:
            continue  # test_every_torch_row_has_an_entry fails for it
        for oi in info.optim_inputs_func(device="cpu", dtype=F64):
            for s in (None, *range(len(info.scheduler_inputs))):
                sched = "no-scheduler" if s is None else f"scheduler{s}"
                out.append(
                    pytest.param(rule, info, oi, s, id=f"{rule.cls}-{oi.desc}-{sched}")
                )
    return out


CONFIGURATIONS = _configurations()


def test_every_torch_row_has_an_entry() -> None:
    missing = [r.cls for r in TORCH_ROWS if r.cls not in INFOS]
    assert not missing, f"torch's optim_db has no entry for {missing}"
    assert {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "Adadelta"} <= {
        r.cls for r in TORCH_ROWS
    }
    assert len(CONFIGURATIONS) >= 100


# -- the problem: a small nonlinear least squares, float64 -----------------------
X = torch.linspace(-1.0, 1.0, 5, dtype=F64)
Y = torch.linspace(0.5, -0.5, 10, dtype=F64)


def _start() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(10, 5, generator=g, dtype=F64),
        torch.randn(10, generator=g, dtype=F64),
    ]


class Run:
    """One optimizer on its own copy of the params, with its schedulers."""

    def __init__(
        self,
        cls: type,
        kwargs: dict[str, Any],
        start: list[torch.Tensor],
        schedulers: list[Callable[[Any], Any]] | None = None,
    ) -> None:
        self.params = [torch.nn.Parameter(t.detach().clone()) for t in start]
        # a copy: a Tensor lr belongs to its optimizer (schedulers write into it)
        self.opt = cls(self.params, **copy.deepcopy(kwargs))
        self.schedulers = [make(self.opt) for make in schedulers or ()]

    def step(self, *, schedule: bool = True) -> None:
        self.opt.zero_grad()
        loss = _loss(*self.params)
        loss.backward()
        self.opt.step()
        for s in self.schedulers if schedule else ():
            if isinstance(s, ReduceLROnPlateau):
                s.step(loss.item())
            else:
                s.step()


def _close_params(a: Run, b: Run) -> None:
    for p, q in zip(a.params, b.params, strict=True):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=RTOL, atol=ATOL)


def _close_state(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert ours.keys() == theirs.keys()
    for i, st in theirs["state"].items():
        mine = ours["state"][i]
        assert mine.keys() == st.keys()
        for key, t in st.items():
            rtol, atol = (0.0, 0.0) if key == "step" else (STATE_RTOL, ATOL)
            torch.testing.assert_close(
                torch.as_tensor(mine[key]).to(F64),
                torch.as_tensor(t).to(F64),
                rtol=rtol,
                atol=atol,
            )
    for g, h in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert g.keys() == h.keys()


@pytest.mark.parametrize(("rule", "info", "oi", "sched"), CONFIGURATIONS)
def test_configuration_matches_torch(
    rule: Rule, info: OptimizerInfo, oi: Any, sched: int | None
) -> None:
    assert oi.params is None, f"{oi.desc}: explicit params are not handled here"
    schedulers = [] if sched is None else list(info.scheduler_inputs[sched])
    ours_cls = getattr(steepest.torch, rule.cls)
    theirs_cls = info.optim_cls
    start = _start()
    ours = Run(ours_cls, oi.kwargs, start, schedulers)
    theirs = Run(theirs_cls, oi.kwargs, start, schedulers)
    for _ in range(STEPS):
        ours.step()
        theirs.step()
    _close_params(ours, theirs)
    _close_state(ours.opt.state_dict(), theirs.opt.state_dict())
    # ours -> torch's optimizer -> ours again, each from the params reached
    reached = [p.detach() for p in ours.params]
    into_torch = Run(theirs_cls, oi.kwargs, reached)
    into_torch.opt.load_state_dict(copy.deepcopy(ours.opt.state_dict()))
    back = Run(ours_cls, oi.kwargs, reached)
    back.opt.load_state_dict(copy.deepcopy(into_torch.opt.state_dict()))
    for _ in range(MORE_STEPS):
        for run in (ours, theirs, into_torch, back):
            run.step(schedule=False)
    _close_params(into_torch, ours)
    _close_params(back, ours)
    _close_params(ours, theirs)


def _loss(w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (torch.tanh(w @ X + b) - Y).square().sum()


@pytest.mark.parametrize("module", ["steepest", "steepest.reference"])
@pytest.mark.parametrize(("rule", "info", "oi", "sched"), CONFIGURATIONS)
def test_numpy_classes_match_torch(
    rule: Rule,
    info: OptimizerInfo,
    oi: Any,
    sched: int | None,
    module: str,
) -> None:
    """The NumPy classes of both backends on the same configurations, each
    step at the learning rate torch's (scheduled) param group holds. torch
    keeps a per-param scalar (NAdam's mu_product) in its default dtype, the
    NumPy classes in double: torch runs with float64 as default here."""
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _numpy_run(rule, info, oi, sched, module)
    finally:
        torch.set_default_dtype(default)


def _numpy_run(
    rule: Rule, info: OptimizerInfo, oi: Any, sched: int | None, module: str
) -> None:
    schedulers = [] if sched is None else list(info.scheduler_inputs[sched])
    start = _start()
    theirs = Run(info.optim_cls, oi.kwargs, start, schedulers)
    arrays = [t.numpy().copy() for t in start]
    kwargs = {k: x.item() if torch.is_tensor(x) else x for k, x in oi.kwargs.items()}
    cls = getattr(steepest if module == "steepest" else steepest.reference, rule.cls)
    opt = cls(arrays, **kwargs)
    for _ in range(STEPS):
        opt.lr = float(theirs.opt.param_groups[0]["lr"])
        tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
        _loss(*tensors).backward()
        opt.step([t.grad.numpy() for t in tensors])
        theirs.step()
    for a, p in zip(arrays, theirs.params, strict=True):
        torch.testing.assert_close(
            torch.from_numpy(a), p.detach(), rtol=RTOL, atol=ATOL
        )


@pytest.mark.parametrize("rule", TORCH_ROWS, ids=[r.cls for r in TORCH_ROWS])
def test_unsupported_configurations_raise(rule: Rule) -> None:
    info = INFOS[rule.cls]
    make = getattr(steepest.torch, rule.cls)
    flags = list(info.supported_impls) + (
        ["capturable"] if info.has_capturable_arg else []
    )
    unknown = set(flags) - set(UNSUPPORTED)
    assert not unknown, f"torch declares {unknown} for {rule.cls}: list them here"
    for flag in flags:
        with pytest.raises(ValueError, match=f"{flag}=True is not supported"):
            make([torch.nn.Parameter(torch.ones(3, dtype=F64))], **{flag: True})
    if info.supports_complex:
        w = torch.nn.Parameter(torch.ones(3, dtype=torch.complex128))
        with pytest.raises(TypeError, match="complex tensors are not supported"):
            make([w])
    if info.supports_sparse:
        w = torch.nn.Parameter(torch.ones(4, dtype=F64))
        opt = make([w])
        w.grad = torch.ones(4, dtype=F64).to_sparse()
        with pytest.raises(TypeError, match="sparse gradients are not supported"):
            opt.step()
        assert torch.equal(w.detach(), torch.ones(4, dtype=F64))


def test_torchs_hypothesis_profile_is_undone() -> None:
    assert hypothesis.settings.default == _SUITE_SETTINGS
    assert hypothesis.settings.default.max_examples != 10
