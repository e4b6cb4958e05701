"""The update rules steepest knows: one spec row per rule.

A row names the rule, its functional step and its class (torch's name), lists
the class's hyperparameters with torch's defaults and their checks, and the
state arrays in the order the step takes them, under steepest's name and
torch's, each with the hyperparameter that switches it on and the one it
starts at. Everything that lists rules reads this table: the optimizer
classes of both backends, :mod:`steepest.torch`, the estimators'
``optimizer=`` names and the loops' state slots, :func:`steepest.tools.minimize`,
the demo and the benchmark. The functional steps themselves stay written out
(:mod:`steepest.reference.functional` is the specification of the math).

The row's columns and what is derived from them are :mod:`steepest._rule_row`
(re-exported here). A foundation: it imports only standard modules and the
checks, so every layer may read it.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import _checks as v
from ._rule_row import REQUIRED, TORCH_PEER_PACKAGES, Check, Hyper, Rule, Slot

_nonnegative: Check = v.check_nonnegative
_positive: Check = v.check_positive
_unit: Check = functools.partial(
    v.check_between, lo=0.0, hi=1.0, hi_open=False, interval="[0, 1]"
)
_flag: Check = v.flag
_beta: Check = functools.partial(
    v.check_between, lo=0.0, hi=1.0, hi_open=True, interval="[0, 1)"
)


_eta_minus: Check = functools.partial(
    v.check_between, lo=0.0, hi=1.0, lo_open=True, hi_open=True, interval="(0, 1)"
)
_interior: Check = _eta_minus  # (0, 1)
_eta_plus: Check = functools.partial(
    v.check_between,
    lo=1.0,
    hi=math.inf,
    lo_open=True,
    hi_open=True,
    interval="(1, inf)",
)


def _pair(fn: str, name: str, pair: Any, what: str) -> None:
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        msg = f"{fn}: {name} must be a pair {what}, got {pair!r}"
        raise ValueError(msg)


def _etas(fn: str, name: str, etas: Any) -> None:
    _pair(fn, name, etas, "(etaminus, etaplus)")
    _eta_minus(fn, f"{name}[0]", etas[0])
    _eta_plus(fn, f"{name}[1]", etas[1])


def _step_sizes(fn: str, name: str, sizes: Any) -> None:
    _pair(fn, name, sizes, "(min, max)")
    for i, x in enumerate(sizes):
        _nonnegative(fn, f"{name}[{i}]", x)


def _betas(fn: str, name: str, betas: Any) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        msg = f"{fn}: {name} must be a pair (beta1, beta2), got {betas!r}"
        raise ValueError(msg)
    for i, b in enumerate(betas):
        _beta(fn, f"{name}[{i}]", b)


def _sf_betas(fn: str, name: str, betas: Any) -> None:
    # beta1 > 0: the evaluation weights x = y + (1 - 1/beta1) (z - y) divide by it
    _pair(fn, name, betas, "(beta1, beta2)")
    _interior(fn, f"{name}[0]", betas[0])
    _beta(fn, f"{name}[1]", betas[1])


def _nesterov(fn: str, hyper: Mapping[str, Any]) -> None:
    v.check_nesterov(fn, hyper["nesterov"], hyper["momentum"], hyper["dampening"])


_ADAM_HYPER = (
    Hyper("lr", 1e-3, _nonnegative),
    Hyper("betas", (0.9, 0.999), _betas, to_step=("beta1", "beta2"), step_check=_beta),
    Hyper("eps", 1e-8, _positive),
    Hyper("weight_decay", 0.0, _nonnegative),
    Hyper("amsgrad", False, _flag),
    Hyper("maximize", False, _flag),
)
_ADAM_STATE = (
    Slot("m", "exp_avg"),
    Slot("v", "exp_avg_sq"),
    Slot("v_max", "max_exp_avg_sq", when="amsgrad"),
)
_ADAM_FLAGS = ("foreach", "capturable", "differentiable", "fused")

_SF_HYPER = (
    Hyper("weight_decay", 0.0, _nonnegative),
    Hyper("warmup_steps", 0, _nonnegative),
    Hyper("r", 0.0, _nonnegative),
    Hyper("weight_lr_power", 2.0, _nonnegative),
)
_SF_SCALARS = (
    Slot("lr_max", "lr_max", init=-1.0, scalar=True, in_group=True),
    Slot("weight_sum", "weight_sum", scalar=True, in_group=True),
)

RULES: tuple[Rule, ...] = (
    Rule(
        "sgd", "sgd_step", "SGD",
        (
            Hyper("lr", 1e-3, _nonnegative),
            Hyper("momentum", 0.0, _nonnegative),
            Hyper("dampening", 0.0, _unit),
            Hyper("nesterov", False, _flag),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (Slot("momentum_buffer", "momentum_buffer", when="momentum"),),
        check_together=_nesterov,
        torch_flags=("foreach", "differentiable", "fused"),
        aliases={
            "momentum": {"momentum": 0.9},
            "nesterov": {"momentum": 0.9, "nesterov": True},
        },
        tools_lr=1e-2,
        peer="torch.optim.SGD",
    ),
    Rule(
        "adagrad", "adagrad_step", "Adagrad",
        (
            Hyper("lr", 1e-2, _nonnegative),
            Hyper("lr_decay", 0.0, _nonnegative),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("initial_accumulator_value", 0.0, _nonnegative, to_step=()),
            Hyper("eps", 1e-10, _positive),
            Hyper("maximize", False, _flag),
        ),
        (Slot("state_sum", "sum", init="initial_accumulator_value"),),
        torch_flags=("foreach", "differentiable", "fused"),
        peer="torch.optim.Adagrad",
    ),
    Rule(
        "rmsprop", "rmsprop_step", "RMSprop",
        (
            Hyper("lr", 1e-2, _nonnegative),
            Hyper("alpha", 0.99, _unit),
            Hyper("eps", 1e-8, _positive),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("momentum", 0.0, _nonnegative),
            Hyper("centered", False, _flag),
            Hyper("maximize", False, _flag),
        ),
        (
            Slot("square_avg", "square_avg"),
            Slot("momentum_buffer", "momentum_buffer", when="momentum"),
            Slot("grad_avg", "grad_avg", when="centered"),
        ),
        takes_step=False,
        torch_flags=("capturable", "foreach", "differentiable"),
        peer="torch.optim.RMSprop",
    ),
    Rule("adam", "adam_step", "Adam", _ADAM_HYPER, _ADAM_STATE, torch_flags=_ADAM_FLAGS,
         peer="torch.optim.Adam"),
    Rule(
        "adamw", "adamw_step", "AdamW",
        tuple(
            replace(h, default=1e-2) if h.name == "weight_decay" else h
            for h in _ADAM_HYPER
        ),
        _ADAM_STATE,
        torch_flags=_ADAM_FLAGS,
        peer="torch.optim.AdamW",
    ),
    Rule(
        "adamax", "adamax_step", "Adamax",
        (
            Hyper("lr", 2e-3, _nonnegative),
            *(h for h in _ADAM_HYPER if h.name in ("betas", "eps", "weight_decay")),
            Hyper("maximize", False, _flag),
        ),
        (Slot("m", "exp_avg"), Slot("u", "exp_inf")),
        torch_flags=("foreach", "capturable", "differentiable"),
        peer="torch.optim.Adamax",
    ),
    Rule(
        "adadelta", "adadelta_step", "Adadelta",
        (
            Hyper("lr", 1.0, _nonnegative),
            Hyper("rho", 0.9, _unit),
            Hyper("eps", 1e-6, _positive),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (Slot("square_avg", "square_avg"), Slot("acc_delta", "acc_delta")),
        takes_step=False,
        torch_flags=("foreach", "capturable", "differentiable"),
        peer="torch.optim.Adadelta",
    ),
    Rule(
        "radam", "radam_step", "RAdam",
        (
            *(h for h in _ADAM_HYPER if h.name in ("lr", "betas", "eps", "weight_decay")),
            Hyper("decoupled_weight_decay", False, _flag),
            Hyper("maximize", False, _flag),
        ),
        _ADAM_STATE[:2],
        torch_flags=("foreach", "capturable", "differentiable"),
        peer="torch.optim.RAdam",
    ),
    Rule(
        "nadam", "nadam_step", "NAdam",
        (
            Hyper("lr", 2e-3, _nonnegative),
            *(h for h in _ADAM_HYPER if h.name in ("betas", "eps", "weight_decay")),
            Hyper("momentum_decay", 4e-3, _nonnegative),
            Hyper("decoupled_weight_decay", False, _flag),
            Hyper("maximize", False, _flag),
        ),
        (
            *_ADAM_STATE[:2],
            Slot("mu_product", "mu_product", init=1.0, scalar=True),
        ),
        torch_flags=("foreach", "capturable", "differentiable"),
        peer="torch.optim.NAdam",
    ),
    Rule(
        "rprop", "rprop_step", "Rprop",
        (
            Hyper("lr", 1e-2, _nonnegative),
            Hyper("etas", (0.5, 1.2), _etas, to_step=("etaminus", "etaplus"),
                  step_check=(_eta_minus, _eta_plus)),
            Hyper("step_sizes", (1e-6, 50.0), _step_sizes,
                  to_step=("step_size_min", "step_size_max"), step_check=_nonnegative),
            Hyper("maximize", False, _flag),
        ),
        # the step sizes start at lr; the update itself never reads lr
        (Slot("prev", "prev"), Slot("step_size", "step_size", init="lr")),
        takes_step=False,
        full_batch=True,
        torch_flags=("capturable", "foreach", "differentiable"),
        peer="torch.optim.Rprop",
    ),
    Rule(
        "asgd", "asgd_step", "ASGD",
        (
            Hyper("lr", 1e-2, _nonnegative),
            Hyper("lambd", 1e-4, _nonnegative),
            Hyper("alpha", 0.75, _nonnegative),
            Hyper("t0", 1e6, _nonnegative),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (
            Slot("ax", "ax", published=True),
            Slot("eta", "eta", init="lr", scalar=True),
            Slot("mu", "mu", init=1.0, scalar=True),
        ),
        torch_flags=("foreach", "differentiable", "capturable"),
        peer="torch.optim.ASGD",
    ),
    # optax.lamb's update and defaults (optax has no default lr: see Lamb's
    # docstring); torch.optim has no Lamb, the state takes Adam's torch names
    Rule(
        "lamb", "lamb_step", "Lamb",
        (
            Hyper("lr", 1e-3, _nonnegative),
            Hyper("betas", (0.9, 0.999), _betas, to_step=("beta1", "beta2"), step_check=_beta),
            Hyper("eps", 1e-6, _positive),
            Hyper("eps_root", 0.0, _nonnegative),
            Hyper("weight_decay", 0.0, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (Slot("m", "exp_avg"), Slot("v", "exp_avg_sq")),
        rereads=3,
        peer="optax.lamb",
    ),
    Rule(
        "lion", "lion_step", "Lion",
        (
            Hyper("lr", 1e-4, _nonnegative),
            Hyper("betas", (0.9, 0.99), _betas, to_step=("beta1", "beta2"),
                  step_check=_beta),
            Hyper("weight_decay", 1e-3, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (Slot("m", "exp_avg"),),
        takes_step=False,
        peer="optax.lion",
    ),
    Rule(
        "adabelief", "adabelief_step", "AdaBelief",
        (
            Hyper("lr", 1e-3, _nonnegative),
            Hyper("betas", (0.9, 0.999), _betas, to_step=("beta1", "beta2"),
                  step_check=_beta),
            Hyper("eps", 1e-16, _positive),
            Hyper("eps_root", 1e-16, _nonnegative),
            Hyper("maximize", False, _flag),
        ),
        (Slot("m", "exp_avg"), Slot("s", "exp_avg_var")),
        peer="optax.adabelief",
    ),
    # The authors' schedulefree package (SGDScheduleFree, AdamWScheduleFree):
    # its names and defaults. z starts as a copy of the param; lr_max and
    # weight_sum are its param group's numbers, kept per param here (see
    # rules/schedulefree.hpp), the step number standing for its group's k + 1.
    Rule(
        "sgd_schedulefree", "sgd_schedulefree_step", "SGDScheduleFree",
        (
            Hyper("lr", 1.0, _nonnegative),
            Hyper("momentum", 0.9, _interior),
            *_SF_HYPER,
        ),
        (Slot("z", "z", from_param=True), *_SF_SCALARS),
        torch_flags=("foreach",),
        tools_lr=1e-2,
        peer="schedulefree.SGDScheduleFree",
    ),
    Rule(
        "adamw_schedulefree", "adamw_schedulefree_step", "AdamWScheduleFree",
        (
            Hyper("lr", 0.0025, _nonnegative),
            Hyper("betas", (0.9, 0.999), _sf_betas, to_step=("beta1", "beta2"),
                  step_check=(_interior, _beta)),
            Hyper("eps", 1e-8, _positive),
            *_SF_HYPER,
        ),
        (Slot("z", "z", from_param=True), Slot("v", "exp_avg_sq"), *_SF_SCALARS),
        torch_flags=("foreach",),
        peer="schedulefree.AdamWScheduleFree",
    ),
)  # fmt: skip

#: rule name -> row
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}
#: class name (SGD, Adagrad, ...) -> row
BY_CLASS: dict[str, Rule] = {r.cls: r for r in RULES}
#: the estimators' ``optimizer=`` names, each rule followed by its aliases:
#: name -> (rule, hyperparameters the name implies)
OPTIMIZER_NAMES: dict[str, tuple[Rule, dict[str, Any]]] = {
    name: (r, dict(implied))
    for r in RULES
    for name, implied in ((r.name, {}), *r.aliases.items())
}

__all__ = [
    "BY_CLASS",
    "BY_NAME",
    "OPTIMIZER_NAMES",
    "REQUIRED",
    "RULES",
    "TORCH_PEER_PACKAGES",
    "Check",
    "Hyper",
    "Rule",
    "Slot",
]
