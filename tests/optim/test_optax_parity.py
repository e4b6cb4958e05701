"""Rules torch.optim lacks against optax, their peer: 30 steps, float64 and float32.

optax runs its own transformation (``optax.lion``, ``optax.adabelief``) eagerly on the same
params and gradients; both backends of the class, and the class of
:mod:`steepest.torch`, must end where it does. ``maximize`` (which optax does
not have) is optax run on the negated gradients. optax is a test dependency:
under ``CI`` its absence fails (tests/conftest.py), never skips silently.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS

from .._cases import CASES, Case

optax = pytest.importorskip("optax")
jax = pytest.importorskip("jax")
# float64 arrays stay float64 in jax only with this (float32 ones are unaffected)
jax.config.update("jax_enable_x64", True)

STEPS = 30
# (rtol, atol) per dtype. The same operations in the same order, per-step
# scalars (1 - b1, ...) computed in double and cast once by both. Measured
# (jax 0.10.2, optax 0.2.8): Lion bit for bit in both dtypes; AdaBelief
# within 2.1e-15 (float64) and 6.3e-8 (float32) relative, as XLA divides a
# one-element array by the bias correction and multiplies the others by its
# reciprocal (steepest always does the latter). Far below a flipped sign of
# Lion's update (2 lr).
TOLERANCES = {np.float64: (1e-13, 0.0), np.float32: (1e-6, 1e-7)}


def _lion(hyper: dict[str, Any]) -> Any:
    b1, b2 = hyper["betas"]
    return optax.lion(hyper["lr"], b1=b1, b2=b2, weight_decay=hyper["weight_decay"])


def _adabelief(hyper: dict[str, Any]) -> Any:
    b1, b2 = hyper["betas"]
    return optax.adabelief(
        hyper["lr"], b1=b1, b2=b2, eps=hyper["eps"], eps_root=hyper["eps_root"]
    )


#: class -> the optax transformation of its hyperparameters (the class's
#: defaults completed by a row's keywords)
PEERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "Lion": _lion,
    "AdaBelief": _adabelief,
}
CASES_OF_PEERS = [c for c in CASES if c.cls in PEERS]


def test_every_rule_whose_peer_is_optax_has_its_rows_here() -> None:
    of_optax = {c.cls for c in CASES if BY_CLASS[c.cls].peer_package == "optax"}
    # LAMB's per-array trust ratio has its own optax test: test_optax_lamb.py
    missing = of_optax - set(PEERS) - {"Lamb"}
    assert not missing, f"add the optax peer of {missing}"
    for cls in PEERS:
        assert BY_CLASS[cls].peer_package == "optax", cls


@pytest.mark.parametrize(
    ("cls", "optax_fn", "names"),
    [
        ("Lion", "lion", {"betas": ("b1", "b2"), "weight_decay": ("weight_decay",)}),
        ("AdaBelief", "adabelief",
         {"betas": ("b1", "b2"), "eps": ("eps",), "eps_root": ("eps_root",)}),
    ],
)  # fmt: skip
def test_defaults_are_optax(cls: str, optax_fn: str, names: dict[str, Any]) -> None:
    """The class's defaults are optax's (optax has no default learning rate)."""
    assert BY_CLASS[cls].peer == f"optax.{optax_fn}"
    theirs = inspect.signature(getattr(optax, optax_fn)).parameters
    ours = BY_CLASS[cls].defaults()
    for name, keys in names.items():
        value = ours[name] if isinstance(ours[name], tuple) else (ours[name],)
        assert value == tuple(theirs[k].default for k in keys), name
    assert theirs["learning_rate"].default is inspect.Parameter.empty


def _hyper(case: Case) -> dict[str, Any]:
    return {**BY_CLASS[case.cls].defaults(), **case.cls_kwargs}


def _problem(
    rng: np.random.Generator, dtype: type
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    params = [rng.standard_normal(s).astype(dtype) for s in [(7,), (3, 5), (1,)]]
    grads = [
        [rng.standard_normal(p.shape).astype(dtype) for p in params]
        for _ in range(STEPS)
    ]
    return params, grads


def _optax_run(
    case: Case, params: list[np.ndarray], grads: list[list[np.ndarray]]
) -> list[np.ndarray]:
    hyper = _hyper(case)
    opt = PEERS[case.cls](hyper)
    sign = -1 if hyper.get("maximize") else 1
    theirs = [jax.numpy.asarray(p) for p in params]
    state = opt.init(theirs)
    for gs in grads:
        g = [jax.numpy.asarray(sign * x) for x in gs]
        updates, state = opt.update(g, state, theirs)
        theirs = optax.apply_updates(theirs, updates)
    return [np.asarray(t) for t in theirs]


def _check(
    ours: list[np.ndarray], expected: list[np.ndarray], params: list[np.ndarray]
) -> None:
    dtype = params[0].dtype.type
    rtol, atol = TOLERANCES[dtype]
    for a, b, p in zip(ours, expected, params, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
        assert not np.allclose(a, p, rtol=0, atol=1e-3)  # they moved


@pytest.mark.parametrize("case", CASES_OF_PEERS, ids=[c.id for c in CASES_OF_PEERS])
def test_matches_optax(
    case: Case, backend: str, dtype: type, rng: np.random.Generator
) -> None:
    params, grads = _problem(rng, dtype)
    expected = _optax_run(case, params, grads)
    ours = [p.copy() for p in params]
    opt = getattr(steepest, case.cls)(ours, backend=backend, **case.cls_kwargs)
    for gs in grads:
        opt.step(gs)
    _check(ours, expected, params)


@pytest.mark.parametrize("case", CASES_OF_PEERS, ids=[c.id for c in CASES_OF_PEERS])
def test_torch_class_matches_optax(
    case: Case, dtype: type, rng: np.random.Generator
) -> None:
    torch = pytest.importorskip("torch")
    import steepest.torch

    params, grads = _problem(rng, dtype)
    expected = _optax_run(case, params, grads)
    tensors = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    opt = getattr(steepest.torch, case.cls)(tensors, **case.cls_kwargs)
    for gs in grads:
        for t, g in zip(tensors, gs, strict=True):
            t.grad = torch.from_numpy(g.copy())
        opt.step()
    _check([t.detach().numpy() for t in tensors], expected, params)


@pytest.mark.parametrize("case", CASES_OF_PEERS, ids=[c.id for c in CASES_OF_PEERS])
def test_torch_class_resumes_from_its_state_dict(
    case: Case, rng: np.random.Generator
) -> None:
    """Stopped halfway, saved and loaded into a fresh optimizer: the same end."""
    torch = pytest.importorskip("torch")
    import steepest.torch

    params, grads = _problem(rng, np.float64)
    cls = getattr(steepest.torch, case.cls)

    def run(tensors: list[Any], opt: Any, steps: list[list[np.ndarray]]) -> None:
        for gs in steps:
            for t, g in zip(tensors, gs, strict=True):
                t.grad = torch.from_numpy(g.copy())
            opt.step()

    whole = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    run(whole, cls(whole, **case.cls_kwargs), grads)
    first = [torch.nn.Parameter(torch.from_numpy(p.copy())) for p in params]
    opt = cls(first, **case.cls_kwargs)
    run(first, opt, grads[: STEPS // 2])
    saved = opt.state_dict()
    assert set(saved["state"][0]) == {"step", *BY_CLASS[case.cls].torch_state_names(
        _hyper(case))}  # fmt: skip
    second = [torch.nn.Parameter(t.detach().clone()) for t in first]
    resumed = cls(second, **case.cls_kwargs)
    resumed.load_state_dict(saved)
    run(second, resumed, grads[STEPS // 2 :])
    for a, b in zip(second, whole, strict=True):
        assert torch.equal(a.detach(), b.detach())
