"""Every spec row's defaults are torch.optim's, read from torch's signatures.

The rows are read from the table, so a rule added later is held to torch's
class of the same name as soon as its row exists (a row torch lacks is not
compared: ``TORCH_ROWS`` lists the ones that are). The classes of both
backends follow their row (tests/test_rules.py), and steepest.torch's
signatures are torch's, so all three share torch's defaults.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import steepest
import steepest.reference
import steepest.torch
from steepest._rules import REQUIRED, RULES, Rule

TORCH_ROWS = [r for r in RULES if r.in_torch]
EMPTY = inspect.Parameter.empty


def _signature(cls: type) -> dict[str, tuple[Any, Any]]:
    """name -> (kind, default) of a class's parameters but ``params``."""
    params = inspect.signature(cls).parameters.values()
    return {p.name: (p.kind, p.default) for p in params if p.name != "params"}


def test_the_rows_torch_has_include_the_first_seven() -> None:
    # the rules torch.optim had when this test was written, so an empty
    # TORCH_ROWS (torch renamed, a row dropped) cannot pass silently
    names = {r.cls for r in TORCH_ROWS}
    assert {"SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adamax", "Adadelta"} <= names


@pytest.mark.parametrize("rule", TORCH_ROWS, ids=[r.name for r in TORCH_ROWS])
def test_row_defaults_are_torchs(rule: Rule) -> None:
    theirs = _signature(getattr(torch.optim, rule.cls))
    for h in rule.hyper:
        assert h.name in theirs, f"{rule.cls}: {h.name} is not torch's hyperparameter"
        expected = theirs[h.name][1]
        ours = EMPTY if h.default is REQUIRED else h.default
        assert ours == expected, f"{rule.cls}.{h.name}: {ours!r}, torch {expected!r}"
        assert type(ours) is type(expected) or not isinstance(expected, bool)
    # every flag the row accepts at its default is one torch's signature takes
    assert set(rule.torch_flags) <= set(theirs)


@pytest.mark.parametrize("rule", TORCH_ROWS, ids=[r.name for r in TORCH_ROWS])
def test_torch_class_signature_is_torchs(rule: Rule) -> None:
    ours = _signature(getattr(steepest.torch, rule.cls))
    assert ours.pop("nonfinite") == (inspect.Parameter.KEYWORD_ONLY, "ignore")
    assert ours == _signature(getattr(torch.optim, rule.cls))


@pytest.mark.parametrize("module", [steepest, steepest.reference])
def test_sgd_lr_defaults_to_torchs(module: Any) -> None:
    # torch.optim.SGD has taken lr=1e-3 by default since 2.6; its own
    # optim_db configurations rely on it
    w = torch.ones(2, dtype=torch.float64).numpy()
    opt = module.SGD([w])
    assert opt.lr == 1e-3
    opt.step([w.copy()])
    assert w.tolist() == [1 - 1e-3, 1 - 1e-3]
