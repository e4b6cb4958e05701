"""One table of optimizer cases, used by parity, validation and convergence tests.

Each case names a functional step, the state arrays it needs (in positional
order after ``param, grad``; None where an optional slot is unused), and the
hyperparameters. Together they cover every option combination the kernels
have as separate instantiations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    id: str
    fn: str  # name in steepest.functional
    states: tuple[str | None, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    uses_step: bool = True
    cls: str = ""  # class in steepest (for class-level tests)
    cls_kwargs: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("sgd", "sgd_step", (), {"lr": 0.05}, cls="SGD", cls_kwargs={"lr": 0.05}),
    Case("sgd-wd-max", "sgd_step", (), {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
         cls="SGD", cls_kwargs={"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    Case("momentum", "sgd_step", ("momentum_buffer",), {"lr": 0.05, "momentum": 0.9},
         cls="SGD", cls_kwargs={"lr": 0.05, "momentum": 0.9}),
    Case("momentum-damp-wd", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
         cls="SGD", cls_kwargs={"lr": 0.05, "momentum": 0.9, "dampening": 0.3,
                                "weight_decay": 0.01}),
    Case("nesterov", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.9, "nesterov": True},
         cls="SGD", cls_kwargs={"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    Case("nesterov-wd", "sgd_step", ("momentum_buffer",),
         {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05},
         cls="SGD", cls_kwargs={"lr": 0.05, "momentum": 0.8, "nesterov": True,
                                "weight_decay": 0.05}),
    Case("adagrad", "adagrad_step", ("state_sum",), {"lr": 0.1}, cls="Adagrad",
         cls_kwargs={"lr": 0.1}),
    Case("adagrad-decay-wd-max", "adagrad_step", ("state_sum",),
         {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "eps": 1e-6, "maximize": True},
         cls="Adagrad", cls_kwargs={"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1,
                                    "eps": 1e-6, "maximize": True,
                                    "initial_accumulator_value": 0.1}),
    Case("rmsprop", "rmsprop_step", ("square_avg",), {"lr": 0.01}, uses_step=False,
         cls="RMSprop", cls_kwargs={"lr": 0.01}),
    Case("rmsprop-centered", "rmsprop_step", ("square_avg", None, "grad_avg"),
         {"lr": 0.01, "centered": True}, uses_step=False,
         cls="RMSprop", cls_kwargs={"lr": 0.01, "centered": True}),
    Case("rmsprop-momentum-wd", "rmsprop_step", ("square_avg", "momentum_buffer"),
         {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01, "alpha": 0.9}, uses_step=False,
         cls="RMSprop", cls_kwargs={"lr": 0.01, "momentum": 0.9, "weight_decay": 0.01,
                                    "alpha": 0.9}),
    Case("rmsprop-centered-momentum-max", "rmsprop_step",
         ("square_avg", "momentum_buffer", "grad_avg"),
         {"lr": 0.01, "momentum": 0.5, "centered": True, "maximize": True}, uses_step=False,
         cls="RMSprop", cls_kwargs={"lr": 0.01, "momentum": 0.5, "centered": True,
                                    "maximize": True}),
    Case("adam", "adam_step", ("m", "v"), {"lr": 0.01}, cls="Adam", cls_kwargs={"lr": 0.01}),
    Case("adam-l2-max", "adam_step", ("m", "v"),
         {"lr": 0.01, "weight_decay": 0.1, "maximize": True, "beta1": 0.8, "beta2": 0.99},
         cls="Adam", cls_kwargs={"lr": 0.01, "weight_decay": 0.1, "maximize": True,
                                 "betas": (0.8, 0.99)}),
    Case("amsgrad", "adam_step", ("m", "v", "v_max"), {"lr": 0.01, "amsgrad": True},
         cls="Adam", cls_kwargs={"lr": 0.01, "amsgrad": True}),
    Case("amsgrad-l2", "adam_step", ("m", "v", "v_max"),
         {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05},
         cls="Adam", cls_kwargs={"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    Case("adamw", "adamw_step", ("m", "v"), {"lr": 0.01}, cls="AdamW",
         cls_kwargs={"lr": 0.01}),
    Case("adamw-amsgrad", "adamw_step", ("m", "v", "v_max"),
         {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
         cls="AdamW", cls_kwargs={"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
]  # fmt: skip

CASE_IDS = [c.id for c in CASES]


def call_step(
    functional: Any,
    case: Case,
    param: Any,
    grad: Any,
    states: dict[str, Any],
    step: int,
    **extra: Any,
) -> bool:
    """Call ``case``'s step on ``functional`` with its states laid out positionally."""
    positional = [states[name] if name else None for name in case.states]
    kwargs = dict(case.kwargs, **extra)
    if case.uses_step:
        kwargs["step"] = step
    return bool(getattr(functional, case.fn)(param, grad, *positional, **kwargs))
