"""The spec table agrees with everything that lists rules by hand.

A rule is one row of ``steepest._rules``; the functional steps (both
backends), the classes' written-out signatures, the case table of the tests
and torch.optim's state names are checked against it, so a row that is
missing, or a signature that drifts from its row, fails here.
Twins: ``python/steepest/_rules.py`` and ``tests/_cases.py``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import steepest
import steepest.reference
from steepest import _rules
from steepest._rules import REQUIRED, RULES, Rule

from ._cases import CASES

IDS = [r.name for r in RULES]
EMPTY = inspect.Parameter.empty


def steps(module: Any) -> set[str]:
    return {name for name in module.__all__ if name.endswith("_step")}


def test_one_row_per_functional_step() -> None:
    rows = {r.step for r in RULES}
    assert len(rows) == len(RULES)
    assert steps(steepest.functional) == rows
    assert steps(steepest.reference.functional) == rows


def test_the_case_table_covers_exactly_the_rules() -> None:
    assert {c.fn for c in CASES} == {r.step for r in RULES}
    assert {c.cls for c in CASES} == {r.cls for r in RULES}
    # a case's class and uses_step come from the row (tests/_cases.py): held
    # here against the classes and the steps themselves, not the row again
    for case in CASES:
        assert getattr(steepest, case.cls)._rule.step == case.fn, case.id
        signature = inspect.signature(getattr(steepest.reference.functional, case.fn))
        assert case.uses_step == ("step" in signature.parameters), case.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_state_is_the_rows_active_state(case: Any) -> None:
    rule = _rules.BY_CLASS[case.cls]
    hyper = {**rule.defaults(), **case.cls_kwargs}
    assert rule.state_names(hyper) == tuple(s for s in case.states if s)
    # the case lays states out in the step's positional order
    order = [s.name for s in rule.state]
    assert [order.index(s) for s in case.states if s] == sorted(
        order.index(s) for s in case.states if s
    )


@pytest.mark.parametrize("module", ["native", "reference"])
@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_functional_signature_follows_the_row(rule: Rule, module: str) -> None:
    functional = (
        steepest.functional if module == "native" else steepest.reference.functional
    )
    params = list(inspect.signature(getattr(functional, rule.step)).parameters.values())
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert positional == ["param", "grad", *(s.name for s in rule.state)]
    keywords = {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}
    expected: dict[str, Any] = {}
    for h in rule.hyper:
        if h.to_step is None:
            expected[h.name] = EMPTY if h.default is REQUIRED else h.default
        elif h.to_step:  # () when only the class takes it
            expected.update(zip(h.to_step, h.default, strict=True))
    if rule.takes_step:
        expected["step"] = EMPTY
    expected["nonfinite"] = "raise"
    assert keywords == expected


@pytest.mark.parametrize("module", ["native", "reference"])
@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_class_signature_follows_the_row(rule: Rule, module: str) -> None:
    cls = getattr(steepest if module == "native" else steepest.reference, rule.cls)
    assert cls._rule is rule
    params = list(inspect.signature(cls).parameters.values())
    assert params[0].name == "params"
    hyper = {p.name: p.default for p in params if p.kind is p.POSITIONAL_OR_KEYWORD}
    del hyper["params"]
    expected = {h: EMPTY if d is REQUIRED else d for h, d in rule.defaults().items()}
    assert hyper == expected
    keywords = {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}
    assert keywords == {"nonfinite": "raise", "backend": None}


def test_optimizer_names() -> None:
    # The one pinned list of rule names in the tests (every other test reads
    # RULES or the case table): it catches a row removed or renamed by accident,
    # which would silently drop that rule's tests everywhere else.
    assert list(_rules.OPTIMIZER_NAMES) == [
        "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "adamax",
        "adadelta", "radam", "nadam", "rprop", "asgd", "lamb", "lion", "adabelief",
        "sgd_schedulefree", "adamw_schedulefree",
    ]  # fmt: skip
    rule, implied = _rules.OPTIMIZER_NAMES["nesterov"]
    assert rule.name == "sgd"
    assert implied == {"momentum": 0.9, "nesterov": True}


# Where a rule's class is exported: module -> the file that exports it.
CLASS_HOMES = {
    "steepest": "python/steepest/__init__.py",
    "steepest.optim": "python/steepest/optim/__init__.py",
    "steepest.reference": "python/steepest/reference/__init__.py",
    "steepest.reference.optim": "python/steepest/reference/optim/__init__.py",
}
STEP_HOMES = {
    "steepest.functional": "python/steepest/functional.py",
    "steepest.reference.functional": "python/steepest/reference/functional/__init__.py",
}
CORE_STUB = Path(steepest.__file__).with_name("_core.pyi")


def _exported(module: str, name: str, home: str) -> None:
    found = importlib.import_module(module)
    advice = f"add it (and to __all__) in {home}"
    assert hasattr(found, name), f"{module}.{name} does not exist: {advice}"
    assert name in found.__all__, f"{module}.{name} is not in __all__: {advice}"


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_every_rule_is_exported_everywhere(rule: Rule) -> None:
    for module, home in CLASS_HOMES.items():
        _exported(module, rule.cls, home)
    for module, home in STEP_HOMES.items():
        _exported(module, rule.step, home)
    stub = CORE_STUB.read_text(encoding="utf-8")
    assert re.search(rf"^(def )?{rule.step}\b", stub, re.MULTILINE), (
        f"steepest._core.{rule.step} is not typed: add it in python/steepest/_core.pyi"
    )
    # steepest.torch has every rule's class, those torch.optim lacks too (last: may skip)
    pytest.importorskip("torch")
    _exported("steepest.torch", rule.cls, "python/steepest/torch/__init__.py")


def test_step_kwargs_map_class_hyperparameters() -> None:
    adam = _rules.BY_NAME["adam"]
    hyper = {**adam.defaults(), "betas": (0.8, 0.9)}
    kwargs = adam.step_kwargs(hyper)
    assert (kwargs["beta1"], kwargs["beta2"]) == (0.8, 0.9)
    assert "betas" not in kwargs
    adagrad = _rules.BY_NAME["adagrad"]
    assert "initial_accumulator_value" not in adagrad.step_kwargs(adagrad.defaults())


def test_checked_makes_flags_bools_and_runs_the_joint_check() -> None:
    sgd = _rules.BY_NAME["sgd"]
    hyper = {**sgd.defaults(), "lr": 0.1, "maximize": np.True_}
    assert sgd.checked("SGD", hyper)["maximize"] is True
    with pytest.raises(ValueError, match=r"^SGD: nesterov=True requires momentum > 0"):
        sgd.checked("SGD", {**hyper, "nesterov": True})


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_torch_state_names_are_torch_optims(rule: Rule) -> None:
    torch = pytest.importorskip("torch")
    # every state slot switched on: a flag set, a number (momentum) made non-zero
    defaults = rule.defaults()
    on: dict[str, Any] = {
        s.when: True if isinstance(defaults[s.when], bool) else 0.9
        for s in rule.state
        if s.when
    }
    w = torch.nn.Parameter(torch.ones(3))
    # a rule torch.optim lacks (Lion): the names steepest.torch's class keeps
    module = torch.optim if rule.in_torch else importlib.import_module("steepest.torch")
    opt = getattr(module, rule.cls)([w], lr=0.1, **on)
    w.grad = torch.ones(3)
    opt.step()
    assert set(opt.state[w]) - {"step"} == set(rule.torch_state_names(on))


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_written_call_passes_the_rows_arguments(rule: Rule) -> None:
    """The classes' per-step call equals the generic one built from the row."""
    seen: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def record(*args: Any, **kwargs: Any) -> bool:
        seen.append((args, kwargs))
        return True

    hyper = {**rule.defaults(), "lr": 0.5}
    state = {name: f"<{name}>" for name in rule.slot_names[::2]}  # some slots off
    assert rule.call(record, "P", "G", state, hyper, 0.25, 7, "skip") is True
    ((args, kwargs),) = seen
    assert args == ("P", "G", *(state.get(n) for n in rule.slot_names))
    expected = {**rule.step_kwargs(hyper), "lr": 0.25, "nonfinite": "skip"}
    if rule.takes_step:
        expected["step"] = 7
    assert kwargs == expected


