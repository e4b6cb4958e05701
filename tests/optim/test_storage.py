"""float16 / bfloat16 params and grads with float32 state (issue 11).

Each element is widened to float32, the rule's float32 step runs, the param is
rounded back to nearest even. The native driver's converters equal NumPy's
(float16) and ml_dtypes' (bfloat16) casts bit for bit over every 16-bit
pattern and around every rounding boundary, on every ISA; every rule's native
step equals the reference's (which does the same with ``astype``) bit for
bit, in lists mixing storage types, 1 and 2 threads, every ISA.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import steepest
from steepest import _core
from steepest.reference import functional as ref

from .._cases import CASE_IDS, CASES, Case, call_step, new_state

ml_dtypes = pytest.importorskip("ml_dtypes")

STORAGE = {"float16": np.dtype(np.float16), "bfloat16": np.dtype(ml_dtypes.bfloat16)}


@pytest.fixture(params=list(STORAGE))
def storage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _bits(a: np.ndarray) -> np.ndarray:
    return (
        a.view(np.uint16) if a.dtype.itemsize == 2 else a.view(f"u{a.dtype.itemsize}")
    )


def _cast(x: np.ndarray, dt: Any) -> np.ndarray:
    with np.errstate(all="ignore"):
        return x.astype(dt)


# -- the converters ------------------------------------------------------------------------


ALL_BITS = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)


def _narrow_inputs(storage: str, rng: np.random.Generator) -> np.ndarray:
    """float32 values on, next to and halfway between every pair of adjacent
    16-bit values (the ties), and random float32 bit patterns (NaN payloads,
    subnormals, overflow included)."""
    dt = STORAGE[storage]
    wide = _cast(ALL_BITS.view(dt), np.float32)
    finite = np.sort(wide[np.isfinite(wide)])
    finite = np.unique(finite)
    mid = finite[:-1] + (finite[1:] - finite[:-1]) / np.float32(2)  # exact in float32
    near = [
        np.nextafter(mid, np.float32(np.inf)),
        np.nextafter(mid, np.float32(-np.inf)),
    ]
    rand = (
        rng.integers(0, 1 << 32, 1 << 20, dtype=np.uint64)
        .astype(np.uint32)
        .view(np.float32)
    )
    edges = np.array([65504.0, 65519.996, 65520.0, 65536.0, 2.0**-24, 2.0**-25, 3 * 2.0**-26,
                      2.0**-25 * (1 + 2.0**-23), 1.0 + 2.0**-11, 1.0 + 3 * 2.0**-11,
                      1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 3.3895314e38, 3.4028235e38,
                      np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-45, -1e-45],
                     np.float32)  # fmt: skip
    quiet = np.array([0x7F800001, 0xFF800001, 0x7FC00000, 0x7FA00000, 0x7F8FFFFF, 0x7F801FFF],
                     np.uint32).view(np.float32)  # fmt: skip
    return np.concatenate([wide, mid, *near, rand, edges, quiet, -mid])


def test_widen_every_pattern(storage: str, isa: str) -> None:
    got = _core.storage_widen(ALL_BITS, storage)
    want = _cast(ALL_BITS.view(STORAGE[storage]), np.float32)
    np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


def test_narrow_every_boundary(
    storage: str, isa: str, rng: np.random.Generator
) -> None:
    x = _narrow_inputs(storage, rng)
    got = _core.storage_narrow(x, storage)
    want = _bits(_cast(x, STORAGE[storage]))
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(hex(int(x.view(np.uint32)[i])), hex(got[i]), hex(want[i]))
                           for i in bad[:5]]  # fmt: skip


@pytest.mark.parametrize(
    ("storage", "x", "bits"),
    [
        ("float16", 1.0 + 2.0**-11, 0x3C00),  # tie: to even (down)
        ("float16", 1.0 + 3 * 2.0**-11, 0x3C02),  # tie: to even (up)
        ("float16", 2.0**-25, 0x0000),  # half the least subnormal: to zero
        ("float16", 3 * 2.0**-26, 0x0001),  # above the tie: least subnormal
        ("float16", 3 * 2.0**-25, 0x0002),  # subnormal tie: to even
        ("float16", 65519.996, 0x7BFF),  # just below the overflow tie: max
        ("float16", 65520.0, 0x7C00),  # the tie overflows to inf
        ("float16", -1e30, 0xFC00),
        ("bfloat16", 1.0 + 2.0**-8, 0x3F80),  # tie: to even (down)
        ("bfloat16", 1.0 + 3 * 2.0**-8, 0x3F82),  # tie: to even (up)
        ("bfloat16", 3.4028235e38, 0x7F80),  # float32 max rounds up to inf
        ("bfloat16", -np.inf, 0xFF80),
    ],
)
def test_rounding_cases(storage: str, x: float, bits: int, isa: str) -> None:
    # a vector's worth and a tail, so both code paths see the value
    got = _core.storage_narrow(np.full(11, x, np.float32), storage)
    assert [hex(b) for b in got] == [hex(bits)] * 11


def test_nan_stays_nan(storage: str, isa: str) -> None:
    x = np.array([np.nan, -np.nan] * 9, np.float32)
    x.view(np.uint32)[::3] = 0x7F800001  # a signalling NaN whose payload rounds away
    h = _core.storage_narrow(x, storage)
    assert np.isnan(h.view(STORAGE[storage]).astype(np.float32)).all()
    assert np.isnan(_core.storage_widen(h, storage)).all()


def test_bad_kind() -> None:
    with pytest.raises(
        ValueError, match="kind must be 'float16' or 'bfloat16', got 'half'"
    ):
        _core.storage_widen(ALL_BITS, "half")


# -- every rule: native = reference --------------------------------------------------------


def _start(name: str, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # as test_parity: second moments in [0.1, 0.2), signed ones near zero; float32
    if name in ("grad_avg", "momentum_buffer", "m"):
        return (rng.random(p.shape) * 0.1 - 0.05).astype(np.float32)
    return (rng.random(p.shape) * 0.1 + 0.1).astype(np.float32)


def _state_dtype(p: np.ndarray) -> Any:
    return np.float32 if p.dtype.itemsize == 2 else p.dtype


def run_both(
    case: Case, params: list[np.ndarray], rng: np.random.Generator, steps: int
) -> bool:
    native_p = [p.copy() for p in params]
    ref_p = [p.copy() for p in params]
    native_s = {
        name: [_fresh(name, p, rng) for p in params] for name in case.states if name
    }
    ref_s = {k: [a.copy() for a in arrays] for k, arrays in native_s.items()}
    for t in range(1, steps + 1):
        grads = [_cast(rng.standard_normal(p.shape), p.dtype) for p in params]
        assert call_step(steepest.functional, case, native_p, grads, native_s, t)
        assert call_step(ref, case, ref_p, grads, ref_s, t)
    for i, (a, b) in enumerate(zip(native_p, ref_p, strict=True)):
        np.testing.assert_array_equal(_bits(a), _bits(b), err_msg=f"param[{i}]")
    for name, arrays in native_s.items():
        for a, b, p in zip(arrays, ref_s[name], params, strict=True):
            if a.ndim > 0:  # an array slot: float32 for a 16-bit param
                assert a.dtype == _state_dtype(p), name
            np.testing.assert_array_equal(_bits(a), _bits(b), err_msg=name)
    # whether any 16-bit param moved: a run that moved none proves nothing (a
    # small update can stay below half an ulp of a bfloat16 param for 21 steps)
    return any(
        a.dtype.itemsize == 2 and not np.array_equal(_bits(a), _bits(p))
        for a, p in zip(native_p, params, strict=True)
    )


def _fresh(name: str, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    def make(like: np.ndarray) -> np.ndarray:
        out = _start(name, like, rng)
        return out if like.dtype.itemsize == 2 else out.astype(like.dtype)

    return np.asarray(new_state(name, p, make))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_storage(case: Case, storage: str, rng: np.random.Generator) -> None:
    dt = STORAGE[storage]
    moved = [
        run_both(case, [_cast(rng.standard_normal(shape), dt)], rng, 21)
        for shape in [(1,), (7,), (1023,), (64, 33)]
    ]
    assert moved[-1]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_parity_storage_mixed_threads_isa(
    case: Case, storage: str, isa: str, n_threads: int, rng: np.random.Generator
) -> None:
    # float16, bfloat16, float32 and float64 params in one call, above the
    # parallel grain (and LAMB's 16384-element blocks), so threads span arrays
    other = "bfloat16" if storage == "float16" else "float16"
    sizes = [70_001, 1, 33, 40_000, 2_049]
    dtypes = [
        STORAGE[storage],
        np.float32,
        STORAGE[other],
        np.float64,
        STORAGE[storage],
    ]
    params = [
        _cast(rng.standard_normal(n), d) for n, d in zip(sizes, dtypes, strict=True)
    ]
    assert run_both(case, params, rng, 4)


# -- errors --------------------------------------------------------------------------------


@pytest.fixture(params=["native", "reference"])
def functional(request: pytest.FixtureRequest) -> Any:
    return steepest.functional if request.param == "native" else ref


def test_state_of_wrong_dtype(functional: Any, storage: str) -> None:
    dt = STORAGE[storage]
    p, g = np.zeros(3, dt), np.zeros(3, dt)
    m, v = np.zeros(3, np.float32), np.zeros(3, dt)
    with pytest.raises(
        TypeError,
        match=rf"^adam_step: v has dtype {storage}; expected float32, "
        rf"the state of param \({storage}\)$",
    ):
        functional.adam_step(p, g, m, v, step=1)
    with pytest.raises(
        TypeError, match=r"m\[1\] has dtype float64; expected float32, "
    ):
        functional.adam_step([p, p.copy()], [g, g], [m, np.zeros(3)], [v.astype(np.float32),
                             np.zeros(3, np.float32)], step=1)  # fmt: skip


def test_grad_of_other_dtype(functional: Any, storage: str) -> None:
    dt = STORAGE[storage]
    p, m, v = np.zeros(3, dt), np.zeros(3, np.float32), np.zeros(3, np.float32)
    for g in (np.zeros(3, np.float32), np.zeros(3, STORAGE[
            "bfloat16" if storage == "float16" else "float16"])):  # fmt: skip
        with pytest.raises(
            TypeError,
            match=rf"^adam_step: grad has dtype {g.dtype} but param has dtype {storage}$",
        ):
            functional.adam_step(p, g, m, v, step=1)


def test_other_dtypes_still_rejected(functional: Any) -> None:
    p = np.zeros(3, np.int16)
    with pytest.raises(
        TypeError,
        match=r"^sgd_step: param has dtype int16; expected float32, float64, float16 or bfloat16$",
    ):
        functional.sgd_step(p, p, step=1, lr=0.1)


def test_nonfinite_half_grad(functional: Any, storage: str) -> None:
    dt = STORAGE[storage]
    p = [np.ones(5000, dt), np.ones(3, np.float32)]
    g = [np.ones(5000, dt), np.ones(3, np.float32)]
    g[0][4097] = np.inf
    m = [np.zeros(5000, np.float32), np.zeros(3, np.float32)]
    v = [a.copy() for a in m]
    with pytest.raises(ValueError, match=r"grad\[0\] contains NaN or inf"):
        functional.adam_step(p, g, m, v, step=1)
    assert not functional.adam_step(p, g, m, v, step=1, nonfinite="skip")
    assert (p[0] == 1).all()
    assert (m[0] == 0).all()
    assert (p[1] == 1).all()


def test_class_keeps_float32_state(storage: str, rng: np.random.Generator) -> None:
    dt = STORAGE[storage]
    w = _cast(rng.standard_normal(100), dt)
    grads = [_cast(rng.standard_normal(100), dt) for _ in range(3)]
    runs = []
    for backend in ("native", "reference"):
        p = w.copy()
        opt = steepest.AdamW([p], lr=0.05, backend=backend)
        assert {a[0].dtype for a in opt.state.values()} == {np.dtype(np.float32)}
        for g in grads:
            opt.step([g])
        assert p.dtype == dt
        assert not np.array_equal(_bits(p), _bits(w))
        runs.append((p, opt.state["v"][0]))
    np.testing.assert_array_equal(_bits(runs[0][0]), _bits(runs[1][0]))
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    # the state dict round trip keeps float32 state for the 16-bit param
    opt2 = steepest.AdamW([w.copy()], lr=0.05)
    opt2.load_state_dict(opt.state_dict())
    assert opt2.state["m"][0].dtype == np.float32
