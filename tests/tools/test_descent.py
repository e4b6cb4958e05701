"""Armijo line search, GradientDescent, minimize over steepest optimizers, Newton, least squares."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import steepest
from steepest.schedules import ExponentialLR
from steepest.tools import (
    GradientDescent,
    armijo,
    least_squares,
    minimize,
    newton,
    quadratic_bowl,
    rosenbrock,
    saddle,
    two_minima,
)


def _regression(
    rng: np.random.Generator, n: int = 40, d: int = 3
) -> tuple[np.ndarray, np.ndarray]:
    X = rng.normal(size=(n, d))
    y = X @ np.array([1.5, -2.0, 0.5])[:d] + 0.1 * rng.normal(size=n)
    return X, y


# -- Armijo and GradientDescent ---------------------------------------------------
@pytest.mark.parametrize("x", [[-1.5, 2.0], [0.3, -0.7], [1.2, 1.2]])
def test_armijo_decreases_f_and_satisfies_the_condition(x: list[float]) -> None:
    rb = rosenbrock()
    g = rb.grad_f(x)
    c = 1e-4
    res = armijo(rb.f, x, g, -g, c=c)
    assert res.ok
    assert 0 < res.t <= 1.0
    assert res.fx < rb.f(x)
    assert res.fx <= rb.f(x) + c * res.t * float(g @ -g)
    np.testing.assert_array_equal(res.x, np.asarray(x) - res.t * g)
    # maximal among the trials: the previous (twice as long) step was rejected
    if res.t < 1.0:
        longer = rb.f(np.asarray(x) - 2 * res.t * g)
        assert longer > rb.f(x) + c * 2 * res.t * float(g @ -g)


def test_armijo_failure_and_bad_arguments() -> None:
    f = lambda x: float(x @ x)
    x = np.array([1.0, 0.0])
    g = 2 * x
    res = armijo(f, x, g, -g, t0=1e6, max_iter=3)
    assert not res.ok
    assert res.t == 0.0
    assert res.n_evals == 4  # f(x) and three trials
    assert armijo(f, x, g, -g, t0=1e6, max_iter=3, fx=1.0).n_evals == 3
    np.testing.assert_array_equal(res.x, x)
    with pytest.raises(
        ValueError, match="armijo: direction is not a descent direction"
    ):
        armijo(f, x, g, g)
    with pytest.raises(ValueError, match=r"armijo: beta must be in \(0, 1\)"):
        armijo(f, x, g, -g, beta=1.0)
    with pytest.raises(
        ValueError, match="armijo: x, g and direction have sizes 2, 3, 2"
    ):
        armijo(f, x, np.ones(3), -g)
    # a trial where f is NaN or infinite is rejected, not an error
    barrier = lambda z: float(z[0] - np.log(z[0]))  # minimum at 1, defined for z > 0
    res = armijo(barrier, [2.0], [0.5], [-4.0])  # trials at -2 (NaN), 0 (inf), 1
    assert res.ok
    assert res.t == 0.25
    assert res.x.tolist() == [1.0]


def test_gradient_descent_returns_the_path() -> None:
    bowl = quadratic_bowl((1.0, 10.0), center=(1.0, -1.0))
    res = GradientDescent(bowl.f, bowl.grad_f, tol=1e-8).run(bowl.start)
    assert res.converged
    assert res.reason == "gtol"
    np.testing.assert_allclose(res.x, [1.0, -1.0], atol=1e-8)
    assert res.path.shape == (res.n_steps + 1, 2)
    np.testing.assert_array_equal(res.path[0], bowl.start)
    assert res.step_sizes is not None
    assert res.step_sizes.shape == (res.n_steps,)
    assert np.all(np.diff(res.f_history) < 0)  # monotone: every step passed Armijo
    capped = GradientDescent(bowl.f, bowl.grad_f, max_steps=3).run(bowl.start)
    assert capped.reason == "max_steps"
    assert capped.n_steps == 3
    assert not capped.converged


# -- minimize ---------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["native", "reference"])
@pytest.mark.parametrize(
    "optimizer",
    [
        functools.partial(steepest.SGD, lr=0.1),
        functools.partial(steepest.SGD, lr=0.05, momentum=0.9),
        functools.partial(steepest.Adam, lr=0.05),
        "momentum",
    ],
    ids=["sgd", "momentum", "adam", "by-name"],
)
def test_minimize_reaches_the_bowl_minimum(optimizer: object, backend: str) -> None:
    bowl = quadratic_bowl((1.0, 10.0), center=(1.0, -2.0))
    res = minimize(bowl.f, bowl.grad_f, [3.0, 1.0], optimizer, tol=1e-6,  # type: ignore[arg-type]
                   max_steps=5000, backend=backend)  # fmt: skip
    assert res.converged
    assert res.reason == "gtol"
    assert res.grad_norm <= 1e-6
    np.testing.assert_allclose(res.x, [1.0, -2.0], atol=1e-5)
    assert res.path.shape == (res.n_steps + 1, 2)
    assert res.f_history.shape == (res.n_steps + 1,)
    np.testing.assert_array_equal(res.path[-1], res.x)
    assert res.fun == res.f_history[-1] == bowl.f(res.x)


def test_minimize_path_is_a_real_optimizer_run() -> None:
    bowl = quadratic_bowl((1.0, 10.0))
    res = minimize(bowl.f, bowl.grad_f, [2.0, 1.0], "sgd", lr=0.05, max_steps=5, tol=0)
    w = np.array([2.0, 1.0])
    opt = steepest.SGD([w], lr=0.05)
    expected = [w.copy()]
    for _ in range(5):
        opt.step([bowl.grad_f(w)])
        expected.append(w.copy())
    np.testing.assert_array_equal(res.path, expected)
    assert res.reason == "max_steps"
    assert not res.converged
    assert res.n_steps == 5


def test_minimize_schedule_ftol_callback_and_options() -> None:
    bowl = quadratic_bowl((1.0, 10.0))
    sched = ExponentialLR(lr=0.05, gamma=0.5)
    res = minimize(
        bowl.f, bowl.grad_f, [2.0, 1.0], "sgd", lr=sched, tol=0, max_steps=50
    )
    first = 2.0 - 0.05 * 2.0
    assert res.path[1, 0] == pytest.approx(first)
    assert res.path[2, 0] == pytest.approx(first - 0.025 * first)  # the lr halved
    res = minimize(bowl.f, bowl.grad_f, [2.0, 1.0], "sgd", lr=0.01, tol=0, ftol=1e-3)
    assert res.reason == "ftol"
    assert res.converged
    assert abs(res.f_history[-1] - res.f_history[-2]) <= 1e-3
    seen: list[int] = []
    res = minimize(bowl.f, bowl.grad_f, [2.0, 1.0], "adam",
                   callback=lambda k, x, fx: seen.append(k) or k == 4)  # fmt: skip
    assert res.reason == "callback"
    assert res.n_steps == 4
    assert seen == [1, 2, 3, 4]
    nesterov = minimize(bowl.f, bowl.grad_f, [2.0, 1.0], "sgd", lr=0.05, max_steps=3,
                        tol=0, options={"momentum": 0.9, "nesterov": True})  # fmt: skip
    named = minimize(bowl.f, bowl.grad_f, [2.0, 1.0], "nesterov", lr=0.05,
                     max_steps=3, tol=0)  # fmt: skip
    np.testing.assert_array_equal(nesterov.path, named.path)


def test_minimize_reaches_the_least_squares_solution(rng: np.random.Generator) -> None:
    X, y = _regression(rng)
    n = len(y)

    def f(w: np.ndarray) -> float:
        r = X @ w - y
        return float(r @ r) / (2 * n)

    def grad_f(w: np.ndarray) -> np.ndarray:
        return X.T @ (X @ w - y) / n

    exact = least_squares(X, y).coef
    for opt in ("momentum", functools.partial(steepest.Adam, lr=0.05)):
        res = minimize(f, grad_f, np.zeros(3), opt, tol=1e-9, max_steps=20_000)  # type: ignore[arg-type]
        assert res.converged, res
        np.testing.assert_allclose(res.x, exact, atol=1e-7)


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_minimize_divergence(backend: str) -> None:
    bowl = quadratic_bowl((1.0, 10.0))
    # lr * curvature = 30 > 2: the y coordinate grows by 29x per step until overflow
    with pytest.raises(steepest.DivergenceError, match="minimize: f is not finite"):
        minimize(
            bowl.f,
            bowl.grad_f,
            [1.0, 1.0],
            "sgd",
            lr=3.0,
            max_steps=10_000,
            backend=backend,
        )
    res = minimize(bowl.f, bowl.grad_f, [1.0, 1.0], "sgd", lr=3.0, max_steps=10_000,
                   nonfinite="stop", backend=backend)  # fmt: skip
    assert res.reason == "diverged"
    assert not res.converged
    assert np.isfinite(res.path).all()
    assert np.isfinite(res.fun)
    np.testing.assert_array_equal(res.x, res.path[-1])
    assert res.path.shape == (res.n_steps + 1, 2)


def test_minimize_bad_arguments() -> None:
    bowl = quadratic_bowl()
    f, g = bowl.f, bowl.grad_f
    with pytest.raises(ValueError, match="minimize: optimizer must be one of"):
        minimize(f, g, [1.0, 1.0], "lbfgs")
    with pytest.raises(TypeError, match="minimize: optimizer must be a name"):
        minimize(f, g, [1.0, 1.0], 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="returned dict, not a steepest optimizer"):
        minimize(f, g, [1.0, 1.0], lambda params, **kw: {})  # type: ignore[arg-type,return-value]
    with pytest.raises(
        ValueError, match="minimize: nonfinite must be 'raise' or 'stop'"
    ):
        minimize(f, g, [1.0, 1.0], nonfinite="warn")
    with pytest.raises(ValueError, match=r"minimize: f\(x0\) is not finite"):
        minimize(lambda x: float("inf"), g, [1.0, 1.0])
    with pytest.raises(ValueError, match=r"minimize: grad_f returned shape \(3,\)"):
        minimize(f, lambda x: np.zeros(3), [1.0, 1.0])
    with pytest.raises(TypeError, match="minimize: max_steps must be an int >= 0"):
        minimize(f, g, [1.0, 1.0], max_steps=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="minimize: x0 is empty"):
        minimize(f, g, [])


def test_minimize_leaves_x0_alone_and_survives_an_aliasing_gradient() -> None:
    x0 = np.array([1.0, -1.0])
    res = minimize(lambda x: 0.5 * float(x @ x), lambda x: x, x0, "sgd", lr=0.5,
                   tol=1e-12, max_steps=200)  # fmt: skip
    np.testing.assert_array_equal(x0, [1.0, -1.0])
    assert res.converged
    assert np.abs(res.x).max() < 1e-12


# -- Newton and least squares -----------------------------------------------------
def test_newton_one_step_on_a_quadratic() -> None:
    bowl = quadratic_bowl((2.0, 50.0, 0.1), center=(1.0, -3.0, 2.0))
    res = newton(*bowl, [10.0, 10.0, 10.0])
    assert res.n_steps == 1
    assert res.converged
    assert res.step_sizes is not None
    assert res.step_sizes.tolist() == [1.0]
    np.testing.assert_allclose(res.x, [1.0, -3.0, 2.0], atol=1e-12)


def test_newton_on_rosenbrock_and_two_minima() -> None:
    rb = rosenbrock()
    res = newton(*rb, rb.start, tol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-9)
    assert np.all(np.diff(res.f_history) < 0)
    # starting between the minima the Hessian is indefinite: gradient steps first
    tm = two_minima()
    res = newton(*tm, [0.2, 1.0])
    assert res.converged
    np.testing.assert_allclose(res.x, [1.0, 0.0], atol=1e-8)
    with pytest.raises(np.linalg.LinAlgError, match="newton: the Hessian at step 0 is"):
        newton(*tm, [0.2, 1.0], fallback="raise")
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        newton(*saddle(), [1.0, 1.0], fallback="raise")
    singular = newton(lambda x: float(x[0] ** 2), lambda x: np.array([2 * x[0], 0.0]),
                      lambda x: np.diag([2.0, 0.0]), [1.0, 5.0])  # fmt: skip
    assert singular.converged
    assert singular.x.tolist() == [0.0, 5.0]
    with pytest.raises(ValueError, match=r"hess_f must return a finite \(2, 2\) array"):
        newton(tm.f, tm.grad_f, lambda x: np.eye(3), [0.5, 0.5])


@pytest.mark.parametrize("alpha", [0.0, 0.7])
def test_newton_matches_least_squares(rng: np.random.Generator, alpha: float) -> None:
    X, y = _regression(rng)

    def f(w: np.ndarray) -> float:
        r = X @ w - y
        return 0.5 * float(r @ r) + 0.5 * alpha * float(w @ w)

    res = newton(f, lambda w: X.T @ (X @ w - y) + alpha * w,
                 lambda w: X.T @ X + alpha * np.eye(3), np.zeros(3))  # fmt: skip
    assert res.n_steps == 1
    assert res.converged
    np.testing.assert_allclose(res.x, least_squares(X, y, alpha).coef, rtol=1e-10)


def test_least_squares(rng: np.random.Generator) -> None:
    X, y = _regression(rng)
    coef, b = least_squares(X, y)
    np.testing.assert_allclose(coef, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)
    assert b == 0.0
    # ridge: the normal equations with alpha on the diagonal
    coef, _ = least_squares(X, y, alpha=3.0)
    np.testing.assert_allclose(X.T @ (X @ coef - y) + 3.0 * coef, 0.0, atol=1e-10)
    # intercept: unpenalised, recovered exactly from noise-free data
    coef, b = least_squares(X, X @ [1.0, 2.0, 3.0] + 4.0, fit_intercept=True)
    np.testing.assert_allclose(coef, [1.0, 2.0, 3.0], rtol=1e-10)
    assert b == pytest.approx(4.0)
    coef, b = least_squares(X, X @ [1.0, 2.0, 3.0] + 4.0, alpha=1.0, fit_intercept=True)
    Xc = X - X.mean(axis=0)
    yc = X @ [1.0, 2.0, 3.0] - (X @ [1.0, 2.0, 3.0]).mean()
    np.testing.assert_allclose(coef, np.linalg.solve(Xc.T @ Xc + np.eye(3), Xc.T @ yc))
    # two targets at once, and a rank-deficient X (minimum-norm solution)
    Y = np.column_stack([y, 2 * y])
    coef, b = least_squares(X, Y, fit_intercept=True)
    assert coef.shape == (3, 2)
    assert np.shape(b) == (2,)
    dup = np.column_stack([X[:, 0], X[:, 0]])
    coef, _ = least_squares(dup, X[:, 0])
    np.testing.assert_allclose(coef, [0.5, 0.5])


def test_least_squares_bad_arguments() -> None:
    with pytest.raises(ValueError, match="least_squares: X must be 2-D"):
        least_squares(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match=r"y has shape \(2,\) but X has 3 rows"):
        least_squares(np.ones((3, 1)), np.ones(2))
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        least_squares(np.ones((3, 1)), np.ones(3), alpha=-1.0)
    with pytest.raises(ValueError, match="X and y must be non-empty and finite"):
        least_squares(np.full((3, 1), np.nan), np.ones(3))


@pytest.mark.parametrize("name", ["sgd_schedulefree", "adamw_schedulefree"])
def test_minimize_returns_schedulefree_evaluation_point(
    name: str, backend: str
) -> None:
    """Schedule-Free's gradients are taken at y, the params; its iterate is x."""
    bowl = quadratic_bowl((1.0, 10.0), center=(1.0, -2.0))
    res = minimize(bowl.f, bowl.grad_f, [3.0, 1.0], name, lr=0.05, max_steps=20,
                   tol=0, backend=backend)  # fmt: skip
    w = np.array([3.0, 1.0])
    cls = {"sgd_schedulefree": steepest.SGDScheduleFree,
           "adamw_schedulefree": steepest.AdamWScheduleFree}[name]  # fmt: skip
    opt = cls([w], lr=0.05, backend=backend)
    for _ in range(20):
        opt.step([bowl.grad_f(w)])
    np.testing.assert_array_equal(res.path[-1], w)  # the path is y's
    x = opt.eval_params()[0]
    assert not np.array_equal(x, w)
    np.testing.assert_array_equal(res.x, x)
    assert res.fun == bowl.f(x)
    assert res.grad_norm == np.linalg.norm(bowl.grad_f(x))
