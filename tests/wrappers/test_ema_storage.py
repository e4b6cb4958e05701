"""steepest.EMA and ema_update with float16 / bfloat16 params: a float32 average.

The average is float32 state of the params' exact (widened) values after
each update; it reaches the params rounded (swap, copy_to_params). Hand-
computed values, native = reference bit for bit (every ISA and thread
count, every rule fused into its step), the fused pass = the step followed
by ema_update, torch's AveragedModel over the widened params, and wrong
state rejected with nothing written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest
from steepest._rules import BY_CLASS
from steepest.reference import functional as ref

from .test_ema import _run

ml_dtypes = pytest.importorskip("ml_dtypes")
STORAGES = {"float16": np.dtype(np.float16), "bfloat16": np.dtype(ml_dtypes.bfloat16)}


@pytest.fixture(params=list(STORAGES))
def half(request: pytest.FixtureRequest) -> np.dtype[Any]:
    return STORAGES[request.param]


def _bits(a: np.ndarray) -> np.ndarray:
    return a.view(f"u{a.itemsize}")


def _params(
    dt: np.dtype[Any], sizes: tuple[int, ...] = (7, 5000, 1)
) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(n).astype(dt) for n in sizes]


def _grads(rng: np.random.Generator, params: list[np.ndarray]) -> list[np.ndarray]:
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in params]


# -- ema_update -----------------------------------------------------------------
def test_update_by_hand(functional: Any, half: np.dtype[Any]) -> None:
    # 0.1 rounds to 0.0999755859375 in float16 and 0.10009765625 in bfloat16:
    # the average takes the param's exact value
    p = np.array([0.1, 3.0, -2.0]).astype(half)
    ema = np.array([0.0, 1.0, -2.0], np.float32)
    functional.ema_update(ema, p, 0.75)
    first = 0.0999755859375 if half == np.float16 else 0.10009765625
    np.testing.assert_array_equal(ema, np.array([first / 4, 1.5, -2.0], np.float32))
    assert ema.dtype == np.float32
    functional.ema_update(ema, p, 0.0)  # 0: a copy of the exact values
    np.testing.assert_array_equal(ema, np.array([first, 3.0, -2.0], np.float32))


def test_update_moves_where_a_bfloat16_average_could_not(functional: Any) -> None:
    p = np.array([1.5], ml_dtypes.bfloat16)
    ema = np.array([1.0], np.float32)
    functional.ema_update(ema, p, 0.999)
    assert ema[0] == np.float32(0.999) * np.float32(1.0) + np.float32(1.5) * np.float32(
        1.0 - 0.999
    )
    assert ema[0] > 1.0
    # the same increment on a bfloat16 average rounds away
    assert ema.astype(ml_dtypes.bfloat16)[0] == 1.0


def test_update_native_equals_reference(
    half: np.dtype[Any], isa: str, n_threads: int
) -> None:
    """A list mixing 16-bit params (past a tile and the parallel grain) with
    float32 and float64 ones."""
    rng = np.random.default_rng(7)
    params = [rng.standard_normal(100_003).astype(half), rng.standard_normal(5),
              rng.standard_normal(7).astype(np.float32), rng.standard_normal(3).astype(half)]  # fmt: skip
    ema = [rng.standard_normal(p.shape).astype(np.float64 if p.dtype == np.float64 else
                                               np.float32) for p in params]  # fmt: skip
    want = [
        e * e.dtype.type(0.93) + p.astype(e.dtype) * e.dtype.type(1.0 - 0.93)
        for e, p in zip(ema, params, strict=True)
    ]
    ema2 = [a.copy() for a in ema]
    steepest.functional.ema_update(ema, params, 0.93)
    ref.ema_update(ema2, params, 0.93)
    for a, b, w in zip(ema, ema2, want, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, w)


def test_update_rejects_wrong_state(functional: Any) -> None:
    p = np.ones(3, np.float16)
    ema = np.zeros(3, np.float16)
    with pytest.raises(
        TypeError,
        match=r"ema_update: ema has dtype float16; expected float32, the state of "
        r"params \(float16\)",
    ):
        functional.ema_update(ema, p, 0.5)
    good = np.zeros(3, np.float32)
    with pytest.raises(TypeError, match=r"ema_update: ema\[1\] has dtype float32 but "
                       r"params\[1\] has dtype float64"):  # fmt: skip
        functional.ema_update([good, np.zeros(3, np.float32)], [p, np.ones(3)], 0.5)
    with pytest.raises(
        ValueError, match=r"ema_update: ema has shape \(4,\) but params"
    ):
        functional.ema_update(np.zeros(4, np.float32), p, 0.5)
    np.testing.assert_array_equal(good, 0.0)
    np.testing.assert_array_equal(ema, 0.0)
    np.testing.assert_array_equal(p, 1.0)


# -- the wrapper -------------------------------------------------------------------
def test_by_hand_sgd(backend: str) -> None:
    """bfloat16 near 1 has spacing 2^-8: each update is rounded, the average
    follows the rounded params in float32."""
    p = np.array([1.0], ml_dtypes.bfloat16)
    opt = steepest.EMA(steepest.SGD([p], lr=0.5, backend=backend), decay=0.5)
    assert opt.ema_params[0].dtype == np.float32
    g = np.array([0.01], ml_dtypes.bfloat16)  # 0.010009765625 exactly
    opt.step([g])  # 1 - 0.0050048828125 rounds to 255/256
    assert (float(p[0]), opt.ema_params[0][0]) == (0.99609375, 0.99609375)  # a copy
    opt.step([g])  # 0.99108... rounds to 254/256
    assert (float(p[0]), opt.ema_params[0][0]) == (0.9921875, 0.994140625)
    opt.step([g])  # 0.98718... rounds to 253/256
    assert (float(p[0]), opt.ema_params[0][0]) == (0.98828125, 0.9912109375)


@pytest.mark.parametrize("name", sorted(BY_CLASS))
def test_every_rule_native_equals_reference(
    name: str, half: np.dtype[Any], n_threads: int
) -> None:
    p_nat, o_nat = _run(name, "native", half, 4)
    p_ref, o_ref = _run(name, "reference", half, 4)
    for a, b in zip(p_nat, p_ref, strict=True):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    for a, b in zip(o_nat.ema_params, o_ref.ema_params, strict=True):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    # the average moved and differs from the params, or equality proves nothing
    start = _run(name, "native", half, 0)[0][1].astype(np.float32)
    assert not np.array_equal(o_nat.ema_params[1], start)
    assert not np.array_equal(o_nat.ema_params[1], p_nat[1].astype(np.float32))


@pytest.mark.parametrize("name", ["Adam", "Lamb", "NAdam"])
def test_fused_equals_separate_pass(name: str, half: np.dtype[Any], isa: str) -> None:
    """The fused pass averages each tile once it is rounded: the params the
    user holds, as ema_update reads them after the step."""
    p_fused, o_fused = _run(name, "native", half, 5)
    p_apart, o_apart = _run(name, "native", half, 5, fused=False)
    for a, b in zip(p_fused, p_apart, strict=True):
        np.testing.assert_array_equal(_bits(a), _bits(b))
    for a, b in zip(o_fused.ema_params, o_apart.ema_params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_matches_torch_averaged_model(half: np.dtype[Any]) -> None:
    """torch's AveragedModel over float32 copies of the rounded params: the
    same average to float32 rounding (torch lerps), and rounded to the
    param's dtype at most one ulp apart (a rounding boundary)."""
    torch = pytest.importorskip("torch")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    decay, steps = 0.9, 30
    params = _params(half)
    opt = steepest.EMA(steepest.Adam(params, lr=0.01), decay=decay)
    model = torch.nn.ParameterList(
        [torch.nn.Parameter(torch.tensor(p.astype(np.float32))) for p in params]
    )
    averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    rng = np.random.default_rng(5)
    for _ in range(steps):
        opt.step(_grads(rng, params))
        with torch.no_grad():
            for w, p in zip(model, params, strict=True):
                w.copy_(torch.tensor(p.astype(np.float32)))
        averaged.update_parameters(model)
    for mine, theirs_t in zip(opt.ema_params, averaged.module, strict=True):
        theirs = theirs_t.detach().numpy()
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
        a = _bits(mine.astype(half)).astype(np.int32)
        b = _bits(theirs.astype(half)).astype(np.int32)
        assert np.abs(a - b).max() <= 1
    assert not np.allclose(opt.ema_params[1], params[1].astype(np.float32))


