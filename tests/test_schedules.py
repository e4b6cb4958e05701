"""Learning-rate schedules: native == reference, hand-computed values, torch, validation.

One table of cases (every kind, a spread of settings) drives the parity tests:
the C++ evaluation equals the Python reference bit for bit over 10,000 steps,
and, when torch is installed, ``values(n)`` equals the lr sequence of the torch
scheduler of the same settings (relative 1e-10: torch is mostly recursive).
"""

from __future__ import annotations

import copy
import doctest
import math
import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import steepest
from hypothesis import given, settings
from hypothesis import strategies as st
from steepest import _core
from steepest import schedules as nat
from steepest.reference import _schedules_periodic
from steepest.reference import schedules as ref

N = 10_000
TORCH_N = 3_000

Case = tuple[str, str, dict[str, Any]]


def _seq(
    *children: tuple[str, dict[str, Any]], milestones: list[int]
) -> dict[str, Any]:
    return {"schedulers": list(children), "milestones": milestones}


CASES: list[Case] = [
    ("constant", "Constant", {"lr": 0.1}),
    ("constantlr-default", "ConstantLR", {"lr": 0.1}),
    ("constantlr", "ConstantLR", {"lr": 0.1, "factor": 0.3, "total_iters": 100}),
    ("constantlr-zero", "ConstantLR", {"lr": 0.1, "factor": 0.0, "total_iters": 0}),
    ("linear-default", "LinearLR", {"lr": 0.1}),
    ("linear-warmup", "LinearLR", {"lr": 0.1, "start_factor": 0.01, "total_iters": 777}),
    ("linear-decay", "LinearLR",
     {"lr": 0.1, "start_factor": 1.0, "end_factor": 0.0, "total_iters": 2500}),
    ("step", "StepLR", {"lr": 0.1, "step_size": 300, "gamma": 0.7}),
    ("step-1", "StepLR", {"lr": 1.0, "step_size": 1, "gamma": 0.999}),
    ("multistep", "MultiStepLR", {"lr": 0.1, "milestones": [10, 500, 2000], "gamma": 0.3}),
    ("multistep-0", "MultiStepLR", {"lr": 0.1, "milestones": [0, 1, 9000]}),
    ("exponential", "ExponentialLR", {"lr": 0.1, "gamma": 0.999}),
    ("exponential-up", "ExponentialLR", {"lr": 1e-6, "gamma": 1.001}),
    ("inverse-time", "InverseTimeLR", {"lr": 0.5, "decay_rate": 0.01}),
    ("inverse-time-stair", "InverseTimeLR",
     {"lr": 0.5, "decay_rate": 0.5, "decay_steps": 100, "staircase": True}),
    ("poly-default", "PolynomialLR", {"lr": 0.1}),
    ("poly", "PolynomialLR", {"lr": 0.1, "total_iters": 2000, "power": 0.9}),
    ("poly-2", "PolynomialLR", {"lr": 0.1, "total_iters": 2999, "power": 2.0}),
    ("cosine", "CosineAnnealingLR", {"lr": 0.1, "T_max": 1000}),
    ("cosine-periodic", "CosineAnnealingLR", {"lr": 0.1, "T_max": 333, "eta_min": 1e-3}),
    ("restarts", "CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 100}),
    ("restarts-mult2", "CosineAnnealingWarmRestarts",
     {"lr": 0.1, "T_0": 10, "T_mult": 2, "eta_min": 1e-3}),
    ("restarts-mult3", "CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 7, "T_mult": 3}),
    ("cyclic", "CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 200}),
    ("cyclic-tri2", "CyclicLR",
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 150, "step_size_down": 350,
      "mode": "triangular2"}),
    ("cyclic-exp", "CyclicLR",
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 250, "mode": "exp_range",
      "gamma": 0.999}),
    ("cyclic-flat", "CyclicLR", {"base_lr": 0.05, "max_lr": 0.05, "step_size_up": 3}),
    ("onecycle", "OneCycleLR", {"max_lr": 0.1, "total_steps": TORCH_N}),
    ("onecycle-linear3", "OneCycleLR",
     {"max_lr": 0.1, "total_steps": TORCH_N, "anneal_strategy": "linear", "three_phase": True,
      "pct_start": 0.25}),
    ("onecycle-epochs3", "OneCycleLR",
     {"max_lr": 0.1, "epochs": 10, "steps_per_epoch": 300, "three_phase": True}),
    ("onecycle-odd", "OneCycleLR",
     {"max_lr": 1.0, "total_steps": 2999, "pct_start": 0.37, "div_factor": 10.0,
      "final_div_factor": 100.0}),
    ("seq-warmup-cosine", "SequentialLR",
     _seq(("LinearLR", {"lr": 0.1, "start_factor": 0.01, "total_iters": 100}),
          ("CosineAnnealingLR", {"lr": 0.1, "T_max": 2900}), milestones=[100])),
    ("seq-three", "SequentialLR",
     _seq(("ConstantLR", {"lr": 0.1, "factor": 0.1, "total_iters": 20}),
          ("ExponentialLR", {"lr": 0.1, "gamma": 0.999}),
          ("StepLR", {"lr": 0.1, "step_size": 100}), milestones=[50, 1000])),
    ("seq-restarts", "SequentialLR",
     _seq(("LinearLR", {"lr": 0.1, "start_factor": 0.1, "total_iters": 50}),
          ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 100, "T_mult": 2}),
          milestones=[50])),
    ("seq-cyclic", "SequentialLR",
     _seq(("LinearLR", {"lr": 0.1, "start_factor": 0.1, "total_iters": 50}),
          ("CyclicLR", {"base_lr": 0.1, "max_lr": 0.2, "step_size_up": 100}),
          milestones=[50])),
    ("seq-nested", "SequentialLR",
     _seq(("SequentialLR", _seq(("Constant", {"lr": 0.01}), ("Constant", {"lr": 0.02}),
                                milestones=[5])),
          ("CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 30}), milestones=[20])),
]  # fmt: skip
IDS = [c[0] for c in CASES]
# Not compared with torch: Constant (no torch kind; InverseTimeLR is compared through LambdaLR),
# the nested SequentialLR (torch does not support nesting SequentialLR cleanly: it warns), and
# ConstantLR(factor=0, total_iters=0), where torch's recursion multiplies by the factor at
# t = 0 and never divides it out again (its closed form gives lr, as here).
NO_TORCH = {"constant", "seq-nested", "constantlr-zero"}


def make(module: Any, kind: str, kwargs: dict[str, Any]) -> Any:
    if kind == "SequentialLR":
        children = [make(module, k, kw) for k, kw in kwargs["schedulers"]]
        return module.SequentialLR(children, kwargs["milestones"])
    return getattr(module, kind)(**kwargs)


# -- native == reference ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "kwargs"), CASES, ids=IDS)
def test_native_equals_reference(name: str, kind: str, kwargs: dict[str, Any]) -> None:
    native, reference = make(nat, kind, kwargs), make(ref, kind, kwargs)
    assert native == reference
    assert native.to_native() == reference.to_native()
    got, want = native.values(N), reference.values(N)
    assert got.dtype == np.float64
    assert got.shape == (N,)
    assert np.all(np.isfinite(want))
    assert np.all(want >= 0)
    # Bit for bit (the brief asks rel <= 1e-12; the same operations make it exact).
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(_core.schedule_values(reference.to_native(), N), want)
    for t in (0, 1, 99, 100, 101, 2999, 3000, N - 1, 12_345_678, 2**53 - 1):
        expected = want[t] if t < N else reference(t)
        assert native(t) == expected
        assert reference(t) == expected
        assert isinstance(native(t), float)
        assert isinstance(reference(t), float)
    np.testing.assert_array_equal(native.values(50, start=4990), want[4990:5040])
    np.testing.assert_array_equal(reference.values(50, start=4990), want[4990:5040])
    assert native.values(0).shape == (0,)


_ints = st.integers(1, 10**6)
_lr = st.floats(0.0, 10.0, allow_subnormal=False)
RANDOM_SCHEDULES = st.one_of(
    st.builds(lambda lr, s, g: nat.StepLR(lr=lr, step_size=s, gamma=g),
              _lr, _ints, st.floats(0.01, 2.0)),
    st.builds(lambda lr, n, p: nat.PolynomialLR(lr=lr, total_iters=n, power=p),
              _lr, _ints, st.floats(0.0, 5.0)),
    st.builds(lambda lr, n, e: nat.CosineAnnealingLR(lr=lr, T_max=n, eta_min=e), _lr, _ints, _lr),
    st.builds(lambda lr, n, m: nat.CosineAnnealingWarmRestarts(lr=lr, T_0=n, T_mult=m),
              _lr, _ints, st.integers(1, 2**20)),
    st.builds(lambda lo, h, up, down, mode, g: nat.CyclicLR(
                  base_lr=lo, max_lr=lo + h, step_size_up=up, step_size_down=down, mode=mode,
                  gamma=g),
              _lr, _lr, _ints, _ints, st.sampled_from(["triangular", "triangular2", "exp_range"]),
              st.floats(0.5, 1.0)),
    st.builds(lambda lr, n, p, a, three: nat.OneCycleLR(
                  max_lr=lr, total_steps=n + 10, pct_start=p, anneal_strategy=a,
                  three_phase=three),
              _lr, _ints, st.floats(0.1, 1.0), st.sampled_from(["cos", "linear"]), st.booleans()),
    st.builds(lambda lr, a, b, n: nat.LinearLR(lr=lr, start_factor=a, end_factor=b,
                                               total_iters=n),
              _lr, st.floats(1e-3, 1.0), st.floats(0.0, 1.0), _ints),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    native=RANDOM_SCHEDULES,
    ts=st.lists(st.integers(0, 2**53 - 1), min_size=1, max_size=20),
)
def test_random_settings_native_equals_reference(native: Any, ts: list[int]) -> None:
    """Random parameters and step indices up to 2**53 - 1: bit for bit."""
    reference = ref.from_native(native.to_native())
    # (assert_array_equal counts NaN == NaN: lr=0 times an overflowed gamma**t is NaN in both)
    np.testing.assert_array_equal([native(t) for t in ts], [reference(t) for t in ts])
    np.testing.assert_array_equal(
        native.values(64, start=ts[0] // 2), reference.values(64, start=ts[0] // 2)
    )


# -- values computed by hand at the boundaries ----------------------------------------------


def _known() -> list[tuple[str, str, dict[str, Any], dict[int, float]]]:
    c = math.cos
    return [
        ("constantlr-switch", "ConstantLR", {"lr": 2.0, "factor": 0.25, "total_iters": 3},
         {0: 0.5, 2: 0.5, 3: 2.0, 10**9: 2.0}),
        ("linear-end-of-warmup", "LinearLR",
         {"lr": 2.0, "start_factor": 0.5, "end_factor": 1.0, "total_iters": 4},
         {0: 1.0, 1: 1.25, 2: 1.5, 3: 1.75, 4: 2.0, 5: 2.0}),
        ("step-boundary", "StepLR", {"lr": 1.0, "step_size": 30, "gamma": 0.5},
         {0: 1.0, 29: 1.0, 30: 0.5, 59: 0.5, 60: 0.25, 90: 0.125}),
        ("multistep-milestones", "MultiStepLR", {"lr": 1.0, "milestones": [2, 5], "gamma": 0.1},
         {1: 1.0, 2: 0.1, 4: 0.1, 5: 1.0 * math.pow(0.1, 2.0)}),
        ("exponential", "ExponentialLR", {"lr": 3.0, "gamma": 0.5}, {0: 3.0, 1: 1.5, 10: 3 / 1024}),
        ("inverse-time", "InverseTimeLR", {"lr": 1.0, "decay_rate": 0.5},
         {0: 1.0, 2: 0.5, 6: 0.25}),
        ("inverse-time-stair", "InverseTimeLR",
         {"lr": 1.0, "decay_rate": 1.0, "decay_steps": 10, "staircase": True},
         {9: 1.0, 10: 0.5, 19: 0.5, 20: 1 / 3}),
        ("poly-end", "PolynomialLR", {"lr": 1.0, "total_iters": 10, "power": 2.0},
         {0: 1.0, 5: 0.25, 10: 0.0, 11: 0.0}),
        ("cosine-ends", "CosineAnnealingLR", {"lr": 1.0, "T_max": 10, "eta_min": 0.5},
         {0: 1.0, 5: 0.75, 10: 0.5, 20: 1.0}),
        # restarts at t = 10, 30, 70 (periods 10, 20, 40); the step before a restart
        ("restart-points", "CosineAnnealingWarmRestarts", {"lr": 1.0, "T_0": 10, "T_mult": 2},
         {0: 1.0, 5: 0.5, 9: (1 + c(math.pi * 9 / 10)) / 2, 10: 1.0, 20: 0.5,
          29: (1 + c(math.pi * 19 / 20)) / 2, 30: 1.0, 70: 1.0, 150: 1.0}),
        ("restart-mult1", "CosineAnnealingWarmRestarts", {"lr": 1.0, "T_0": 4},
         {0: 1.0, 2: 0.5, 4: 1.0, 400: 1.0, 402: 0.5}),
        # cycle peaks at t = step_size_up (+ k * (up + down)); troughs at multiples of up + down
        ("cyclic-peak", "CyclicLR", {"base_lr": 1.0, "max_lr": 3.0, "step_size_up": 4,
                                     "step_size_down": 6},
         {0: 1.0, 2: 2.0, 4: 3.0, 7: 2.0, 10: 1.0, 14: 3.0}),
        ("cyclic-tri2-peaks", "CyclicLR", {"base_lr": 1.0, "max_lr": 3.0, "step_size_up": 5,
                                           "mode": "triangular2"},
         {5: 3.0, 10: 1.0, 15: 2.0, 25: 1.5}),
        ("cyclic-exp-peak", "CyclicLR", {"base_lr": 0.0, "max_lr": 1.0, "step_size_up": 5,
                                         "mode": "exp_range", "gamma": 0.5},
         {5: 0.5**5, 15: 0.5**15}),
        # pct_start * T - 1 = 4: the peak; T - 1: min_lr = max / 4 / 8
        ("onecycle-peak", "OneCycleLR",
         {"max_lr": 1.0, "total_steps": 10, "pct_start": 0.5, "div_factor": 4.0,
          "final_div_factor": 8.0},
         {0: 0.25, 2: 0.625, 4: 1.0, 9: 1 / 32, 10: 1 / 32, 10**6: 1 / 32}),
        ("onecycle-three", "OneCycleLR",
         {"max_lr": 1.0, "total_steps": 20, "pct_start": 0.25, "anneal_strategy": "linear",
          "div_factor": 4.0, "final_div_factor": 8.0, "three_phase": True},
         {0: 0.25, 4: 1.0, 8: 0.25, 19: 1 / 32}),
    ]  # fmt: skip


@pytest.mark.parametrize("module", [nat, ref], ids=["native", "reference"])
@pytest.mark.parametrize(
    ("name", "kind", "kwargs", "known"), _known(), ids=[k[0] for k in _known()]
)
def test_known_values(
    module: Any, name: str, kind: str, kwargs: dict, known: dict
) -> None:
    sched = make(module, kind, kwargs)
    for t, value in known.items():
        assert sched(t) == pytest.approx(value, rel=1e-14, abs=1e-15), t


def test_sequential_switches_at_milestones() -> None:
    for module in (nat, ref):
        warm = module.LinearLR(lr=1.0, start_factor=0.5, total_iters=4)
        cos = module.CosineAnnealingLR(lr=1.0, T_max=10)
        seq = module.SequentialLR(
            [warm, cos, module.Constant(lr=0.125)], milestones=[4, 14]
        )
        assert [seq(t) for t in (0, 3)] == [0.5, 0.875]
        assert seq(4) == 1.0  # end of warm-up: the cosine starts at its own t = 0
        assert seq(9) == pytest.approx(0.5)
        assert seq(13) == cos(9)
        assert seq(14) == 0.125
        assert seq(10**12) == 0.125


# -- torch ------------------------------------------------------------------------------------


def torch_scheduler(torch: Any, opt: Any, desc: dict[str, Any]) -> Any:
    """The torch scheduler of a description (children share the optimizer's lr)."""
    lrs = torch.optim.lr_scheduler
    d = {k: v for k, v in desc.items() if k not in ("kind", "lr")}
    kind = desc["kind"]
    if kind == "SequentialLR":
        children = [torch_scheduler(torch, opt, c) for c in d["schedulers"]]
        return lrs.SequentialLR(opt, children, d["milestones"])
    if kind == "InverseTimeLR":
        rate, steps, stair = d["decay_rate"], d["decay_steps"], d["staircase"]
        return lrs.LambdaLR(
            opt, lambda t: 1 / (1 + rate * (t // steps if stair else t / steps))
        )
    return getattr(lrs, kind)(opt, **d)


def torch_values(torch: Any, desc: dict[str, Any], lr: float, n: int) -> np.ndarray:
    """lr of optimizer steps 1..n: torch's get_last_lr() before each optimizer.step()."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr, momentum=0.0)
    sched = torch_scheduler(torch, opt, desc)
    out = np.empty(n)
    for k in range(n):
        out[k] = sched.get_last_lr()[0]
        assert out[k] == opt.param_groups[0]["lr"]
        opt.step()
        sched.step()
    return out


def _first_lr(desc: dict[str, Any]) -> float:
    return float(desc["lr"]) if "lr" in desc else _first_lr(desc["schedulers"][0])


@pytest.mark.parametrize(
    ("name", "kind", "kwargs"),
    [c for c in CASES if c[0] not in NO_TORCH and c[1] != "Constant"],
    ids=[c[0] for c in CASES if c[0] not in NO_TORCH and c[1] != "Constant"],
)
def test_values_equal_torch(name: str, kind: str, kwargs: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    sched = make(nat, kind, kwargs)
    desc = sched.to_native()
    lr = _first_lr(desc) if kind not in ("CyclicLR", "OneCycleLR") else 0.123
    n = min(
        TORCH_N, desc.get("total_steps", TORCH_N)
    )  # torch's OneCycleLR raises after
    want = torch_values(torch, desc, lr, n)
    # Closed form here vs torch's recursion: equal up to rounding (measured: <= 1.4e-13 on
    # this table; 2.5e-12 for a cosine near 0 after 10,000 steps), direct kinds exactly.
    np.testing.assert_allclose(sched.values(n), want, rtol=1e-10, atol=0)


# -- validation: clear errors, the same from the Python classes and the C++ parser -----------


BAD: list[tuple[str, str, dict[str, Any], type[Exception], str]] = [
    ("step-size-0", "StepLR", {"lr": 0.1, "step_size": 0},
     ValueError, "StepLR: step_size must be an int >= 1, got 0"),
    ("step-size-neg", "StepLR", {"lr": 0.1, "step_size": -3},
     ValueError, "StepLR: step_size must be an int >= 1, got -3"),
    ("step-size-float", "StepLR", {"lr": 0.1, "step_size": 2.5},
     TypeError, "StepLR: step_size must be an int >= 1, got 2.5"),
    ("step-size-huge", "StepLR", {"lr": 0.1, "step_size": 2**53},
     ValueError, "StepLR: step_size must be < 2**53, got 9007199254740992"),
    ("step-gamma-0", "StepLR", {"lr": 0.1, "step_size": 2, "gamma": 0.0},
     ValueError, "StepLR: gamma must be a finite number > 0, got 0.0"),
    ("lr-neg", "ExponentialLR", {"lr": -0.1, "gamma": 0.9},
     ValueError, "ExponentialLR: lr must be a finite number >= 0, got -0.1"),
    ("lr-nan", "CosineAnnealingLR", {"lr": math.nan, "T_max": 3},
     ValueError, "CosineAnnealingLR: lr must be a finite number >= 0, got nan"),
    ("lr-str", "StepLR", {"lr": "0.1", "step_size": 2},
     TypeError, "StepLR: lr must be a real number, got str"),
    ("t-max-0", "CosineAnnealingLR", {"lr": 0.1, "T_max": 0},
     ValueError, "CosineAnnealingLR: T_max must be an int >= 1, got 0"),
    ("t0-0", "CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 0},
     ValueError, "CosineAnnealingWarmRestarts: T_0 must be an int >= 1, got 0"),
    ("tmult-0", "CosineAnnealingWarmRestarts", {"lr": 0.1, "T_0": 5, "T_mult": 0},
     ValueError, "CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got 0"),
    ("poly-iters-0", "PolynomialLR", {"lr": 0.1, "total_iters": 0},
     ValueError, "PolynomialLR: total_iters must be an int >= 1, got 0"),
    ("poly-power-neg", "PolynomialLR", {"lr": 0.1, "power": -1.0},
     ValueError, "PolynomialLR: power must be a finite number >= 0, got -1.0"),
    ("linear-iters-0", "LinearLR", {"lr": 0.1, "total_iters": 0},
     ValueError, "LinearLR: total_iters must be an int >= 1, got 0"),
    ("linear-start-0", "LinearLR", {"lr": 0.1, "start_factor": 0.0},
     ValueError, "LinearLR: start_factor must be in (0, 1], got 0.0"),
    ("linear-end-2", "LinearLR", {"lr": 0.1, "end_factor": 2.0},
     ValueError, "LinearLR: end_factor must be in [0, 1], got 2.0"),
    ("constant-factor", "ConstantLR", {"lr": 0.1, "factor": 1.5},
     ValueError, "ConstantLR: factor must be in [0, 1], got 1.5"),
    ("inverse-steps-0", "InverseTimeLR", {"lr": 0.1, "decay_rate": 1.0, "decay_steps": 0},
     ValueError, "InverseTimeLR: decay_steps must be an int >= 1, got 0"),
    ("inverse-stair-int", "InverseTimeLR", {"lr": 0.1, "decay_rate": 1.0, "staircase": 1},
     TypeError, "InverseTimeLR: staircase must be a bool, got int"),
    *[(f"milestones-{name}", "MultiStepLR", {"lr": 0.1, "milestones": bad}, exc,
       f"MultiStepLR: milestones must be a list of strictly increasing ints >= 0, got {bad}")
      for name, bad, exc in [("decreasing", [30, 10], ValueError),
                             ("repeated", [10, 10], ValueError), ("neg", [-1], ValueError),
                             ("float", [1.5], TypeError), ("int", 5, TypeError)]],
    ("cyclic-max-below-base", "CyclicLR", {"base_lr": 0.1, "max_lr": 0.01},
     ValueError, "CyclicLR: max_lr must be >= base_lr, got max_lr=0.01 < base_lr=0.1"),
    ("cyclic-mode", "CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "sawtooth"},
     ValueError, ("CyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', "
                  "got 'sawtooth'")),
    ("cyclic-up-0", "CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0},
     ValueError, "CyclicLR: step_size_up must be an int >= 1, got 0"),
    ("cyclic-down-0", "CyclicLR",
     {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 0},
     ValueError, "CyclicLR: step_size_down must be an int >= 1, got 0"),
    ("onecycle-steps-0", "OneCycleLR", {"max_lr": 0.1, "total_steps": 0},
     ValueError, "OneCycleLR: total_steps must be an int >= 1, got 0"),
    ("onecycle-pct", "OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "pct_start": 1.5},
     ValueError, "OneCycleLR: pct_start must be in (0, 1], got 1.5"),
    ("onecycle-short-warmup", "OneCycleLR", {"max_lr": 0.1, "total_steps": 3},
     ValueError, ("OneCycleLR: pct_start * total_steps must be > 1 (a warm-up phase of "
                  "positive length), got 0.3 * 3")),
    ("onecycle-anneal", "OneCycleLR", {"max_lr": 0.1, "total_steps": 100,
                                       "anneal_strategy": "exp"},
     ValueError, "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got 'exp'"),
    ("onecycle-div-0", "OneCycleLR", {"max_lr": 0.1, "total_steps": 100, "div_factor": 0.0},
     ValueError, "OneCycleLR: div_factor must be a finite number > 0, got 0.0"),
]  # fmt: skip

BAD_PYTHON_ONLY: list[tuple[str, Any, type[Exception], str]] = [
    ("onecycle-no-steps", lambda m: m.OneCycleLR(max_lr=0.1),
     ValueError, "OneCycleLR: give total_steps, or both epochs and steps_per_epoch"),
    ("onecycle-epochs-0", lambda m: m.OneCycleLR(max_lr=0.1, epochs=0, steps_per_epoch=5),
     ValueError, "OneCycleLR: epochs must be an int >= 1, got 0"),
    ("seq-empty", lambda m: m.SequentialLR([], []),
     ValueError, "SequentialLR: schedulers must not be empty"),
    ("seq-plateau", lambda m: m.SequentialLR([m.ReduceLROnPlateau(lr=0.1)], []),
     TypeError, ("SequentialLR: schedulers[0] must be a schedule (a function of the step), "
                 "got ReduceLROnPlateau")),
    ("seq-count", lambda m: m.SequentialLR([m.Constant(lr=0.1)] * 2, [5, 6]),
     ValueError, "SequentialLR: milestones must have len(schedulers) - 1 = 1 entries, got 2"),
    ("seq-milestone-0", lambda m: m.SequentialLR([m.Constant(lr=0.1)] * 2, [0]),
     ValueError, ("SequentialLR: milestones must be a list of strictly increasing ints >= 1, "
                  "got [0]")),
    ("plateau-factor-1", lambda m: m.ReduceLROnPlateau(lr=0.1, factor=1.0),
     ValueError, "ReduceLROnPlateau: factor must be in (0, 1), got 1.0"),
    ("plateau-factor-0", lambda m: m.ReduceLROnPlateau(lr=0.1, factor=0.0),
     ValueError, "ReduceLROnPlateau: factor must be in (0, 1), got 0.0"),
    ("plateau-mode", lambda m: m.ReduceLROnPlateau(lr=0.1, mode="maximum"),
     ValueError, "ReduceLROnPlateau: mode must be 'min' or 'max', got 'maximum'"),
    ("plateau-threshold-mode", lambda m: m.ReduceLROnPlateau(lr=0.1, threshold_mode="pct"),
     ValueError, "ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got 'pct'"),
    ("plateau-patience", lambda m: m.ReduceLROnPlateau(lr=0.1, patience=-1),
     ValueError, "ReduceLROnPlateau: patience must be an int >= 0, got -1"),
    ("plateau-metric-nan", lambda m: m.ReduceLROnPlateau(lr=0.1).update(math.nan),
     ValueError, "ReduceLROnPlateau.update: metric must be finite, got nan"),
    ("plateau-metric-inf", lambda m: m.ReduceLROnPlateau(lr=0.1).update(-math.inf),
     ValueError, "ReduceLROnPlateau.update: metric must be finite, got -inf"),
]  # fmt: skip


def _full_desc(kind: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """A valid description of ``kind`` with ``kwargs`` written over it (no validation)."""
    valid = {
        "StepLR": {"lr": 0.1, "step_size": 2},
        "MultiStepLR": {"lr": 0.1, "milestones": [1]},
        "ExponentialLR": {"lr": 0.1, "gamma": 0.9},
        "InverseTimeLR": {"lr": 0.1, "decay_rate": 1.0},
        "CosineAnnealingLR": {"lr": 0.1, "T_max": 3},
        "CosineAnnealingWarmRestarts": {"lr": 0.1, "T_0": 3},
        "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1},
        "OneCycleLR": {"max_lr": 0.1, "total_steps": 100},
    }.get(kind, {"lr": 0.1})
    desc = getattr(ref, kind)(**valid).to_native()
    desc.update(kwargs)
    return desc


@pytest.mark.parametrize(
    ("name", "kind", "kwargs", "exc", "message"), BAD, ids=[b[0] for b in BAD]
)
def test_bad_arguments(
    name: str, kind: str, kwargs: dict, exc: type, message: str
) -> None:
    for module in (nat, ref):
        with pytest.raises(exc) as info:
            getattr(module, kind)(**kwargs)
        assert str(info.value) == message
    desc = _full_desc(kind, kwargs)
    for parse in (_core.Schedule, ref.from_native, nat.from_native):
        with pytest.raises(exc) as info:
            parse(desc)
        assert str(info.value) == message, parse


@pytest.mark.parametrize(
    ("name", "build", "exc", "message"),
    BAD_PYTHON_ONLY,
    ids=[b[0] for b in BAD_PYTHON_ONLY],
)
def test_bad_arguments_python(name: str, build: Any, exc: type, message: str) -> None:
    for module in (nat, ref):
        with pytest.raises(exc) as info:
            build(module)
        assert str(info.value) == message


@pytest.mark.parametrize(
    ("desc", "exc", "message"),
    [
        ([("kind", "StepLR")], TypeError,
         "schedule description: must be a dict with a 'kind', got list"),
        ({"lr": 0.1}, ValueError, "schedule description: has no 'kind'"),
        ({"kind": "LambdaLR"}, ValueError, "schedule description: unknown kind 'LambdaLR'"),
        ({"kind": "StepLR", "lr": 0.1}, ValueError,
         "StepLR: description lacks ['step_size', 'gamma']"),
        ({"kind": "ExponentialLR", "lr": 0.1, "gamma": 0.5, "gama": 0.5}, ValueError,
         "ExponentialLR: description has unknown keys ['gama']"),
        ({"kind": "SequentialLR", "schedulers": [{"kind": "Constant", "lr": 0.1}, 3],
          "milestones": [2]}, TypeError,
         "schedule description: must be a dict with a 'kind', got int"),
        ({"kind": "SequentialLR", "schedulers": "abc", "milestones": []}, TypeError,
         "SequentialLR: schedulers must be a list of schedules, got str"),
    ],
    ids=["not-dict", "no-kind", "unknown-kind", "missing", "unknown-key", "bad-child", "children"],
)  # fmt: skip
def test_bad_descriptions(desc: Any, exc: type, message: str) -> None:
    for parse in (
        _core.Schedule,
        ref.from_native,
        lambda d: _core.schedule_values(d, 3),
    ):
        with pytest.raises(exc) as info:
            parse(desc)
        assert str(info.value) == message


@pytest.mark.parametrize("module", [nat, ref], ids=["native", "reference"])
def test_bad_step_index(module: Any) -> None:
    sched = module.StepLR(lr=0.1, step_size=3)
    cases = [
        (-1, ValueError, "StepLR: t must be an int >= 0, got -1"),
        (1.0, TypeError, "StepLR: t must be an int >= 0, got 1.0"),
        (True, TypeError, "StepLR: t must be an int >= 0, got True"),
        (2**53, ValueError, "StepLR: t must be < 2**53, got 9007199254740992"),
    ]
    for t, exc, message in cases:
        with pytest.raises(exc) as info:
            sched(t)
        assert str(info.value) == message
    with pytest.raises(
        ValueError, match=r"^StepLR\.values: n must be an int >= 0, got -2$"
    ):
        sched.values(-2)
    with pytest.raises(
        ValueError, match=r"^StepLR\.values: start \+ n must be <= 2\*\*53"
    ):
        sched.values(10, start=2**53 - 5)
    assert sched(np.int64(7)) == sched(7)
    assert sched.values(np.uint8(3)).shape == (3,)


# -- objects: descriptions, equality, immutability ------------------------------------------


@pytest.mark.parametrize(("name", "kind", "kwargs"), CASES, ids=IDS)
def test_description_round_trip(name: str, kind: str, kwargs: dict[str, Any]) -> None:
    native = make(nat, kind, kwargs)
    desc = native.to_native()
    assert desc["kind"] == kind
    again = nat.from_native(desc)
    assert type(again) is type(native)
    assert again == native
    assert hash(again) == hash(native)
    twin = ref.from_native(desc)
    assert type(twin) is getattr(ref, kind)
    assert twin == native
    assert eval(repr(twin), vars(ref)) == twin  # repr is the constructor call


@pytest.mark.parametrize("module", [nat, ref], ids=["native", "reference"])
def test_copy_and_pickle(module: Any) -> None:
    sched = module.SequentialLR(
        [module.LinearLR(lr=0.1), module.StepLR(lr=0.1, step_size=3)], milestones=[5]
    )
    sched.values(3)  # the native class caches its compiled twin
    for twin in (copy.deepcopy(sched), pickle.loads(pickle.dumps(sched))):
        assert type(twin) is type(sched)
        assert twin == sched
        np.testing.assert_array_equal(twin.values(20), sched.values(20))


def test_schedules_are_immutable() -> None:
    for module in (nat, ref):
        sched = module.StepLR(lr=0.1, step_size=3)
        with pytest.raises(AttributeError, match="StepLR: schedules are immutable"):
            sched.gamma = 0.5  # type: ignore[misc]
        assert sched.gamma == 0.1
    assert nat.StepLR(lr=0.1, step_size=3) != nat.StepLR(lr=0.1, step_size=4)
    assert nat.Constant(lr=0.1) != 0.1


# -- packaging ------------------------------------------------------------------------------


def test_reference_never_imports_core() -> None:
    code = (
        "import sys; sys.modules['steepest._core'] = None\n"
        "from steepest.reference import schedules as s\n"
        "seq = s.SequentialLR([s.LinearLR(lr=1.0), s.CosineAnnealingLR(lr=1.0, T_max=9)], [5])\n"
        "assert seq.values(20).shape == (20,)\n"
        "assert s.from_native(seq.to_native()) == seq\n"
        "assert sys.modules['steepest._core'] is None\n"
        "import steepest\n"
        "try:\n"
        "    steepest.schedules\n"
        "except ImportError as e:\n"
        "    assert 'steepest.reference' in str(e)\n"
        "else:\n"
        "    raise AssertionError\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exports() -> None:
    assert steepest.schedules is nat
    assert steepest.reference.schedules is ref
    assert set(nat.__all__) == set(ref.__all__)
    for name in nat.__all__:
        assert hasattr(nat, name)
        assert hasattr(ref, name)
        native, reference = getattr(nat, name), getattr(ref, name)
        if isinstance(native, type) and native is not reference and name != "Schedule":
            assert issubclass(native, reference)
            assert native.__doc__ == reference.__doc__


@pytest.mark.parametrize(
    "module",
    [nat, ref, _schedules_periodic],
    ids=["native", "reference", "periodic"],
)
def test_doctests(module: Any) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
