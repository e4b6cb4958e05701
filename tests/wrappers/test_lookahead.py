"""steepest.Lookahead and its synchronisation lookahead_sync.

Hand-computed values, an oracle that steps the inner optimizer and applies
the paper's outer update itself, native = reference bit for bit (the kernel
over every ISA and thread count; the wrapper around SGD and Adam), the
state dict, bad input leaving everything as it was, and optax's lookahead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS
from steepest.reference import functional as ref

RULES = {
    "SGD": {"lr": 0.05, "momentum": 0.9},
    "Adam": {"lr": 0.01},
}


def _make(rule: str, params: list[np.ndarray], backend: str, **extra: Any) -> Any:
    return getattr(steepest, rule)(params, backend=backend, **RULES[rule], **extra)


def _grads(rng: np.random.Generator, params: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


def _params(dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(dtype) for s in [(7,), (33, 5), (1,)]]


# -- lookahead_sync -----------------------------------------------------------
def test_sync_by_hand(functional: Any) -> None:
    slow = np.array([0.0, 1.0, -2.0])
    fast = np.array([1.0, 3.0, -2.0])
    functional.lookahead_sync(slow, fast, 0.25)
    np.testing.assert_array_equal(slow, [0.25, 1.5, -2.0])
    np.testing.assert_array_equal(fast, [0.25, 1.5, -2.0])


def test_sync_native_equals_reference(
    dtype: type, shape: tuple[int, ...], isa: str, n_threads: int
) -> None:
    rng = np.random.default_rng(7)
    slow = [rng.standard_normal(shape).astype(dtype), rng.standard_normal(5)]
    fast = [rng.standard_normal(shape).astype(dtype), rng.standard_normal(5)]
    slow2, fast2 = [a.copy() for a in slow], [a.copy() for a in fast]
    steepest.functional.lookahead_sync(slow, fast, 0.3)
    ref.lookahead_sync(slow2, fast2, 0.3)
    for a, b, f in zip(slow, slow2, fast, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(f, a)
    for f, b in zip(fast, fast2, strict=True):
        np.testing.assert_array_equal(f, b)


@pytest.mark.parametrize(
    ("alpha", "error"),
    [(0.0, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("a", TypeError),
     (True, TypeError)],
)  # fmt: skip
def test_sync_rejects_alpha(functional: Any, alpha: Any, error: type) -> None:
    slow, fast = np.zeros(3), np.ones(3)
    with pytest.raises(error, match="lookahead_sync: alpha must be"):
        functional.lookahead_sync(slow, fast, alpha)
    np.testing.assert_array_equal(slow, 0.0)
    np.testing.assert_array_equal(fast, 1.0)


def test_sync_rejects_mismatched_arrays(functional: Any) -> None:
    slow, fast = np.zeros(3), np.ones(4)
    with pytest.raises(ValueError, match="lookahead_sync: fast has shape"):
        functional.lookahead_sync(slow, fast, 0.5)
    with pytest.raises(TypeError, match="lookahead_sync: fast has dtype"):
        functional.lookahead_sync(slow, np.ones(3, np.float32), 0.5)
    np.testing.assert_array_equal(fast, 1.0)


# -- Lookahead ----------------------------------------------------------------
def test_by_hand_sgd(backend: str) -> None:
    # SGD lr 0.1 with grad 1: theta falls 0.1 a step; every 2nd step
    # phi <- phi + 0.5 (theta - phi) and theta <- phi
    p = np.array([1.0])
    opt = steepest.Lookahead(steepest.SGD([p], lr=0.1, backend=backend), k=2, alpha=0.5)
    seen = []
    for _ in range(5):
        opt.step([np.array([1.0])])
        seen.append((p[0], opt.slow_params[0][0], opt.counter))
    expected = [
        (0.9, 1.0, 1),
        (0.9, 0.9, 0),
        (0.8, 0.9, 1),
        (0.8, 0.8, 0),
        (0.7, 0.8, 1),
    ]
    for got, want in zip(seen, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-15)


def test_by_hand_adam(backend: str) -> None:
    # Adam's first steps move by lr * sign(g) (bias-corrected m/sqrt(v) = +-1
    # up to eps) whatever the gradient's size; its state carries on across
    # the synchronisation. k=3, alpha=0.8 from 0: theta -0.1, -0.2, -0.3,
    # then phi = 0.8 * -0.3 = -0.24, theta = -0.24, then -0.34.
    p = np.array([0.0])
    opt = steepest.Lookahead(
        steepest.Adam([p], lr=0.1, eps=1e-12, backend=backend), k=3, alpha=0.8
    )
    got = []
    for _ in range(4):
        opt.step([np.array([2.0])])
        got.append(p[0])
    assert got == pytest.approx([-0.1, -0.2, -0.24, -0.34], abs=1e-12)
    assert opt.state["m"][0][0] == pytest.approx(2.0 * (1 - 0.9**4))
    assert opt.step_count == 4


def _oracle(
    rule: str, dtype: type, k: int, alpha: float, steps: int
) -> list[np.ndarray]:
    """The paper's loop written out over a bare reference optimizer."""
    params = _params(dtype)
    slow = [p.copy() for p in params]
    inner = _make(rule, params, "reference")
    rng = np.random.default_rng(3)
    for t in range(1, steps + 1):
        inner.step(_grads(rng, params))
        if t % k == 0:
            for s, f in zip(slow, params, strict=True):
                s += (f - s) * s.dtype.type(alpha)
                f[...] = s
    return params


