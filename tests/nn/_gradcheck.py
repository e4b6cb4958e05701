"""Central finite differences of a ``loss_and_grad`` function (float64 only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

LossAndGrad = Callable[..., tuple[float, list[np.ndarray]]]

# h = 1e-6 balances truncation (~h^2 * f''' ~ 1e-12) and rounding
# (~eps * |f| / h ~ 1e-10) for losses of order 1, so an analytic gradient that is
# right agrees to ~1e-9; a wrong term (a missing factor, a sign) is off by >= 1e-3.
H = 1e-6
RTOL, ATOL = 1e-6, 1e-8


def numeric_grads(
    fun: LossAndGrad, params: list[np.ndarray], *args: Any, **kwargs: Any
) -> list[np.ndarray]:
    """dJ/dp for every entry of every param, by (J(p + h) - J(p - h)) / (2 h)."""
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + H
            up, _ = fun(params, *args, **kwargs)
            p[idx] = saved - H
            down, _ = fun(params, *args, **kwargs)
            p[idx] = saved
            g[idx] = (up - down) / (2 * H)
        grads.append(g)
    return grads


def assert_grads_match(
    fun: LossAndGrad, params: list[np.ndarray], *args: Any, **kwargs: Any
) -> None:
    """The analytic gradients of ``fun`` equal the central differences."""
    _, analytic = fun(params, *args, **kwargs)
    numeric = numeric_grads(fun, params, *args, **kwargs)
    assert len(analytic) == len(params)
    for i, (a, n, p) in enumerate(zip(analytic, numeric, params, strict=True)):
        assert a.shape == p.shape, f"grads[{i}] has shape {a.shape}, param {p.shape}"
        assert a.dtype == p.dtype
        np.testing.assert_allclose(a, n, rtol=RTOL, atol=ATOL, err_msg=f"grads[{i}]")


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random weights with |w| >= 0.1: finite differences never cross the L1 kink."""
    return rng.choice([-1.0, 1.0], size=shape) * (
        0.1 + np.abs(rng.standard_normal(shape))
    )
