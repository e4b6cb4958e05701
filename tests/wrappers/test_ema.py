"""steepest.EMA and its update ema_update.

Hand-computed values, native = reference bit for bit (the kernel over every
ISA and thread count; the step with the average fused into it for every
rule, float32 and float64, threaded), the fused pass = the step followed by
a pass of its own, torch's AveragedModel with get_ema_multi_avg_fn over 30
steps, the state dict, and bad input leaving everything as it was.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS
from steepest.reference import functional as ref


def _params(dtype: type, sizes: tuple[int, ...] = (7, 165, 1)) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(n).astype(dtype) for n in sizes]


def _grads(rng: np.random.Generator, params: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


# -- ema_update -----------------------------------------------------------------
def test_update_by_hand(functional: Any) -> None:
    ema = np.array([0.0, 1.0, -2.0])
    functional.ema_update(ema, np.array([1.0, 3.0, -2.0]), 0.75)
    np.testing.assert_array_equal(ema, [0.25, 1.5, -2.0])
    functional.ema_update(ema, np.array([4.0, 4.0, 4.0]), 0.0)  # 0: a copy
    np.testing.assert_array_equal(ema, [4.0, 4.0, 4.0])


def test_update_native_equals_reference(
    dtype: type, shape: tuple[int, ...], isa: str, n_threads: int
) -> None:
    rng = np.random.default_rng(7)
    ema = [rng.standard_normal(shape).astype(dtype), rng.standard_normal(9000)]
    params = [rng.standard_normal(shape).astype(dtype), rng.standard_normal(9000)]
    ema2 = [a.copy() for a in ema]
    steepest.functional.ema_update(ema, params, 0.93)
    ref.ema_update(ema2, params, 0.93)
    for a, b in zip(ema, ema2, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("decay", "error", "match"),
    [(1.0, ValueError, r"decay must be in \[0, 1\), got 1.0"),
     (-0.1, ValueError, r"decay must be in \[0, 1\), got -0.1"),
     (float("nan"), ValueError, r"decay must be in \[0, 1\), got nan"),
     ("x", TypeError, "decay must be a real number")],
)  # fmt: skip
def test_update_rejects_decay(
    functional: Any, decay: Any, error: type, match: str
) -> None:
    ema = np.zeros(3)
    with pytest.raises(error, match=f"ema_update: {match}"):
        functional.ema_update(ema, np.ones(3), decay)
    np.testing.assert_array_equal(ema, 0.0)


def test_update_rejects_mismatched_arrays(functional: Any) -> None:
    with pytest.raises(ValueError, match="ema_update: params has shape"):
        functional.ema_update(np.zeros(3), np.zeros(4), 0.5)
    with pytest.raises(TypeError, match="ema_update: params has dtype"):
        functional.ema_update(np.zeros(3), np.ones(3, np.float32), 0.5)
    a = np.zeros(4)
    with pytest.raises(ValueError, match="overlaps"):
        functional.ema_update(a[:3], a[1:], 0.5)


# -- the wrapper -------------------------------------------------------------------
def test_by_hand_sgd(backend: str) -> None:
    p = np.array([1.0, 2.0])
    opt = steepest.EMA(steepest.SGD([p], lr=0.5, backend=backend), decay=0.5)
    np.testing.assert_array_equal(opt.ema_params[0], [1.0, 2.0])  # a copy at first
    expected = [[0.5, 1.5], [0.25, 1.25], [-0.125, 0.875]]
    for want in expected:
        opt.step([np.array([1.0, 1.0])])
        np.testing.assert_array_equal(opt.ema_params[0], want)
    # first update copies p_1 = (0.5, 1.5); then 0.5 * ema + 0.5 * p_t
    np.testing.assert_array_equal(p, [-0.5, 0.5])
    assert (opt.updates, opt.step_count) == (3, 3)


def _run(
    name: str, backend: str, dtype: type | None, steps: int, fused: bool = True
) -> Any:
    sizes = (7, 70001, 1)
    params = (
        _params(dtype, sizes)
        if dtype is not None  # a mixed list: float32 and float64 in one step
        else [a.astype(t) for a, t in zip(_params(np.float64, sizes),
                                          (np.float32, np.float64, np.float32), strict=True)]
    )  # fmt: skip
    inner = getattr(steepest, name)(params, backend=backend)
    opt = steepest.EMA(inner if fused else steepest.GradientAccumulation(inner, 1), 0.9)
    rng = np.random.default_rng(3)
    for _ in range(steps):
        opt.step(_grads(rng, params))
    return params, opt


@pytest.mark.parametrize("name", sorted(BY_CLASS))
def test_every_rule_native_equals_reference(name: str, n_threads: int) -> None:
    """The fused pass (blocks of 1024 inside threaded pieces) rounds as the
    reference's step followed by its own pass, float32, float64, mixed."""
    for dtype in (np.float32, np.float64, None):
        p_nat, o_nat = _run(name, "native", dtype, 4)
        p_ref, o_ref = _run(name, "reference", dtype, 4)
        for a, b in zip(
            p_nat + o_nat.ema_params, p_ref + o_ref.ema_params, strict=True
        ):
            np.testing.assert_array_equal(a, b)
        for key in o_nat.state:
            for a, b in zip(o_nat.state[key], o_ref.state[key], strict=True):
                np.testing.assert_array_equal(a, b)
        # the average moved and differs from the params, or equality proves nothing
        start = _run(name, "native", dtype, 0)[0]
        assert not np.array_equal(o_nat.ema_params[1], start[1])
        assert not np.array_equal(o_nat.ema_params[1], p_nat[1])