def test_swap_rounds_and_swaps_back_whole(backend: str) -> None:
    p = np.array([1.0, -2.0], np.float16)
    opt = steepest.EMA(steepest.SGD([p], lr=0.1, backend=backend), decay=0.9)
    for _ in range(3):
        opt.step([np.array([0.3, -0.7], np.float16)])
    trained, average = p.copy(), opt.ema_params[0].copy()
    assert not np.array_equal(average.astype(np.float16).astype(np.float32), average)
    opt.swap()
    np.testing.assert_array_equal(_bits(p), _bits(average.astype(np.float16)))
    np.testing.assert_array_equal(opt.ema_params[0], trained.astype(np.float32))
    opt.swap()  # both back, the float32 average whole
    np.testing.assert_array_equal(_bits(p), _bits(trained))
    np.testing.assert_array_equal(opt.ema_params[0], average)
    opt.swap()
    p[...] = 5.0  # changed while swapped: the average becomes those params
    opt.swap()
    np.testing.assert_array_equal(_bits(p), _bits(trained))
    np.testing.assert_array_equal(opt.ema_params[0], [5.0, 5.0])
    opt.ema_params[0][...] = average
    opt.copy_to_params()
    np.testing.assert_array_equal(_bits(p), _bits(average.astype(np.float16)))
    p[...] = 3.0
    opt.reset()
    assert opt.ema_params[0].dtype == np.float32
    np.testing.assert_array_equal(opt.ema_params[0], [3.0, 3.0])


