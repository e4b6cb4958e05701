"""steepest.tools test functions (known minima, exact derivatives) and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from steepest.tools import (
    GradcheckError,
    Objective,
    gradcheck,
    quadratic_bowl,
    rosenbrock,
    saddle,
    two_minima,
)

FUNCTIONS = {
    "bowl": quadratic_bowl,
    "bowl3d": lambda: quadratic_bowl((1.0, 2.0, 30.0), center=(1.0, -1.0, 0.5)),
    "rosenbrock": rosenbrock,
    "saddle": saddle,
    "two_minima": two_minima,
}


@pytest.fixture(params=list(FUNCTIONS), ids=str)
def objective(request: pytest.FixtureRequest) -> Objective:
    return FUNCTIONS[request.param]()  # type: ignore[no-any-return]


def _points(obj: Objective, rng: np.random.Generator) -> list[np.ndarray]:
    n = len(obj.start)
    return [np.array(obj.start), *rng.uniform(-2.0, 2.0, size=(4, n))]


def test_gradcheck_passes_on_every_test_function(
    objective: Objective, rng: np.random.Generator
) -> None:
    for x in _points(objective, rng):
        assert gradcheck(objective.f, objective.grad_f, x, raise_on_fail=True)
        # the Hessian is the gradient's Jacobian: check it row by row
        for i in range(x.size):
            row = gradcheck(
                lambda z, i=i: objective.grad_f(z)[i],
                lambda z, i=i: objective.hess_f(z)[i],
                x,
            )
            assert row.ok, (i, row)


def test_minima_and_stationary_points(objective: Objective) -> None:
    for point in objective.minima:
        x = np.array(point)
        np.testing.assert_allclose(objective.grad_f(x), 0.0, atol=1e-12)
        assert np.linalg.eigvalsh(objective.hess_f(x)).min() > 0
        assert objective.f(x) == pytest.approx(0.0, abs=1e-12)
    for point in objective.stationary:
        x = np.array(point)
        np.testing.assert_allclose(objective.grad_f(x), 0.0, atol=1e-12)
        assert np.linalg.eigvalsh(objective.hess_f(x)).min() < 0


def test_known_values() -> None:
    assert rosenbrock().minima == ((1.0, 1.0),)
    assert rosenbrock(a=2.0).f([2.0, 4.0]) == 0.0
    assert two_minima().minima == ((-1.0, 0.0), (1.0, 0.0))
    assert saddle().minima == ()
    assert saddle().f([1.0, 2.0]) == -3.0
    bowl = quadratic_bowl((1.0, 10.0), center=(1.0, 2.0))
    assert bowl.f([0.0, 0.0]) == pytest.approx(0.5 + 20.0)
    f, grad_f, hess_f = bowl  # unpacks as the three callables
    np.testing.assert_array_equal(hess_f([0.0, 0.0]), np.diag([1.0, 10.0]))
    assert f is bowl.f
    assert grad_f is bowl.grad_f


@pytest.mark.parametrize("name", ["bowl", "rosenbrock", "saddle", "two_minima"])
def test_values_on_grid_match_f(name: str) -> None:
    objective = FUNCTIONS[name]()
    xs, ys = np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4))
    expected = [[objective.f(np.array([a, b])) for a, b in zip(r, s, strict=True)]
                for r, s in zip(xs, ys, strict=True)]  # fmt: skip
    np.testing.assert_allclose(objective.values(xs, ys), expected, rtol=1e-14)


def test_bad_test_function_arguments() -> None:
    with pytest.raises(
        ValueError, match="quadratic_bowl: scales must be finite and > 0"
    ):
        quadratic_bowl((1.0, 0.0))
    with pytest.raises(ValueError, match="center has 3 entries but scales has 2"):
        quadratic_bowl((1.0, 2.0), center=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="rosenbrock: x must have 2 entries"):
        rosenbrock().f(np.zeros(3))


def test_gradcheck_catches_a_wrong_gradient() -> None:
    rb = rosenbrock()

    def wrong(v: np.ndarray) -> np.ndarray:
        g = rb.grad_f(v)
        g[1] *= 0.5  # a forgotten factor in one component only
        return g

    res = gradcheck(rb.f, wrong, [0.5, -0.3])
    assert not res
    assert res.index == (1,)
    assert res.analytic == pytest.approx(0.5 * res.numeric, rel=1e-8)
    assert res.max_rel_error == pytest.approx(0.5, rel=1e-6)
    with pytest.raises(GradcheckError, match=r"differ at index \(1,\)"):
        gradcheck(rb.f, wrong, [0.5, -0.3], raise_on_fail=True)
    assert isinstance(GradcheckError("x"), AssertionError)


def test_gradcheck_shaped_x_and_a_sign_error() -> None:
    A = np.arange(6.0).reshape(2, 3)

    def f(w: np.ndarray) -> float:
        return float(np.sum(np.sin(w) * A))

    x = np.linspace(-1, 1, 6).reshape(2, 3)
    before = x.copy()
    ok = gradcheck(f, lambda w: np.cos(w) * A, x)
    assert ok
    assert ok.analytic_grad.shape == (2, 3)
    assert ok.max_abs_error < 1e-8
    np.testing.assert_array_equal(x, before)  # the caller's array is not perturbed

    def one_wrong(w: np.ndarray) -> np.ndarray:
        g = np.cos(w) * A
        g[0, 2] = -g[0, 2]  # a sign error in one entry
        return g

    bad = gradcheck(f, one_wrong, x)
    assert not bad.ok
    assert bad.index == (0, 2)
    assert bad.analytic == pytest.approx(-bad.numeric)


def test_gradcheck_bad_arguments() -> None:
    f, g = (lambda x: float(x @ x)), (lambda x: 2 * x)
    with pytest.raises(TypeError, match="gradcheck: f must be callable"):
        gradcheck(1.0, g, [1.0])  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"grad_f returned shape \(3,\) for x of shape \(2,\)"
    ):
        gradcheck(f, lambda x: np.zeros(3), [1.0, 2.0])
    with pytest.raises(ValueError, match="gradcheck: eps must be a finite number > 0"):
        gradcheck(f, g, [1.0], eps=0.0)
    with pytest.raises(ValueError, match=r"gradcheck: f\(x\) is not finite"):
        gradcheck(lambda x: float("nan"), g, [1.0])
    with pytest.raises(ValueError, match="x must be non-empty and finite"):
        gradcheck(f, g, [])