@pytest.mark.parametrize("rule", sorted(RULES))
def test_native_equals_reference_and_oracle(rule: str, dtype: type) -> None:
    k, alpha, steps = 3, 0.6, 14
    runs = {}
    for backend in ("native", "reference"):
        params = _params(dtype)
        opt = steepest.Lookahead(_make(rule, params, backend), k=k, alpha=alpha)
        rng = np.random.default_rng(3)
        for _ in range(steps):
            opt.step(_grads(rng, params))
        runs[backend] = (params, opt)
    (p_nat, o_nat), (p_ref, o_ref) = runs["native"], runs["reference"]
    for a, b, c in zip(
        p_nat, p_ref, _oracle(rule, dtype, k, alpha, steps), strict=True
    ):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    for a, b in zip(o_nat.slow_params, o_ref.slow_params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert o_nat.counter == o_ref.counter == steps % k
    # the runs moved away from the start, or equality proves nothing
    assert not np.array_equal(p_nat[0], _params(dtype)[0])


@pytest.mark.parametrize("name", sorted(BY_CLASS))
def test_every_rule_composes(backend: str, name: str) -> None:
    p = np.array([1.0, -1.0])
    opt = steepest.Lookahead(getattr(steepest, name)([p], backend=backend), k=2)
    for _ in range(4):
        opt.step([p.copy()])
    np.testing.assert_array_equal(opt.slow_params[0], p)
    assert opt.step_count == 4
    assert not np.array_equal(p, [1.0, -1.0])


def test_skipped_steps_do_not_count(backend: str) -> None:
    p = np.array([1.0])
    opt = steepest.Lookahead(
        steepest.SGD([p], lr=0.1, nonfinite="skip", backend=backend), k=2
    )
    opt.step([np.array([np.nan])])
    assert (opt.counter, opt.skipped_steps, opt.step_count) == (0, 1, 0)
    opt.step([np.array([1.0])])
    opt.step([np.array([1.0])])
    assert opt.counter == 0
    assert p[0] == pytest.approx(0.9)


def test_forwards_the_step_api() -> None:
    p = np.zeros(2)
    inner = steepest.Adam([p], lr=0.01)
    opt = steepest.Lookahead(inner)
    assert opt.params[0] is p
    assert opt.state is inner.state
    assert opt.backend == "native"
    opt.lr = 0.5
    assert inner.lr == opt.lr == 0.5
    assert (opt.k, opt.alpha) == (5, 0.5)
    assert repr(opt).startswith("Lookahead(Adam(1 arrays")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"k": 0}, ValueError, "k must be an int >= 1, got 0"),
     ({"k": 2.0}, TypeError, "k must be an int >= 1"),
     ({"alpha": 0.0}, ValueError, r"alpha must be in \(0, 1\], got 0.0"),
     ({"alpha": 1.01}, ValueError, r"alpha must be in \(0, 1\]"),
     ({"alpha": "x"}, TypeError, "alpha must be a real number")],
)  # fmt: skip
def test_rejects_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=f"Lookahead: {match}"):
        steepest.Lookahead(steepest.SGD([np.zeros(2)]), **kwargs)


def test_rejects_non_optimizer() -> None:
    with pytest.raises(
        TypeError, match="Lookahead: optimizer must be a steepest optimizer"
    ):
        steepest.Lookahead([np.zeros(2)])  # type: ignore[arg-type]