@pytest.mark.parametrize("wrapped", [False, True])
def test_bad_average_changes_nothing(backend: str, wrapped: bool) -> None:
    params = [np.ones(3, np.float16), np.ones(2, ml_dtypes.bfloat16)]
    inner = steepest.Adam(params, lr=0.1, backend=backend)
    opt = steepest.EMA(steepest.Lookahead(inner, k=3) if wrapped else inner, 0.5)
    grads = [np.ones(3, np.float16), np.ones(2, ml_dtypes.bfloat16)]
    opt.step(grads)
    opt.step(grads)
    good = opt.ema_params
    before = ([_bits(p).copy() for p in params], [e.copy() for e in good],
              {k: [a.copy() for a in v] for k, v in opt.state.items()}, opt.step_count)  # fmt: skip
    for ema, error, match in [
        ([good[0], np.ones(2, ml_dtypes.bfloat16)], TypeError,
         r"ema\[1\] has dtype bfloat16; expected float32, the state of params?\[1\]"),
        ([good[0], np.ones(2)], TypeError, r"ema\[1\] has dtype float64; expected float32"),
        ([good[0], np.ones(3, np.float32)], ValueError, r"ema\[1\] has shape \(3,\)"),
        ([good[0]], ValueError, "ema has 1 arrays"),
    ]:  # fmt: skip
        opt.ema_params = ema
        with pytest.raises(error, match=match):
            opt.step(grads)
        opt.ema_params = good
        for p, b in zip(params, before[0], strict=True):
            np.testing.assert_array_equal(_bits(p), b)
        for e, b in zip(good, before[1], strict=True):
            np.testing.assert_array_equal(e, b)
        for key, arrays in opt.state.items():
            for a, b in zip(arrays, before[2][key], strict=True):
                np.testing.assert_array_equal(a, b)
        assert opt.step_count == before[3]


def test_state_dict(half: np.dtype[Any]) -> None:
    params = _params(half)
    opt = steepest.EMA(steepest.Adam(params, lr=0.01), 0.8)
    rng = np.random.default_rng(0)
    for _ in range(3):
        opt.step(_grads(rng, params))
    saved = opt.state_dict()
    assert [a.dtype for a in saved["ema_params"]] == [np.dtype(np.float32)] * 3
    other = steepest.EMA(
        steepest.Adam(_params(half), lr=0.01, backend="reference"), 0.1
    )
    other.load_state_dict(saved)
    for a, b in zip(other.ema_params, opt.ema_params, strict=True):
        np.testing.assert_array_equal(a, b)
    bad = [a.astype(half) for a in saved["ema_params"]]
    with pytest.raises(
        ValueError, match=r"ema_params\[0\] is .* \(whose ema_params are float32\)"
    ):
        opt.load_state_dict({**saved, "ema_params": bad})


def test_fused_binding_checks_the_average() -> None:
    p, g = np.ones(3, np.float16), np.ones(3, np.float16)
    args = [p, g, None, 1, 0.1, 0.0, 0.0, False, 0.0, False, "ignore"]
    ema = np.ones(3, np.float16)
    with pytest.raises(
        TypeError,
        match=r"sgd_step: ema has dtype float16; expected float32, the state of param",
    ):
        steepest._core.step_with_ema("sgd_step", ema, 0.9, *args)
    np.testing.assert_array_equal(p, 1.0)
    np.testing.assert_array_equal(ema, 1.0)
    good = np.full(3, 2.0, np.float32)
    assert steepest._core.step_with_ema("sgd_step", good, 0.5, *args)
    np.testing.assert_array_equal(_bits(p), _bits(np.full(3, 0.9, np.float16)))
    np.testing.assert_array_equal(good, 0.5 * 2.0 + 0.5 * np.float32(np.float16(0.9)))