@pytest.mark.parametrize("name", ["Adam", "Lamb", "NAdam"])
def test_fused_equals_separate_pass(name: str, isa: str) -> None:
    """Around a wrapper the average is a pass of its own (ema_update); here
    GradientAccumulation(steps=1) changes nothing, so both agree bit for bit."""
    p_fused, o_fused = _run(name, "native", np.float32, 5)
    p_apart, o_apart = _run(name, "native", np.float32, 5, fused=False)
    for a, b in zip(
        p_fused + o_fused.ema_params, p_apart + o_apart.ema_params, strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_matches_torch_averaged_model() -> None:
    torch = pytest.importorskip("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    decay, steps = 0.9, 30
    params = _params(np.float64)
    opt = steepest.EMA(steepest.Adam(params, lr=0.01), decay=decay)
    model = torch.nn.ParameterList(
        [torch.nn.Parameter(torch.tensor(p)) for p in _params(np.float64)]
    )
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    torch_opt = torch.optim.Adam(model.parameters(), lr=0.01)
    rng = np.random.default_rng(5)
    for _ in range(steps):
        grads = _grads(rng, params)
        opt.step(grads)
        for w, g in zip(model, grads, strict=True):
            w.grad = torch.tensor(g)
        torch_opt.step()
        averaged.update_parameters(model)
    for mine, theirs in zip(opt.ema_params, averaged.module, strict=True):
        # torch lerps (ema + w * (p - ema)); ours is Keras' formula: rounding apart
        np.testing.assert_allclose(
            mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-14
        )
    assert not np.allclose(opt.ema_params[1], params[1])


def test_skipped_steps_do_not_count(backend: str) -> None:
    p = np.array([1.0])
    opt = steepest.EMA(
        steepest.SGD([p], lr=0.5, nonfinite="skip", backend=backend), 0.5
    )
    opt.step([np.array([np.nan])])
    assert (opt.updates, opt.skipped_steps, opt.step_count) == (0, 1, 0)
    np.testing.assert_array_equal(opt.ema_params[0], [1.0])
    opt.step([np.array([1.0])])
    np.testing.assert_array_equal(opt.ema_params[0], [0.5])  # the first update copies


def test_counts_updates_not_calls(backend: str) -> None:
    p = np.array([1.0])
    inner = steepest.GradientAccumulation(steepest.SGD([p], lr=0.5, backend=backend), 2)
    opt = steepest.EMA(inner, 0.5)
    opt.step([np.array([1.0])])
    assert opt.updates == 0
    opt.step([np.array([1.0])])
    assert opt.updates == 1
    np.testing.assert_array_equal(opt.ema_params[0], [0.5])


def test_swap_copy_reset() -> None:
    p = np.array([1.0])
    opt = steepest.EMA(steepest.SGD([p], lr=0.5), decay=0.5)
    opt.step([np.array([1.0])])
    opt.step([np.array([1.0])])  # p 0.0, ema 0.25
    opt.swap()
    assert (p[0], opt.ema_params[0][0]) == (0.25, 0.0)
    opt.swap()
    assert (p[0], opt.ema_params[0][0]) == (0.0, 0.25)
    opt.copy_to_params()
    assert p[0] == 0.25
    p[0] = 3.0
    opt.reset()
    assert (opt.updates, opt.ema_params[0][0]) == (0, 3.0)
    assert opt.ema_params[0] is not p


def test_forwards_the_step_api() -> None:
    p = np.zeros(2)
    inner = steepest.Adam([p], lr=0.01)
    opt = steepest.EMA(inner)
    assert opt.params[0] is p
    assert opt.state is inner.state
    opt.lr = 0.5
    assert inner.lr == opt.lr == 0.5
    assert opt.decay == 0.999
    assert repr(opt).startswith("EMA(Adam(1 arrays")
    assert steepest.reference.EMA is steepest.EMA


@pytest.mark.parametrize(
    ("decay", "error", "match"),
    [(1.0, ValueError, r"decay must be in \[0, 1\), got 1.0"),
     (-0.5, ValueError, r"decay must be in \[0, 1\)"),
     (float("nan"), ValueError, r"decay must be in \[0, 1\), got nan"),
     ("x", TypeError, "decay must be a real number")],
)  # fmt: skip
def test_rejects_decay(decay: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=f"EMA: {match}"):
        steepest.EMA(steepest.SGD([np.zeros(2)]), decay)


def test_rejects_non_optimizer() -> None:
    with pytest.raises(TypeError, match="EMA: optimizer must be a steepest optimizer"):
        steepest.EMA([np.zeros(2)])  # type: ignore[arg-type]


def _snapshot(opt: Any) -> Any:
    return (
        [p.copy() for p in opt.params],
        [e.copy() for e in opt.ema_params],
        {k: [a.copy() for a in v] for k, v in opt.state.items()},
        opt.updates,
        opt.step_count,
    )


def _same(a: Any, b: Any) -> None:
    for x, y in zip(a[0] + a[1], b[0] + b[1], strict=True):
        np.testing.assert_array_equal(x, y)
    for key in a[2]:
        for x, y in zip(a[2][key], b[2][key], strict=True):
            np.testing.assert_array_equal(x, y)
    assert a[3:] == b[3:]


@pytest.mark.parametrize("wrapped", [False, True])
def test_bad_input_changes_nothing(backend: str, wrapped: bool) -> None:
    params = [np.ones(3), np.ones(2)]
    inner = steepest.Adam(params, lr=0.1, backend=backend)
    opt = steepest.EMA(steepest.Lookahead(inner, k=3) if wrapped else inner, 0.5)
    opt.step([np.ones(3), np.ones(2)])
    opt.step([np.ones(3), np.ones(2)])
    before = _snapshot(opt)
    for bad, error in [([np.ones(3), np.ones(4)], ValueError),
                       ([np.ones(3)], ValueError),
                       ([np.ones(3), np.ones(2, np.float32)], TypeError),
                       ([np.ones(3), np.array([1.0, np.nan])], ValueError)]:  # fmt: skip
        with pytest.raises(error):
            opt.step(bad)
        _same(before, _snapshot(opt))
    # an average the user swapped for a wrong one, or one aliasing the params
    good = opt.ema_params
    for ema in (
        [good[0], np.ones(3)],
        [good[0], np.ones(2, np.float32)],
        [params[0], good[1]],
    ):
        opt.ema_params = ema
        with pytest.raises((ValueError, TypeError)):
            opt.step([np.ones(3), np.ones(2)])
        opt.ema_params = good
        _same(before, _snapshot(opt))


def test_state_dict_round_trip(backend: str) -> None:
    rng = np.random.default_rng(0)
    grads = [_grads(rng, _params(np.float64)) for _ in range(9)]
    a_params = _params(np.float64)
    a = steepest.EMA(steepest.Adam(a_params, lr=0.01, backend=backend), 0.8)
    for g in grads[:5]:
        a.step(g)
    saved, checkpoint = a.state_dict(), [p.copy() for p in a_params]
    for g in grads[5:]:
        a.step(g)
    assert saved["updates"] == 5  # copies: stepping on did not change them
    b_params = _params(np.float64)
    b = steepest.EMA(steepest.Adam(b_params, lr=0.01, backend=backend), 0.1)
    b.load_state_dict(saved)
    assert (b.decay, b.updates, b.step_count) == (0.8, 5, 5)
    for p, q in zip(b_params, checkpoint, strict=True):
        p[...] = q
    for g in grads[5:]:
        b.step(g)
    for x, y in zip(b_params + b.ema_params, a_params + a.ema_params, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("change", "match"),
    [({"optimizer": "Lookahead"}, "state_dict is from Lookahead"),
     ({"decay": 1.0}, r"decay must be in \[0, 1\)"),
     ({"decay": "x"}, "decay must be a real number"),
     ({"updates": -1}, "updates must be an int >= 0, got -1"),
     ({"updates": 1.5}, "updates must be an int >= 0"),
     ({"ema_params": [np.zeros(7)]}, "ema_params must be a list of 3 arrays"),
     ({"ema_params": [np.zeros(7), np.zeros(165), np.zeros(2)]}, r"ema_params\[2\] is"),
     ({"inner": {}}, "Adam.load_state_dict: state_dict lacks")],
)  # fmt: skip
def test_load_rejects_bad_state_dicts(change: dict, match: str) -> None:
    params = _params(np.float64)
    opt = steepest.EMA(steepest.Adam(params), 0.9)
    rng = np.random.default_rng(0)
    for _ in range(3):
        opt.step(_grads(rng, params))
    saved = opt.state_dict()
    opt.step(_grads(rng, params))
    before = _snapshot(opt)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict({**saved, **change})
    _same(before, _snapshot(opt))
    with pytest.raises(ValueError, match=r"state_dict lacks \['decay'\]"):
        opt.load_state_dict({k: v for k, v in saved.items() if k != "decay"})


def test_fused_binding_rejects_its_own_arguments() -> None:
    from steepest import _core

    p, g, m, v = np.ones(3), np.ones(3), np.zeros(3), np.zeros(3)
    ema = np.zeros(3)
    args = (p, g, m, v, None, 1, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, "raise")
    with pytest.raises(
        ValueError, match=r"step_with_ema: ema_decay must be in \[0, 1\)"
    ):
        _core.step_with_ema("adam_step", ema, 1.0, *args)
    with pytest.raises(ValueError, match="step_with_ema: step must name a rule's step"):
        _core.step_with_ema("nope_step", ema, 0.5, *args)
    with pytest.raises(TypeError, match="step_with_ema: adam_step takes 14 arguments"):
        _core.step_with_ema("adam_step", ema, 0.5, *args[:-1])
    with pytest.raises(TypeError, match="step_with_ema: step must be a str"):
        _core.step_with_ema(1, ema, 0.5, *args)
    np.testing.assert_array_equal(p, 1.0)
    np.testing.assert_array_equal(ema, 0.0)
    assert _core.step_with_ema("adam_step", ema, 0.5, *args)
    np.testing.assert_array_equal(ema, 0.5 * p)