def binding_names(doc: str) -> list[str]:
    """The argument names pybind11 writes on the first line of a function's doc."""
    head = doc.splitlines()[0]
    inside = head[head.index("(") + 1 : head.rindex(")")]
    return [arg.split(":")[0].strip() for arg in inside.split(",")]


# steepest.functional's functions: every rule's step and the gradient clipping
FUNCTIONS = [*(r.step for r in RULES), "clip_grad_norm"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_binding_takes_the_reference_parameters_in_order(name: str) -> None:
    """The native function passes the reference's arguments positionally to the binding."""
    core = getattr(steepest._core, name)
    reference = getattr(steepest.reference.functional, name)
    expected = list(inspect.signature(reference).parameters)
    assert binding_names(core.__doc__) == expected


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_native_step_calls_the_bindings_fastcall_twin(rule: Rule) -> None:
    # the classes and steepest.functional call the METH_FASTCALL entry; it
    # takes exactly the binding's arguments, positionally
    fast = steepest._core._fast_steps[rule.step]
    assert getattr(steepest.functional, rule.step).core is fast
    arity = len(binding_names(getattr(steepest._core, rule.step).__doc__))
    with pytest.raises(TypeError, match=rf"^{rule.step}: expected {arity} positional "):
        fast(*range(arity - 1))
    p, g = np.ones(3), np.full(3, 0.5)
    opt = getattr(steepest, rule.cls)([p.copy()])
    opt.step([g])
    ref = getattr(steepest.reference, rule.cls)([p.copy()])
    ref.step([g])
    np.testing.assert_array_equal(opt.params[0], ref.params[0])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_native_function_forwards_each_argument_to_its_place(name: str) -> None:
    seen: list[tuple[Any, ...]] = []

    def record(*args: Any) -> bool:
        seen.append(args)
        return False

    reference = getattr(steepest.reference.functional, name)
    native = steepest.functional._native(reference, record)
    params = inspect.signature(reference).parameters.values()
    assert inspect.signature(native) == inspect.signature(reference)
    assert native.__doc__ == reference.__doc__
    assert native.__module__ == "steepest.functional"
    positional = [f"<{p.name}>" for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    keywords = {p.name: f"<{p.name}>" for p in params if p.kind is p.KEYWORD_ONLY}
    assert native(*positional, **keywords) is False
    assert seen == [tuple(f"<{p.name}>" for p in params)]
    # with only the required arguments, the others arrive at their defaults
    required = [p for p in params if p.default is p.empty]
    args = [f"<{p.name}>" for p in required if p.kind is p.POSITIONAL_OR_KEYWORD]
    kwargs = {p.name: f"<{p.name}>" for p in required if p.kind is p.KEYWORD_ONLY}
    native(*args, **kwargs)
    assert seen[1] == tuple(
        f"<{p.name}>" if p.default is p.empty else p.default for p in params
    )


def test_in_torch_says_which_rules_torch_optim_has() -> None:
    # the torch-peer tests pick rows by this flag: a rule torch.optim gains
    # (or loses) must be looked at, not silently compared or dropped
    torch = pytest.importorskip("torch")
    wrong = [r.cls for r in RULES if r.in_torch != hasattr(torch.optim, r.cls)]
    assert not wrong, f"in_torch disagrees with torch.optim for {wrong}"


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.peer is not None], ids=lambda r: r.name
)
def test_the_peer_of_every_rule_exists(rule: Rule) -> None:
    # importorskip: under CI a missing peer package fails (tests/conftest.py)
    pytest.importorskip(str(rule.peer_package))
    module = importlib.import_module(str(rule.peer_module))
    peer = getattr(module, str(rule.peer_name), None)
    assert peer is not None, f"{rule.peer} does not exist"
    if rule.peer_on_torch:
        torch = pytest.importorskip("torch")
        assert issubclass(peer, torch.optim.Optimizer), rule.peer
