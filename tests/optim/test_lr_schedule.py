"""Optimizers with ``lr=<schedule>``: which step uses which value, ``opt.lr``, state dicts.

The k-th applied step (k = 1, 2, ...) uses ``sched(k - 1)``, torch's convention
(the first step uses the initial lr); a skipped step does not advance it.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import steepest
from steepest import schedules as nat
from steepest.optim import Optimizer
from steepest.reference import schedules as ref

from .._cases import CASES, Case

STEPS = 12
CLASS_CASES = [c for c in CASES if c.cls]


def cls_for(backend: str, name: str) -> type[Optimizer]:
    module = steepest if backend == "native" else steepest.reference
    cls: type[Optimizer] = getattr(module, name)
    return cls


def params_and_grads(
    steps: int, seed: int = 7
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(5), rng.standard_normal((2, 3)).astype(np.float32)]
    grads = [
        [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
        for _ in range(steps)
    ]
    return params, grads


def schedule(module: Any, lr: float) -> Any:
    warm = module.LinearLR(lr=lr, start_factor=0.1, total_iters=4)
    return module.SequentialLR(
        [warm, module.CosineAnnealingLR(lr=lr, T_max=10)], milestones=[4]
    )


@pytest.mark.parametrize("case", CLASS_CASES, ids=[c.id for c in CLASS_CASES])
@pytest.mark.parametrize("backend", ["native", "reference"])
def test_schedule_equals_lr_set_by_hand(case: Case, backend: str) -> None:
    """Step k with a schedule == step k with ``opt.lr = sched(k - 1)``, bit for bit."""
    cls = cls_for(backend, case.cls)
    lr = case.cls_kwargs["lr"]
    module = nat if backend == "native" else ref
    sched = schedule(module, lr)
    values = sched.values(STEPS)
    assert values[0] == 0.1 * lr
    assert values[4] == lr
    assert len(set(values.tolist())) > 5
    scheduled, grads = params_and_grads(STEPS)
    by_hand = [p.copy() for p in scheduled]
    opt = cls(scheduled, **dict(case.cls_kwargs, lr=sched))
    # built at the schedule's first value: a state slot may start at lr (Rprop's)
    twin = cls(by_hand, **dict(case.cls_kwargs, lr=float(values[0])))
    assert opt.lr_schedule is sched
    assert twin.lr_schedule is None
    for k, g in enumerate(grads):
        assert opt.lr == values[k]  # the value the next step will use
        twin.lr = float(values[k])
        opt.step(g)
        twin.step(g)
    for a, b in zip(scheduled, by_hand, strict=True):
        np.testing.assert_array_equal(a, b)
    for key in twin.state:
        for a, b in zip(opt.state[key], twin.state[key], strict=True):
            np.testing.assert_array_equal(a, b)
    assert opt.step_count == STEPS
    assert opt.lr == sched(STEPS)


def test_first_step_uses_initial_lr() -> None:
    w = np.zeros(1)
    opt = steepest.SGD([w], lr=nat.StepLR(lr=1.0, step_size=1, gamma=0.5))
    for _ in range(3):
        opt.step([np.ones(1)])
    assert w[0] == -(
        1.0 + 0.5 + 0.25
    )  # steps 1, 2, 3 used sched(0), sched(1), sched(2)
    assert opt.lr == 0.125
    assert opt.hyper["lr"] == 0.25


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_skipped_steps_do_not_advance(backend: str) -> None:
    w = np.zeros(2)
    opt = cls_for(backend, "SGD")(
        [w], lr=ref.ExponentialLR(lr=1.0, gamma=0.5), nonfinite="skip"
    )
    opt.step([np.ones(2)])
    opt.step([np.array([np.nan, 1.0])])
    assert (opt.step_count, opt.skipped_steps, opt.lr) == (1, 1, 0.5)
    opt.step([np.ones(2)])
    np.testing.assert_array_equal(w, [-1.5, -1.5])


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_assigning_lr(backend: str) -> None:
    opt = cls_for(backend, "Adam")(
        [np.ones(3)], lr=nat.ExponentialLR(lr=0.1, gamma=0.5)
    )
    opt.step([np.ones(3)])
    opt.lr = 0.02  # a float replaces the schedule
    assert opt.lr_schedule is None
    assert opt.lr == 0.02
    opt.step([np.ones(3)])
    assert opt.lr == 0.02
    sched = ref.StepLR(lr=1.0, step_size=2)
    opt.lr = sched  # a schedule is evaluated at the current step count, not restarted
    assert opt.lr_schedule is sched
    assert opt.lr == sched(2) == 0.1
    with pytest.raises(
        ValueError, match=r"^Adam: lr must be a finite number >= 0, got -1.0$"
    ):
        opt.lr = -1.0
    assert opt.lr_schedule is sched  # unchanged on error


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_lr_type_errors(backend: str) -> None:
    cls = cls_for(backend, "SGD")
    with pytest.raises(TypeError, match=r"^SGD: lr cannot be a ReduceLROnPlateau"):
        cls([np.ones(2)], lr=nat.ReduceLROnPlateau(lr=0.1))
    with pytest.raises(
        TypeError, match=r"^SGD: lr must be a real number or a steepest schedule"
    ):
        cls([np.ones(2)], lr=lambda t: 0.1)
    opt = cls([np.ones(2)], lr=0.1)
    with pytest.raises(
        TypeError, match=r"^SGD: lr must be a real number or a steepest schedule"
    ):
        opt.lr = lambda t: 0.1  # type: ignore[assignment]
    assert opt.lr == 0.1


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_state_dict_round_trip_with_schedule(backend: str) -> None:
    cls = cls_for(backend, "AdamW")
    params, grads = params_and_grads(20)
    sched = schedule(nat, 0.01)
    opt = cls(params, lr=sched, weight_decay=0.1)
    for g in grads[:7]:
        opt.step(g)
    saved = opt.state_dict()
    assert saved["lr_schedule"] == sched.to_native()
    assert saved["hyperparameters"]["lr"] == sched(7)  # the lr of the next step
    frozen = copy.deepcopy(saved["lr_schedule"])
    # Resume in a fresh optimizer built with a plain lr: the schedule comes back.
    resumed = [p.copy() for p in params]
    opt2 = cls(resumed, lr=0.5, weight_decay=0.1)
    opt2.load_state_dict(saved)
    assert opt2.lr_schedule == sched
    assert opt2.lr == sched(7)
    assert opt2.step_count == 7
    module = nat if backend == "native" else ref  # rebuilt with the optimizer's backend
    assert type(opt2.lr_schedule) is module.SequentialLR
    for g in grads[7:]:
        opt.step(g)
        opt2.step(g)
    for a, b in zip(params, resumed, strict=True):
        np.testing.assert_array_equal(a, b)
    assert saved["lr_schedule"] == frozen
    # A plain-lr state dict removes the schedule.
    plain = cls([np.ones(5), np.ones((2, 3), np.float32)], lr=0.3, weight_decay=0.1)
    opt2.load_state_dict(plain.state_dict())
    assert opt2.lr_schedule is None
    assert opt2.lr == 0.3


def test_bad_saved_schedule_changes_nothing() -> None:
    opt = steepest.SGD([np.ones(2)], lr=0.1, momentum=0.9)
    opt.step([np.ones(2)])
    sd = opt.state_dict()
    sd["lr_schedule"] = {"kind": "StepLR", "lr": 0.1, "step_size": 0, "gamma": 0.1}
    before = copy.deepcopy(opt.state_dict())
    with pytest.raises(
        ValueError,
        match=r"^SGD\.load_state_dict: lr_schedule is not a valid "
        r"schedule description \(StepLR: step_size must be",
    ):
        opt.load_state_dict(sd)
    after = opt.state_dict()
    assert after["lr_schedule"] is None
    assert after["step"] == before["step"]
    np.testing.assert_array_equal(
        after["state"]["momentum_buffer"][0], before["state"]["momentum_buffer"][0]
    )


def test_float_lr_state_dict_unchanged() -> None:
    opt = steepest.Adam([np.ones(2)], lr=0.01)
    sd = opt.state_dict()
    assert sd["lr_schedule"] is None
    assert sd["hyperparameters"]["lr"] == 0.01
    legacy = {k: v for k, v in sd.items() if k != "lr_schedule"}  # older dicts load too
    opt.load_state_dict(legacy)
    assert opt.lr == 0.01
    assert "StepLR" not in repr(opt)
    opt.lr = nat.StepLR(lr=0.1, step_size=3)
    assert "lr=StepLR(lr=0.1, step_size=3, gamma=0.1)" in repr(opt)
