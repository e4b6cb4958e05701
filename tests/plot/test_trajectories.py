"""steepest.plot.trajectories: figures, PNGs, errors."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import steepest
from steepest.tools import minimize, quadratic_bowl, rosenbrock, saddle, two_minima

pytest.importorskip("matplotlib")
PNG = b"\x89PNG\r\n\x1a\n"


OPTIMIZERS = {
    "sgd": functools.partial(steepest.SGD, lr=1e-3),
    "momentum": functools.partial(steepest.SGD, lr=1e-3, momentum=0.9),
    "adam": functools.partial(steepest.Adam, lr=0.05),
}


@pytest.mark.parametrize("objective", [rosenbrock, saddle, two_minima, quadratic_bowl])
def test_trajectories_one_line_per_optimizer(objective: object, tmp_path: Path) -> None:
    obj = objective()  # type: ignore[operator]
    path = tmp_path / "traj.png"
    fig = steepest.plot.trajectories(obj, OPTIMIZERS, obj.start, steps=60, path=path)
    assert path.read_bytes()[:8] == PNG
    assert path.stat().st_size > 5000
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == len(OPTIMIZERS)
    assert [line.get_gid() for line in lines] == [f"trajectory:{k}" for k in OPTIMIZERS]
    assert ax.collections  # the contour set (and the scatter markers)
    # each line is the path of a real minimize run from the common start
    for line, factory in zip(lines, OPTIMIZERS.values(), strict=True):
        res = minimize(obj.f, obj.grad_f, obj.start, factory, tol=0.0, max_steps=60,
                       nonfinite="stop")  # fmt: skip
        np.testing.assert_array_equal(line.get_xdata(), res.path[:, 0])
        np.testing.assert_array_equal(line.get_ydata(), res.path[:, 1])
    assert ax.get_xlim() == obj.bounds[0]


def test_trajectories_names_plain_callables_and_divergence() -> None:
    fig = steepest.plot.trajectories(rosenbrock(), ["sgd", "adam"], steps=5, lr=1e-3)
    assert len(fig.axes[0].get_lines()) == 2
    fig = steepest.plot.trajectories(rosenbrock(), "adam", steps=5)
    assert len(fig.axes[0].get_lines()) == 1

    def f(x: np.ndarray) -> float:
        return float(x[0] ** 2 + 3 * x[1] ** 2)

    def grad(x: np.ndarray) -> np.ndarray:
        return np.array([2 * x[0], 6 * x[1]])

    # bounds from the paths; a diverging run ends at its last finite point
    fig = steepest.plot.trajectories(f, {"ok": "momentum", "too big": functools.partial(
        steepest.SGD, lr=2.0)}, [1.0, 1.0], grad_f=grad, steps=2000, levels=[0.5, 1, 2])  # fmt: skip
    ok, big = fig.axes[0].get_lines()
    assert "diverged" in str(big.get_label())
    assert np.isfinite(big.get_xydata()).all()
    assert "diverged" not in str(ok.get_label())


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((3.0, ["sgd"]), {}, TypeError, "f must be a steepest.tools.Objective"),
        ((lambda x: 0.0, ["sgd"], [0.0, 0.0]), {}, TypeError, "grad_f .* is required"),
        ((rosenbrock(), 3), {}, TypeError, "optimizers must be a dict"),
        ((rosenbrock(), {}), {}, ValueError, "optimizers is empty"),
        (
            (rosenbrock(), {"x": "lbfgs"}),
            {},
            ValueError,
            r"optimizers\['x'\]: minimize: optimizer must be one of",
        ),
        (
            (rosenbrock(), ["sgd"], [0.0, 0.0, 0.0]),
            {},
            ValueError,
            "start must have 2 entries",
        ),
        (
            (rosenbrock(), ["sgd"]),
            {"steps": 0},
            ValueError,
            "steps must be an int >= 1",
        ),
        ((rosenbrock(), ["sgd"]), {"bounds": (1, 2)}, TypeError, "bounds must be"),
        (
            (rosenbrock(), ["sgd"]),
            {"bounds": ((1, 0), (0, 1))},
            ValueError,
            "min < max",
        ),
        (
            (rosenbrock(), ["sgd"]),
            {"levels": 0},
            ValueError,
            "levels must be an int >= 1",
        ),
    ],
    ids=lambda v: None,
)
def test_trajectories_bad_input(
    args: tuple[object, ...],
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=r"^steepest\.plot\.trajectories: " + ".*" + match):
        steepest.plot.trajectories(*args, **kwargs)  # type: ignore[arg-type]