def _snapshot(opt: Any) -> Any:
    return (
        [p.copy() for p in opt.params],
        [s.copy() for s in opt.slow_params],
        {k: [a.copy() for a in v] for k, v in opt.state.items()},
        opt.counter,
        opt.step_count,
    )


def _same(a: Any, b: Any) -> None:
    for x, y in zip(a[0] + a[1], b[0] + b[1], strict=True):
        np.testing.assert_array_equal(x, y)
    for key in a[2]:
        for x, y in zip(a[2][key], b[2][key], strict=True):
            np.testing.assert_array_equal(x, y)
    assert a[3:] == b[3:]


def test_bad_grads_change_nothing(backend: str) -> None:
    params = [np.ones(3), np.ones(2)]
    opt = steepest.Lookahead(_make("Adam", params, backend), k=2)
    opt.step([np.ones(3), np.ones(2)])  # the next applied step synchronises
    before = _snapshot(opt)
    for bad, error in [([np.ones(3), np.ones(4)], ValueError),
                       ([np.ones(3)], ValueError),
                       ([np.ones(3), np.ones(2, np.float32)], TypeError),
                       ([np.ones(3), np.array([1.0, np.nan])], ValueError)]:  # fmt: skip
        with pytest.raises(error):
            opt.step(bad)
        _same(before, _snapshot(opt))


def test_state_dict_round_trip(backend: str) -> None:
    rng = np.random.default_rng(0)
    grads = [_grads(rng, _params(np.float64)) for _ in range(9)]
    a_params = _params(np.float64)
    a = steepest.Lookahead(_make("Adam", a_params, backend), k=4, alpha=0.3)
    for g in grads[:5]:
        a.step(g)
    saved, checkpoint = a.state_dict(), [p.copy() for p in a_params]
    for g in grads[5:]:
        a.step(g)
    assert saved["counter"] == 1  # copies: stepping on did not change them
    b_params = _params(np.float64)
    b = steepest.Lookahead(_make("Adam", b_params, backend), k=2, alpha=0.9)
    b.load_state_dict(saved)
    assert (b.k, b.alpha, b.counter, b.step_count) == (4, 0.3, 1, 5)
    for p, q in zip(b_params, checkpoint, strict=True):
        p[...] = q  # the params are the user's: a checkpoint restores them
    for g in grads[5:]:
        b.step(g)
    for x, y in zip(b_params + b.slow_params, a_params + a.slow_params, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("change", "match"),
    [({"optimizer": "GradientAccumulation"}, "state_dict is from GradientAccumulation"),
     ({"k": 0}, "k must be an int >= 1"),
     ({"k": 1.5}, "k must be an int >= 1"),
     ({"alpha": 2.0}, r"alpha must be in \(0, 1\]"),
     ({"counter": 4}, r"counter must be an int in \[0, 4\)"),
     ({"slow_params": [np.zeros(7)]}, "slow_params must be a list of 3 arrays"),
     ({"slow_params": [np.zeros(7), np.zeros((33, 5)), np.zeros(2)]},
      r"slow_params\[2\] is"),
     ({"inner": {}}, "Adam.load_state_dict: state_dict lacks")],
)  # fmt: skip
def test_load_rejects_bad_state_dicts(change: dict, match: str) -> None:
    params = _params(np.float64)
    opt = steepest.Lookahead(_make("Adam", params, "native"), k=4)
    rng = np.random.default_rng(0)
    for _ in range(3):
        opt.step(_grads(rng, params))
    saved = opt.state_dict()
    opt.step(_grads(rng, params))
    before = _snapshot(opt)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict({**saved, **change})
    _same(before, _snapshot(opt))
    missing = {k: v for k, v in saved.items() if k != "alpha"}
    with pytest.raises(ValueError, match=r"state_dict lacks \['alpha'\]"):
        opt.load_state_dict(missing)
    with pytest.raises(TypeError, match="state_dict must be a dict"):
        opt.load_state_dict([])  # type: ignore[arg-type]


