"""The case table and the training run shared by the steepest.torch tests.

A case names a class that exists in both ``torch.optim`` and
:mod:`steepest.torch` and keyword arguments both accept; the run trains a
small MLP on random data, full batch, so each step's gradient depends on the
params the optimizer produced: differences between the two would grow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import steepest.torch  # only once torch is known to import
from steepest._rules import RULES

from .._cases import CASES as CASE_ROWS

STEPS = 50
# max |difference| of params after STEPS steps, from the issue: 1e-6 in float32;
# float64 agrees to rounding (torch's lerp and per-element division differ)
TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}
# state tensors (moments far from 1 in size, divided by small roots) relatively,
# beside the params' tolerance as atol; measured after STEPS: float64 2.8e-12
# (centered RMSprop with momentum), float32 3.6e-5 beyond the atol (the same)
STATE_RTOL = {torch.float32: 1e-4, torch.float64: 1e-11}


@dataclass(frozen=True)
class Case:
    cls: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.cls}({args})"


# The torch cases of a class: by default one per row of the case table
# (tests/_cases.py), its options in torch's keywords. Those rows' learning
# rates suit three steps; over STEPS steps of training some diverge (SGD with
# maximize) or amplify float32 rounding past TOLERANCE (RMSprop at 1e-2), so
# the classes below use these configurations instead (a new rule needs an
# entry only if its rows fail so). Torch-only options (decoupled_weight_decay)
# live here too.
TUNED = [
    Case("SGD", {"lr": 0.05}),
    Case("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2}),
    Case("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    Case("SGD", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
    Case("Adagrad", {"lr": 0.05}),
    Case(
        "Adagrad",
        {
            "lr": 0.05,
            "lr_decay": 0.01,
            "weight_decay": 1e-2,
            "initial_accumulator_value": 0.1,
        },
    ),
    Case("RMSprop", {"lr": 1e-3}),
    Case(
        "RMSprop", {"lr": 1e-3, "momentum": 0.9, "centered": True, "weight_decay": 1e-2}
    ),
    # not centered with alpha=0.9: sqrt(v - ga^2) then cancels so badly that
    # torch's own float32 run ends 3.5e-6 from its float64 one
    Case("RMSprop", {"lr": 1e-3, "alpha": 0.9, "maximize": True}),
    Case("Adam", {"lr": 1e-2}),
    Case("Adam", {"lr": 1e-2, "amsgrad": True, "weight_decay": 1e-2}),
    Case("Adam", {"lr": 1e-2, "betas": (0.8, 0.99), "maximize": True}),
    Case("Adam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    Case("AdamW", {"lr": 1e-2}),
    Case("AdamW", {"lr": 1e-2, "amsgrad": True, "weight_decay": 0.1}),
    # the table's second row (rho 0.5, eps 1e-3) amplifies float32 rounding
    # so that torch's own float32 run ends 7.4e-5 from its float64 one
    Case("Adadelta", {"lr": 1.0}),
    Case("Adadelta", {"lr": 1.0, "rho": 0.5, "weight_decay": 1e-2, "maximize": True}),
    # the table's rows maximize (diverging here) or never average in 50 steps;
    # t0 = 10 averages the last 39 iterates
    Case("ASGD", {"lr": 1e-2}),
    Case(
        "ASGD",
        {"lr": 5e-2, "lambd": 1e-2, "alpha": 0.5, "t0": 10.0, "weight_decay": 1e-2},
    ),
]


def _cases_of(cls: str) -> list[Case]:
    tuned = [c for c in TUNED if c.cls == cls]
    return tuned or [
        Case(row.cls, row.cls_kwargs) for row in CASE_ROWS if row.cls == cls
    ]


# every rule whose class torch.optim has (steepest.torch must have it too)
CASES = [c for rule in RULES if rule.in_torch for c in _cases_of(rule.cls)]
CASE_IDS = [c.id for c in CASES]


def make_problem(
    dtype: torch.dtype, seed: int = 0
) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A 2-layer MLP (10 -> 16 -> 1, tanh) and 64 random samples."""
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(10, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
    ).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) * 0.5)
    X = torch.randn(64, 10, generator=gen, dtype=dtype)
    y = torch.randn(64, 1, generator=gen, dtype=dtype)
    return model, X, y


def optimizer(
    module: Any, case: Case, params: Any, **extra: Any
) -> torch.optim.Optimizer:
    """``case`` built from ``module`` (torch.optim or steepest.torch)."""
    opt: torch.optim.Optimizer = getattr(module, case.cls)(
        params, **case.kwargs, **extra
    )
    return opt


def train(
    model: torch.nn.Module,
    opt: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    steps: int,
    after_step: Callable[[int], None] | None = None,
) -> list[float]:
    """``steps`` ordinary training steps; returns the losses."""
    losses = []
    for k in range(steps):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if after_step is not None:
            after_step(k)
    return losses


def max_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(
        (p - q).abs().max().item()
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def twins(dtype: torch.dtype) -> tuple[torch.nn.Module, torch.nn.Module, Any, Any]:
    """Two identical models and the data."""
    model, X, y = make_problem(dtype)
    return model, copy.deepcopy(model), X, y


# torch.optim's other implementation of the same arithmetic: its fused CPU
# kernel, for the rules that have one (the others refuse it when built).
# Not foreach: torch's foreach ASGD ends 1e-9 from its default in float64,
# a difference of method, not of rounding.
VARIANTS = ({"fused": True},)
_SPREADS: dict[tuple[str, str, torch.dtype, int], float] = {}


def torch_spread(case: Case, dtype: torch.dtype, steps: int = STEPS) -> float:
    """How far torch.optim's implementations of ``case`` (its default and
    the :data:`VARIANTS` it accepts) end from each other: the max
    |difference| of the params after ``steps`` of :func:`train`."""
    key = (case.cls, repr(sorted(case.kwargs.items())), dtype, steps)
    if key not in _SPREADS:
        runs = []
        for extra in ({}, *VARIANTS):
            model, _, X, y = twins(dtype)
            try:
                opt = optimizer(torch.optim, case, model.parameters(), **extra)
                train(model, opt, X, y, steps)
            except (RuntimeError, ValueError, TypeError):
                continue  # torch has no such implementation of this rule
            runs.append(model)
        _SPREADS[key] = max((max_diff(runs[0], m) for m in runs[1:]), default=0.0)
    return _SPREADS[key]


def tolerance(case: Case, dtype: torch.dtype, steps: int = STEPS) -> float:
    """The params' bound after ``steps``: the issue's :data:`TOLERANCE`, or
    torch's own spread (:func:`torch_spread`) where that is wider. One ulp
    per step apart (torch's CPU kernels contract a*b+c into FMAs, ours do
    not) grows with training as the machine's GEMMs round it: on an
    AMX-capable Xeon, float32 Adagrad's fused and default paths in torch end
    1.7e-6 apart after 50 steps, ours 1.0e-6 from the default."""
    return max(TOLERANCE[dtype], torch_spread(case, dtype, steps))


__all__ = [
    "CASES",
    "CASE_IDS",
    "STATE_RTOL",
    "STEPS",
    "TOLERANCE",
    "Case",
    "steepest",
    "tolerance",
    "torch_spread",
]
