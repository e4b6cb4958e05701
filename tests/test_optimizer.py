"""The optimizer classes call a native step's binding directly, in the row's order.

Twin: ``python/steepest/_optimizer.py`` (``Optimizer.step``) and
``Rule.call_positional`` in ``python/steepest/_rules.py``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest
import steepest
import steepest.reference
from steepest._rules import RULES, Rule


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_step_order_is_the_reference_signature(rule: Rule) -> None:
    reference = getattr(steepest.reference.functional, rule.step)
    assert rule.step_order == tuple(inspect.signature(reference).parameters)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_positional_call_puts_each_argument_in_its_place(rule: Rule) -> None:
    seen: list[tuple[Any, ...]] = []

    def record(*args: Any) -> bool:
        seen.append(args)
        return True

    # every hyperparameter a distinct marker; pairs give a marker per item
    hyper: dict[str, Any] = {}
    for h in rule.hyper:
        if h.to_step:
            hyper[h.name] = tuple(f"<{k}>" for k in h.to_step)
        else:
            hyper[h.name] = f"<{h.name}>"
    state = {s.name: f"<{s.name}>" for s in rule.state}
    rule.call_positional(
        record, "<param>", "<grad>", state, hyper, "<lr>", "<step>", "<nonfinite>"
    )
    assert seen == [tuple(f"<{name}>" for name in rule.step_order)]


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_native_class_steps_through_the_binding(rule: Rule) -> None:
    """Same bits as the functional step (which the parity tests hold to the reference)."""
    kwargs = {"lr": rule.suggested_lr()}
    rng = np.random.default_rng(0)
    p = rng.standard_normal(7).astype(np.float32)
    grads = [rng.standard_normal(7).astype(np.float32) for _ in range(3)]
    opt = getattr(steepest, rule.cls)([p], **kwargs)
    # the binding's METH_FASTCALL twin (same checks and step, less per call)
    assert opt._core is steepest._core._fast_steps[rule.step]
    q = p.copy()
    twin = getattr(steepest, rule.cls)([q], **kwargs)
    # the twin takes the keyword path through steepest.functional's wrapper
    twin._core, twin._step_fn = None, getattr(steepest.functional, rule.step)
    for g in grads:
        opt.step([g])
        twin.step([g])
    np.testing.assert_array_equal(p, q)
    assert opt.step_count == twin.step_count == 3
