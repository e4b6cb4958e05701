"""LAMB against its peer, optax.lamb: 30 steps, float64 and float32, both backends.

torch.optim has no LAMB; steepest follows optax's documented update (Adam's
moments, the weight decay added to the update, one trust ratio
``||p|| / ||u||`` per array, 1 when either norm is 0). The tree holds arrays
of several shapes, one longer than a native block (16384 elements), one at
zero (``||p|| = 0``) and one whose gradient stays zero (``||u|| = 0`` without
weight decay). optax has no ``maximize``: it is given the negated gradient.
Results agree to rounding: optax takes the norms in the dtype and rounds
``u * r`` and then ``* -lr``; steepest sums the norms in float64 and makes
``-lr * r`` one scalar.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np
import pytest

optax = pytest.importorskip("optax")
jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)  # float64 runs in float64; float32 stays
jnp = jax.numpy

STEPS = 30
SHAPES = [(7,), (3, 5), (1,), (20000,), (4,), (6,)]
ZERO_PARAM, ZERO_GRAD = 4, 5  # the index of the array at zero, of the one never pushed
# (rtol, atol): the largest gaps measured over the configurations below and
# three seeds, both backends: float64 1.1e-15 absolute (3.5e-16 of the
# array's largest |p|), float32 7.2e-7 absolute (1.8e-7 of it). An element
# that cancels to near zero needs the absolute term.
TOLERANCES = {np.float64: (1e-13, 1e-14), np.float32: (2e-5, 2e-6)}

CONFIGS = [
    {"lr": 1e-2},
    {"lr": 5e-2, "weight_decay": 0.1, "maximize": True, "betas": (0.8, 0.99), "eps": 1e-3},
    {"lr": 1e-2, "eps_root": 1e-4, "betas": (0.5, 0.9)},
]  # fmt: skip


def _problem(dtype: type, rng: np.random.Generator) -> tuple[list, list[list]]:
    params = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    params[ZERO_PARAM][...] = 0
    grads = [
        [rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(STEPS)
    ]
    for gs in grads:
        gs[ZERO_GRAD][...] = 0
    return params, grads


def _optax_run(config: dict[str, Any], params: list, grads: list[list]) -> list:
    b1, b2 = config.get("betas", (0.9, 0.999))
    opt = optax.lamb(
        config["lr"],
        b1=b1,
        b2=b2,
        eps=config.get("eps", 1e-6),
        eps_root=config.get("eps_root", 0.0),
        weight_decay=config.get("weight_decay", 0.0),
    )
    sign = -1.0 if config.get("maximize", False) else 1.0
    tree = [jnp.asarray(p) for p in params]
    state = opt.init(tree)
    for gs in grads:
        g = [jnp.asarray(x * x.dtype.type(sign)) for x in gs]
        updates, state = opt.update(g, state, tree)
        tree = optax.apply_updates(tree, updates)
    return [np.asarray(p) for p in tree]


def _steepest_run(
    functional: ModuleType, config: dict[str, Any], params: list, grads: list[list]
) -> list:
    kw = {k: x for k, x in config.items() if k != "betas"}
    kw["beta1"], kw["beta2"] = config.get("betas", (0.9, 0.999))
    ours = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, gs in enumerate(grads, start=1):
        assert functional.lamb_step(ours, gs, m, v, step=t, **kw)
    return ours


@pytest.mark.parametrize("config", CONFIGS, ids=["defaults", "wd-max", "eps-root"])
def test_matches_optax(
    config: dict[str, Any],
    functional: ModuleType,
    dtype: type,
    rng: np.random.Generator,
) -> None:
    params, grads = _problem(dtype, rng)
    ours = _steepest_run(functional, config, params, grads)
    theirs = _optax_run(config, params, grads)
    rtol, atol = TOLERANCES[dtype]
    for i, (a, b, p0) in enumerate(zip(ours, theirs, params, strict=True)):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"param {i}")
        if i != ZERO_GRAD or "weight_decay" in config:
            assert not np.array_equal(a, p0), f"param {i} did not move"
