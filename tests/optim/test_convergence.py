"""Every optimizer actually optimises: an ill-conditioned quadratic and Rosenbrock.

Every case of the table (tests/_cases.py) and every rule of steepest._rules is
run. The learning rates and budgets below were chosen by a sweep (lr in
1e-3..1, float64, native backend); each threshold leaves a margin of at least
~5x over the value measured with the chosen settings, noted next to it. A case
or rule without a tuned entry (a new rule's) is run at each rate of ``LR_GRID``
in turn and passes at the first that converges; the failure message gives what
each reached, from which to add the tuned entry.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import RULES

from .._cases import CASE_IDS, CASES, Case

# The rates tried, smallest first, where no tuned one is given.
LR_GRID = (1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)

# f(x) = 0.5 * sum(a_i x_i^2), a_i geometric from 1 to 100: condition number 100.
CURVATURE = np.geomspace(1.0, 100.0, 10)
QUADRATIC_STEPS = 300
QUADRATIC_FRACTION = 1e-4  # f must fall below this fraction of f(x0)

# Per case: a learning rate that converges (SGD must stay below 2 / a_max = 0.02);
# a case not listed is swept over LR_GRID.
# The measured f / f(x0) after 300 float64 steps is in the comment.
QUADRATIC_LR = {
    "sgd": 0.01,  # 1.0e-05
    "sgd-wd-max": 0.01,  # 5.4e-06
    "momentum": 0.003,  # 8.4e-15
    "momentum-damp-wd": 0.003,  # 2.2e-10
    "nesterov": 0.003,  # 4.1e-16
    "nesterov-wd": 0.003,  # 1.9e-07
    "adagrad": 0.3,  # 1.2e-59
    "adagrad-decay-wd-max": 0.3,  # 1.5e-26
    "rmsprop": 0.01,  # 2.5e-20
    "rmsprop-centered": 0.01,  # 2.8e-22
    "rmsprop-momentum-wd": 0.001,  # 1.7e-07
    "rmsprop-centered-momentum-max": 0.003,  # 6.2e-10
    "adam": 0.03,  # 1.6e-14
    "adam-l2-max": 0.03,  # 1.7e-27
    "amsgrad": 0.03,  # 4.0e-14
    "amsgrad-l2": 0.03,  # 4.0e-14
    "adamw": 0.03,  # 1.1e-14
    "adamw-amsgrad": 0.03,  # 7.8e-15
    "adamax": 0.03,  # 3.7e-15
    "adamax-l2-eps-max": 0.03,  # 1.7e-28
    # Adadelta's steps start at about lr * sqrt(eps / (1 - rho)): above LR_GRID's top
    "adadelta": 2.0,  # 6.7e-38 (1.5 to 2.2 all below 1e-7)
    "adadelta-l2-rho-max": 0.03,  # 3.3e-06
}


def quadratic(x: np.ndarray) -> float:
    return float(0.5 * np.sum(CURVATURE * x.astype(np.float64) ** 2))


def test_tuned_rates_name_cases() -> None:
    # a stale entry (a renamed or removed case) would otherwise go unnoticed
    assert set(QUADRATIC_LR) <= set(CASE_IDS)


def first_converging(
    run: Any, rates: tuple[float, ...], goal: float, what: str
) -> None:
    """Pass if ``run(lr)`` (a distance to the optimum) falls below ``goal`` at a rate."""
    reached: dict[float, float] = {}
    for lr in rates:
        # an untuned rate may diverge (run returns inf): the next is tried
        with np.errstate(over="ignore", invalid="ignore"):
            reached[lr] = run(lr)
        if reached[lr] < goal:
            return
    pytest.fail(f"{what} did not reach {goal:g}; by lr: {reached}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_quadratic(case: Case, backend: str, dtype: type) -> None:
    # maximize=True cases ascend -f, whose gradient is -A x: the same minimiser.
    sign = -1.0 if case.cls_kwargs.get("maximize") else 1.0
    a = CURVATURE.astype(dtype)

    def run(lr: float) -> float:
        x = np.ones(CURVATURE.size, dtype)  # every eigendirection starts at 1
        f0 = quadratic(x)
        opt = getattr(steepest, case.cls)(
            [x], backend=backend, **dict(case.cls_kwargs, lr=lr)
        )
        for _ in range(QUADRATIC_STEPS):
            g = sign * a * x
            if not np.isfinite(g).all():
                return math.inf
            opt.step([g])
        assert opt.step_count == QUADRATIC_STEPS
        return quadratic(x) / f0

    tuned = QUADRATIC_LR.get(case.id)
    rates = LR_GRID if tuned is None else (tuned,)
    first_converging(run, rates, QUADRATIC_FRACTION, f"{case.id}: f / f(x0)")


def rosenbrock_grad(z: np.ndarray) -> np.ndarray:
    # f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, minimum at (1, 1).
    x, y = z
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


# (id, class, kwargs, steps, distance to (1, 1) required; measured in the comment).
ROSENBROCK: list[tuple[str, str, dict[str, Any], int, float]] = [
    ("sgd", "SGD", {"lr": 2e-3}, 3000, 0.03),  # 6e-3
    ("momentum", "SGD", {"lr": 1e-3, "momentum": 0.9}, 2000, 1e-3),  # 2.6e-4
    (
        "nesterov",
        "SGD",
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
        2000,
        1e-3,
    ),  # 1.7e-4
    ("adam", "Adam", {"lr": 0.05}, 2000, 1e-3),  # 2.9e-6
    (
        "rmsprop",
        "RMSprop",
        {"lr": 3e-3},
        5000,
        0.05,
    ),  # 8.2e-3 (constant lr: it oscillates)
    # Adagrad's step shrinks like 1/sqrt(t): slow along the curved valley.
    ("adagrad", "Adagrad", {"lr": 1.0}, 5000, 0.3),  # 8.9e-2
    ("adamax", "Adamax", {"lr": 0.03}, 5000, 1e-3),  # 5.2e-6
]


# Every rule without a row above gets one: its defaults but a swept lr, the
# budget of the slowest row and the distance of the loosest.
ROSENBROCK += [
    (r.name, r.cls, {}, 5000, 0.3)
    for r in RULES
    if r.cls not in {row[1] for row in ROSENBROCK}
]


@pytest.mark.parametrize(("cls", "kwargs", "steps", "distance"), [r[1:] for r in ROSENBROCK],
                         ids=[r[0] for r in ROSENBROCK])  # fmt: skip
def test_rosenbrock(cls: str, kwargs: dict[str, Any], steps: int, distance: float,
                    backend: str) -> None:  # fmt: skip
    start = math.dist((-1.5, 2.0), (1.0, 1.0))

    def run(lr: float) -> float:
        z = np.array([-1.5, 2.0])
        opt = getattr(steepest, cls)([z], backend=backend, **dict(kwargs, lr=lr))
        for _ in range(steps):
            g = rosenbrock_grad(z)
            if not np.isfinite(g).all():
                return math.inf
            opt.step([g])
        return math.dist(z, (1.0, 1.0))

    rates = (kwargs["lr"],) if "lr" in kwargs else LR_GRID
    first_converging(run, rates, min(distance, start), f"{cls} on Rosenbrock: distance")
