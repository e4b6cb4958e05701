"""ReduceLROnPlateau: the metric-driven decay, one implementation for both backends.

Twin: ``python/steepest/_plateau.py`` (torch's ``ReduceLROnPlateau`` is the
oracle where installed). Its argument checks are in the schedule tests' table.
"""

from __future__ import annotations

import doctest
from typing import Any

import pytest
import steepest
import steepest.reference
from steepest import _plateau
from steepest._plateau import ReduceLROnPlateau


def run(plateau: Any, metrics: list[float]) -> list[float]:
    return [plateau.update(m) * plateau.initial_lr for m in metrics]


def test_plateau_improve_and_plateau() -> None:
    p = ReduceLROnPlateau(lr=1.0, factor=0.5, patience=2)
    # improving: no decay; then a plateau of patience + 1 bad epochs decays once
    assert run(p, [5.0, 4.0, 3.0, 2.0]) == [1.0] * 4
    assert run(p, [2.0, 2.5, 2.0]) == [1.0, 1.0, 0.5]
    assert (p.num_bad_epochs, p.num_decays, p.best, p.last_epoch) == (0, 1, 2.0, 7)
    # an improvement smaller than the relative threshold (1e-4) is a bad epoch
    assert run(p, [2.0 * (1 - 5e-5), 1.9, 1.9, 1.9, 1.9]) == [0.5, 0.5, 0.5, 0.5, 0.25]


def test_plateau_cooldown() -> None:
    p = ReduceLROnPlateau(lr=1.0, factor=0.1, patience=0, cooldown=2)
    lrs = run(p, [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # decay at epoch 2; epochs 3-4 in cooldown; epoch 5 bad -> decay; 6-7 cooldown
    assert lrs == pytest.approx([1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01], rel=1e-15)
    assert p.num_decays == 2
    assert p.cooldown_counter == 0


def test_plateau_min_lr_then_stop() -> None:
    p = ReduceLROnPlateau(lr=1.0, factor=0.5, patience=0, min_lr=0.3)
    assert run(p, [1.0, 1.0]) == [1.0, 0.5]
    assert not p.at_min_lr
    assert not p.stopped
    assert run(p, [1.0]) == [0.3]  # clamped at min_lr
    assert p.at_min_lr
    assert not p.stopped
    assert run(p, [1.0]) == [0.3]  # a plateau at the floor: decay-then-stop
    assert p.stopped
    assert p.num_decays == 2


def test_plateau_eps_stops_decay() -> None:
    p = ReduceLROnPlateau(lr=1e-7, factor=0.5, patience=0, eps=1e-7)
    run(p, [1.0, 1.0])
    assert p.lr == 1e-7
    assert p.stopped


@pytest.mark.parametrize(("mode", "threshold_mode", "metrics"), [
    ("min", "abs", [1.0, 0.95, 0.91, 0.9, 0.85, 0.849, 0.848, 0.6]),
    ("max", "rel", [0.1, 0.2, 0.2, 0.2001, 0.3, 0.3, 0.3, 0.3]),
    ("max", "abs", [-5.0, -4.0, -3.96, -3.99, -3.0, -2.999, -2.998, -2.0]),
])  # fmt: skip
def test_plateau_modes(mode: str, threshold_mode: str, metrics: list[float]) -> None:
    threshold = 0.05 if threshold_mode == "abs" else 1e-3
    kw = {"mode": mode, "factor": 0.5, "patience": 1, "threshold": threshold,
          "threshold_mode": threshold_mode}  # fmt: skip
    p = ReduceLROnPlateau(lr=1.0, **kw)
    lrs = run(p, metrics)
    assert lrs[0] == 1.0
    assert lrs[-1] < 1.0
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    tp = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    want = []
    for m in metrics:
        opt.step()
        tp.step(m)
        want.append(opt.param_groups[0]["lr"])
    assert lrs == want


def test_plateau_state_dict() -> None:
    p = ReduceLROnPlateau(lr=1.0, patience=1)
    run(p, [3.0, 3.0, 3.0])
    q = ReduceLROnPlateau(lr=1.0, patience=1)
    q.load_state_dict(p.state_dict())
    assert run(q, [3.0, 3.0]) == run(p, [3.0, 3.0])
    assert q.state_dict() == p.state_dict()
    with pytest.raises(ValueError, match="patience is 1 in the state but 2 here"):
        ReduceLROnPlateau(lr=1.0, patience=2).load_state_dict(p.state_dict())
    # one implementation serves both schedule modules
    assert steepest.schedules.ReduceLROnPlateau is ReduceLROnPlateau
    assert steepest.reference.schedules.ReduceLROnPlateau is ReduceLROnPlateau


def test_doctests() -> None:
    result = doctest.testmod(_plateau, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