def test_matches_optax_lookahead() -> None:
    optax = pytest.importorskip("optax")
    jnp = pytest.importorskip("jax.numpy")
    k, alpha, lr, steps = 3, 0.4, 0.05, 11
    rng = np.random.default_rng(5)
    start = rng.standard_normal(6).astype(np.float32)
    grads = [rng.standard_normal(6).astype(np.float32) for _ in range(steps)]
    p = start.copy()
    opt = steepest.Lookahead(steepest.Adam([p], lr=lr), k=k, alpha=alpha)
    tx = optax.lookahead(optax.adam(lr), sync_period=k, slow_step_size=alpha)
    theirs = optax.LookaheadParams.init_synced(jnp.asarray(start))
    state = tx.init(theirs)
    for g in grads:
        opt.step([g])
        # optax's lookahead takes the fast params' gradient (reset_state=False:
        # the inner state carries on, as here)
        updates, state = tx.update(jnp.asarray(g), state, theirs)
        theirs = optax.apply_updates(theirs, updates)
    np.testing.assert_allclose(p, np.asarray(theirs.fast), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        opt.slow_params[0], np.asarray(theirs.slow), rtol=1e-5, atol=1e-6
    )


# -- 16-bit params --------------------------------------------------------------
@pytest.mark.parametrize("storage", ["float16", "bfloat16"])
def test_sync_sixteen_bit_native_equals_reference(
    storage: str, isa: str, n_threads: int
) -> None:
    """A 16-bit fast array has float32 slow weights: the update in float32,
    the fast weights the new slow ones rounded to nearest even."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dt = np.dtype(np.float16 if storage == "float16" else ml_dtypes.bfloat16)
    rng = np.random.default_rng(11)
    # a list mixing storage, past a tile and the parallel grain
    slow = [rng.standard_normal(100_003).astype(np.float32),
            rng.standard_normal(5), rng.standard_normal(7).astype(np.float32)]  # fmt: skip
    fast = [rng.standard_normal(100_003).astype(dt), rng.standard_normal(5),
            rng.standard_normal(7).astype(dt)]  # fmt: skip
    want_slow = [
        s + s.dtype.type(0.3) * (f.astype(s.dtype) - s)
        for s, f in zip(slow, fast, strict=True)
    ]
    slow2, fast2 = [a.copy() for a in slow], [a.copy() for a in fast]
    steepest.functional.lookahead_sync(slow, fast, 0.3)
    ref.lookahead_sync(slow2, fast2, 0.3)
    for s, s2, f, f2, want in zip(slow, slow2, fast, fast2, want_slow, strict=True):
        np.testing.assert_array_equal(s, s2)
        np.testing.assert_array_equal(s, want)
        assert f.dtype == f2.dtype
        np.testing.assert_array_equal(
            f.view(f"u{f.itemsize}"), f2.view(f"u{f2.itemsize}")
        )
        np.testing.assert_array_equal(f.view(f"u{f.itemsize}"),
                                      want.astype(f.dtype).view(f"u{f.itemsize}"))  # fmt: skip


def test_sync_sixteen_bit_wants_float32_slow_weights(functional: Any) -> None:
    fast = np.ones(3, np.float16)
    with pytest.raises(
        TypeError,
        match=r"lookahead_sync: slow has dtype float16; expected float32, the state "
        r"of fast \(float16\)",
    ):
        functional.lookahead_sync(np.zeros(3, np.float16), fast, 0.5)
    with pytest.raises(TypeError, match=r"lookahead_sync: slow\[1\] has dtype float32 but "
                       r"fast\[1\] has dtype float64"):  # fmt: skip
        functional.lookahead_sync([np.zeros(3, np.float32), np.zeros(3, np.float32)],
                                  [fast, np.ones(3)], 0.5)  # fmt: skip
    np.testing.assert_array_equal(fast, 1.0)


@pytest.mark.parametrize("storage", ["float16", "bfloat16"])
def test_lookahead_sixteen_bit_params(storage: str) -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dt = np.dtype(np.float16 if storage == "float16" else ml_dtypes.bfloat16)
    runs = {}
    for backend in ("native", "reference"):
        params = [p.astype(dt) for p in _params(np.float32)]
        opt = steepest.Lookahead(steepest.Adam(params, lr=0.01, backend=backend), k=3)
        assert [s.dtype for s in opt.slow_params] == [np.dtype(np.float32)] * 3
        rng = np.random.default_rng(5)
        for _ in range(7):
            opt.step(_grads(rng, params))
        runs[backend] = (params, opt)
    (p_nat, o_nat), (p_ref, o_ref) = runs["native"], runs["reference"]
    for a, b in zip(p_nat, p_ref, strict=True):
        np.testing.assert_array_equal(a.view(np.uint16), b.view(np.uint16))
    for a, b in zip(o_nat.slow_params, o_ref.slow_params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(o_nat.slow_params[0], _params(np.float32)[0])
    o_ref.load_state_dict(o_nat.state_dict())
