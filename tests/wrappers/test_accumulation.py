"""steepest.GradientAccumulation: the wrapped step on the mean of k calls.

Hand-computed values, steps=1 = the bare optimizer bit for bit, an oracle
that averages by hand, native = reference bit for bit around SGD and Adam,
non-finite gradients under each mode, bad input changing nothing, the state
dict, composition with Lookahead, and optax's MultiSteps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest

RULES = {
    "SGD": {"lr": 0.05, "momentum": 0.9},
    "Adam": {"lr": 0.01},
}


def _make(rule: str, params: list[np.ndarray], backend: str, **extra: Any) -> Any:
    return getattr(steepest, rule)(params, backend=backend, **RULES[rule], **extra)


def _params(dtype: type) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(s).astype(dtype) for s in [(7,), (33, 5), (1,)]]


def _grads(rng: np.random.Generator, params: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


def test_by_hand_sgd(backend: str) -> None:
    # SGD lr 0.5, steps=3: only every 3rd call moves p, by 0.5 * mean
    p = np.array([2.0])
    opt = steepest.GradientAccumulation(
        steepest.SGD([p], lr=0.5, backend=backend), steps=3
    )
    seen = []
    for g in [1.0, 2.0, 6.0, -1.0, -1.0, 5.0, 4.0]:
        opt.step([np.array([g])])
        seen.append((p[0], opt.count, opt.step_count))
    # means 3 then 1: 2 - 1.5 = 0.5, 0.5 - 0.5 = 0
    assert seen == [(2.0, 1, 0), (2.0, 2, 0), (0.5, 0, 1), (0.5, 1, 1), (0.5, 2, 1),
                    (0.0, 0, 2), (0.0, 1, 2)]  # fmt: skip
    np.testing.assert_array_equal(opt.accumulated[0], [4.0])


def test_by_hand_adam(backend: str) -> None:
    # Adam's first update is lr * m_hat / (sqrt(v_hat) + eps) = lr * sign(mean)
    p = np.array([1.0, 1.0])
    opt = steepest.GradientAccumulation(
        steepest.Adam([p], lr=0.1, eps=1e-12, backend=backend), steps=2
    )
    opt.step([np.array([3.0, -1.0])])
    opt.step([np.array([-1.0, -1.0])])
    assert p == pytest.approx([0.9, 1.1], abs=1e-12)
    # the state saw one gradient, the mean (1, -1)
    assert opt.state["m"][0] == pytest.approx([0.1, -0.1])
    assert opt.state["v"][0] == pytest.approx([0.001, 0.001])


def test_steps_one_is_the_bare_optimizer(backend: str, dtype: type) -> None:
    a_params, b_params = _params(dtype), _params(dtype)
    a = steepest.GradientAccumulation(_make("Adam", a_params, backend), steps=1)
    b = _make("Adam", b_params, backend)
    rng = np.random.default_rng(2)
    for _ in range(5):
        g = _grads(rng, a_params)
        a.step(g)
        b.step(g)
    for x, y in zip(a_params, b_params, strict=True):
        np.testing.assert_array_equal(x, y)


def _oracle(rule: str, dtype: type, k: int, calls: int) -> list[np.ndarray]:
    """Sum k gradients, divide once, step a bare reference optimizer."""
    params = _params(dtype)
    inner = _make(rule, params, "reference")
    rng = np.random.default_rng(3)
    total = [np.zeros_like(p) for p in params]
    for t in range(1, calls + 1):
        for s, g in zip(total, _grads(rng, params), strict=True):
            s += g
        if t % k == 0:
            inner.step([s / s.dtype.type(k) for s in total])
            total = [np.zeros_like(p) for p in params]
    return params


@pytest.mark.parametrize("rule", sorted(RULES))
def test_native_equals_reference_and_oracle(rule: str, dtype: type) -> None:
    k, calls = 3, 14
    runs = {}
    for backend in ("native", "reference"):
        params = _params(dtype)
        opt = steepest.GradientAccumulation(_make(rule, params, backend), steps=k)
        rng = np.random.default_rng(3)
        for _ in range(calls):
            opt.step(_grads(rng, params))
        runs[backend] = (params, opt)
    (p_nat, o_nat), (p_ref, o_ref) = runs["native"], runs["reference"]
    for a, b, c in zip(p_nat, p_ref, _oracle(rule, dtype, k, calls), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    for a, b in zip(o_nat.accumulated, o_ref.accumulated, strict=True):
        np.testing.assert_array_equal(a, b)
    assert o_nat.count == o_ref.count == calls % k
    assert o_nat.step_count == calls // k
    assert not np.array_equal(p_nat[0], _params(dtype)[0])


def test_nonfinite_raise_accumulates_nothing(backend: str) -> None:
    p = np.array([1.0, 2.0])
    opt = steepest.GradientAccumulation(steepest.SGD([p], backend=backend), steps=3)
    opt.step([np.array([1.0, 1.0])])
    with pytest.raises(
        ValueError, match=r"GradientAccumulation.step: grads\[0\] has a NaN"
    ):
        opt.step([np.array([1.0, np.inf])])
    assert opt.count == 1
    np.testing.assert_array_equal(opt.accumulated[0], [1.0, 1.0])
    opt.step([np.array([1.0, 1.0])])
    # the window's last call: the wrapped optimizer raises, the window stays
    with pytest.raises(ValueError, match="sgd_step"):
        opt.step([np.array([np.nan, 1.0])])
    assert (opt.count, opt.step_count) == (2, 0)
    np.testing.assert_array_equal(opt.accumulated[0], [2.0, 2.0])
    np.testing.assert_array_equal(p, [1.0, 2.0])


def test_nonfinite_skip_skips_the_window(backend: str) -> None:
    p = np.array([1.0])
    opt = steepest.GradientAccumulation(
        steepest.SGD([p], lr=0.1, nonfinite="skip", backend=backend), steps=2
    )
    opt.step([np.array([np.nan])])
    opt.step([np.array([1.0])])
    assert (opt.count, opt.step_count, opt.skipped_steps) == (0, 0, 1)
    np.testing.assert_array_equal(opt.accumulated[0], [0.0])
    opt.step([np.array([1.0])])
    opt.step([np.array([3.0])])
    assert p[0] == pytest.approx(0.8)


def _snapshot(opt: Any) -> Any:
    return (
        [p.copy() for p in opt.params],
        [a.copy() for a in opt.accumulated],
        opt.count,
        opt.step_count,
    )


def _same(a: Any, b: Any) -> None:
    for x, y in zip(a[0] + a[1], b[0] + b[1], strict=True):
        np.testing.assert_array_equal(x, y)
    assert a[2:] == b[2:]


@pytest.mark.parametrize("calls_before", [0, 1])  # an accumulating call, the last
def test_bad_grads_change_nothing(backend: str, calls_before: int) -> None:
    params = [np.ones(3), np.ones(2, np.float32)]
    opt = steepest.GradientAccumulation(_make("Adam", params, backend), steps=2)
    for _ in range(calls_before):
        opt.step([np.ones(3), np.ones(2, np.float32)])
    before = _snapshot(opt)
    for bad, error, match in [
        ([np.ones(3), np.ones(4, np.float32)], ValueError, r"grads\[1\] has shape"),
        ([np.ones(3)], ValueError, "grads has 1 arrays"),
        ([np.ones(3), np.ones(2)], TypeError, r"grads\[1\] has dtype float64"),
        ([np.ones(3), "x"], TypeError, "grads"),
    ]:
        with pytest.raises(error, match=f"GradientAccumulation.step: {match}"):
            opt.step(bad)
        _same(before, _snapshot(opt))


@pytest.mark.parametrize(
    ("steps", "error"),
    [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError)],
)
def test_rejects_steps(steps: Any, error: type) -> None:
    with pytest.raises(error, match="GradientAccumulation: steps must be an int >= 1"):
        steepest.GradientAccumulation(steepest.SGD([np.zeros(2)]), steps=steps)


def test_rejects_non_optimizer() -> None:
    with pytest.raises(TypeError, match="GradientAccumulation: optimizer must be"):
        steepest.GradientAccumulation(None, steps=2)


def test_state_dict_round_trip(backend: str) -> None:
    rng = np.random.default_rng(0)
    grads = [_grads(rng, _params(np.float64)) for _ in range(10)]
    a_params = _params(np.float64)
    a = steepest.GradientAccumulation(_make("Adam", a_params, backend), steps=3)
    for g in grads[:4]:
        a.step(g)
    saved, checkpoint = a.state_dict(), [p.copy() for p in a_params]
    for g in grads[4:]:
        a.step(g)
    assert saved["count"] == 1
    b_params = _params(np.float64)
    b = steepest.GradientAccumulation(_make("Adam", b_params, backend), steps=5)
    b.load_state_dict(saved)
    assert (b.steps, b.count, b.step_count) == (3, 1, 1)
    for p, q in zip(b_params, checkpoint, strict=True):
        p[...] = q
    for g in grads[4:]:
        b.step(g)
    for x, y in zip(b_params + b.accumulated, a_params + a.accumulated, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("change", "match"),
    [({"optimizer": "Lookahead"}, "state_dict is from Lookahead"),
     ({"steps": 0}, "steps must be an int >= 1"),
     ({"steps": "3"}, "steps must be an int >= 1"),
     ({"count": 3}, r"count must be an int in \[0, 3\)"),
     ({"count": -1}, r"count must be an int in \[0, 3\)"),
     ({"accumulated": None}, "accumulated must be a list of 3 arrays"),
     ({"accumulated": [np.zeros(7), np.zeros((33, 5), np.float32), np.zeros(1)]},
      r"accumulated\[1\] is"),
     ({"inner": {"optimizer": "SGD"}}, "Adam.load_state_dict: state_dict lacks")],
)  # fmt: skip
def test_load_rejects_bad_state_dicts(change: dict, match: str) -> None:
    params = _params(np.float64)
    opt = steepest.GradientAccumulation(_make("Adam", params, "native"), steps=3)
    rng = np.random.default_rng(0)
    for _ in range(4):
        opt.step(_grads(rng, params))
    saved = opt.state_dict()
    opt.step(_grads(rng, params))
    before = _snapshot(opt)
    own = "" if match.startswith("Adam") else "GradientAccumulation.load_state_dict: "
    with pytest.raises(ValueError, match=own + match):
        opt.load_state_dict({**saved, **change})
    _same(before, _snapshot(opt))


def test_lookahead_counts_updates_not_calls(backend: str) -> None:
    # Lookahead outside: its k counts the accumulated updates
    p = np.array([1.0])
    inner = steepest.GradientAccumulation(
        steepest.SGD([p], lr=0.1, backend=backend), steps=2
    )
    opt = steepest.Lookahead(inner, k=2, alpha=0.5)
    for _ in range(4):
        opt.step([np.array([1.0])])
    # two SGD updates (0.9, 0.8), then phi = 1 + 0.5 * (0.8 - 1) = 0.9
    assert p[0] == pytest.approx(0.9)
    assert (opt.step_count, opt.counter, inner.count) == (2, 0, 0)
    saved = opt.state_dict()
    assert saved["inner"]["optimizer"] == "GradientAccumulation"
    opt.load_state_dict(saved)


def test_forwards_the_step_api() -> None:
    p = np.zeros(2)
    inner = steepest.reference.SGD([p], lr=0.1)
    opt = steepest.reference.GradientAccumulation(inner, steps=4)
    assert opt.backend == "reference"
    assert opt.params[0] is p
    assert opt.state is inner.state
    opt.lr = 0.2
    assert inner.lr == 0.2
    assert repr(opt) == f"GradientAccumulation({inner!r}, steps=4)"


def test_matches_optax_multisteps() -> None:
    optax = pytest.importorskip("optax")
    jnp = pytest.importorskip("jax.numpy")
    k, lr, calls = 4, 0.05, 13
    rng = np.random.default_rng(5)
    start = rng.standard_normal(6).astype(np.float32)
    grads = [rng.standard_normal(6).astype(np.float32) for _ in range(calls)]
    p = start.copy()
    # SGD, not Adam, whose step barely sees a mean taken for a sum
    opt = steepest.GradientAccumulation(steepest.SGD([p], lr=lr, momentum=0.9), steps=k)
    tx = optax.MultiSteps(optax.sgd(lr, momentum=0.9), every_k_schedule=k)
    theirs = jnp.asarray(start)
    state = tx.init(theirs)
    for g in grads:
        opt.step([g])
        updates, state = tx.update(jnp.asarray(g), state, theirs)
        theirs = optax.apply_updates(theirs, updates)
    assert opt.step_count == calls // k
    np.testing.assert_allclose(p, np.asarray(theirs), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("storage", ["float16", "bfloat16"])
def test_sixteen_bit_params_accumulate_in_float32(storage: str) -> None:
    """As the rules take them: the sum and mean in float32, the mean rounded
    to the param's dtype for the wrapped step; native = reference, bit for bit."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dt = np.dtype(np.float16 if storage == "float16" else ml_dtypes.bfloat16)
    k, calls = 3, 7
    runs = {}
    for backend in ("native", "reference"):
        params = [p.astype(dt) for p in _params(np.float32)]
        opt = steepest.GradientAccumulation(_make("Adam", params, backend), steps=k)
        rng = np.random.default_rng(3)
        for _ in range(calls):
            opt.step(_grads(rng, params))
        assert [a.dtype for a in opt.accumulated] == [np.dtype(np.float32)] * 3
        runs[backend] = (params, opt)
    # the oracle: a bare optimizer stepped with the float32 mean, rounded
    params = [p.astype(dt) for p in _params(np.float32)]
    inner, rng = _make("Adam", params, "reference"), np.random.default_rng(3)
    total = [np.zeros(p.shape, np.float32) for p in params]
    for t in range(1, calls + 1):
        for s, g in zip(total, _grads(rng, params), strict=True):
            s += g.astype(np.float32)
        if t % k == 0:
            inner.step([(s / np.float32(k)).astype(dt) for s in total])
            total = [np.zeros(p.shape, np.float32) for p in params]
    (p_nat, o_nat), (p_ref, o_ref) = runs["native"], runs["reference"]
    for a, b, c in zip(p_nat, p_ref, params, strict=True):
        assert a.dtype == dt
        np.testing.assert_array_equal(a.view(np.uint16), b.view(np.uint16))
        np.testing.assert_array_equal(a.view(np.uint16), c.view(np.uint16))
    for a, b, c in zip(o_nat.accumulated, o_ref.accumulated, total, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    # the state dict keeps the float32 sums, and refuses 16-bit ones
    sd = o_nat.state_dict()
    o_ref.load_state_dict(sd)
    sd["accumulated"] = [a.astype(dt) for a in sd["accumulated"]]
    with pytest.raises(
        ValueError, match=r"accumulated\[0\] is .* \(whose accumulated are float32\)"
    ):
        o_ref.load_state_dict(sd)
