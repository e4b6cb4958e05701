"""clip_grad_norm: native vs reference, thread and ISA invariance, torch parity.

The native norm sums fixed blocks in order in float64, the reference uses
NumPy's float64 reductions per array: the two agree to a relative 1e-12 (the
documented contract), and the native result is bit-identical across thread
counts and ISAs. Twin: ``cpp/bindings/register_clip.cpp``,
``cpp/include/steepest/optim/reduce.hpp``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType

import numpy as np
import pytest
import steepest
from steepest import _core
from steepest.reference import functional as ref

NORM_TYPES = [2.0, 1.0, 3.5, math.inf]
NORM_IDS = ["l2", "l1", "l3.5", "linf"]
# Native vs reference. The norm (float64 sums in another order, whatever the
# grads' dtype) is held to the documented contract, relative 1e-12 (measured
# <= 1e-14 up to 1e6 elements). The scaled grads differ only through the
# coefficient: in float64 by the norm's few roundings (measured <= 4.2e-15),
# in float32 not at all (measured: bitwise) unless the two norms straddle a
# float32 rounding boundary of the coefficient, one ulp (2**-23 relative).
NORM_RTOL = 1e-12
RTOL = {np.float64: 1e-13, np.float32: 2.0**-23}
# Against torch, which sums float32 grads in float32 (rounding grows with n).
TORCH_RTOL = {np.float64: 1e-12, np.float32: 1e-5}


# max_norm must be finite; this one never clips, so a call just measures.
NO_CLIP = 1e300


def _grads(rng: np.random.Generator, dtype: type, sizes: list[int]) -> list[np.ndarray]:
    return [(rng.standard_normal(n) * 3).astype(dtype) for n in sizes]


def _both(grads: list[np.ndarray], max_norm: float, norm_type: float):
    native = [g.copy() for g in grads]
    reference = [g.copy() for g in grads]
    n = steepest.clip_grad_norm(native, max_norm, norm_type=norm_type)
    r = ref.clip_grad_norm(reference, max_norm, norm_type=norm_type)
    return n, native, r, reference


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_native_matches_reference(
    norm_type: float, dtype: type, shape: tuple[int, ...], rng: np.random.Generator
) -> None:
    grads = [
        (rng.standard_normal(shape) * 3).astype(dtype),
        rng.standard_normal(5).astype(dtype),
    ]
    total = ref.clip_grad_norm([g.copy() for g in grads], NO_CLIP, norm_type=norm_type)
    max_norm = 0.5 * total  # forces a scale
    n, native, r, reference = _both(grads, max_norm, norm_type)
    assert isinstance(n, float)
    assert isinstance(r, float)
    assert n == pytest.approx(r, rel=NORM_RTOL)
    for a, b, g in zip(native, reference, grads, strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=RTOL[dtype], atol=0)
        assert g.size == 0 or not np.array_equal(a, g)
    # the scaled grads' norm is max_norm * total / (total + 1e-6) (torch's
    # coefficient), up to the rounding of the products (float32) and of the sums
    after = ref.clip_grad_norm([a.copy() for a in native], NO_CLIP, norm_type=norm_type)
    rel = {np.float64: 1e-13, np.float32: 4 * 2.0**-23}[dtype]
    assert after == pytest.approx(max_norm * total / (total + 1e-6), rel=rel)


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_known_norms(norm_type: float, functional: ModuleType) -> None:
    g = [np.array([3.0, -4.0]), np.array([12.0], np.float32)]
    expected = {2.0: 13.0, 1.0: 19.0, math.inf: 12.0}.get(norm_type, (3**3.5 + 4**3.5 + 12**3.5)
                                                          ** (1 / 3.5))  # fmt: skip
    total = functional.clip_grad_norm(g, 100.0, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_below_max_norm_is_untouched(
    norm_type: float, functional: ModuleType, rng: np.random.Generator
) -> None:
    grads = _grads(rng, np.float32, [10, 1000]) + _grads(rng, np.float64, [33])
    before = [g.copy() for g in grads]
    total = functional.clip_grad_norm(grads, NO_CLIP, norm_type=norm_type)
    # max_norm a hair above the norm: coef = max_norm / (total + 1e-6) >= 1
    functional.clip_grad_norm(grads, total + 1e-6, norm_type=norm_type)
    for g, b in zip(grads, before, strict=True):
        assert g.tobytes() == b.tobytes()


def test_max_norm_zero_zeroes(functional: ModuleType) -> None:
    g = np.array([1.0, -2.0])
    assert functional.clip_grad_norm(g, 0.0) == math.sqrt(5.0)
    assert g.tolist() == [0.0, -0.0]


@pytest.fixture
def big_grads() -> list[np.ndarray]:
    # Above the parallel grain with many 16384-element blocks, across arrays and dtypes.
    rng = np.random.default_rng(1)
    return [rng.standard_normal(700_001), rng.standard_normal(300_017).astype(np.float32),
            rng.standard_normal(3)]  # fmt: skip


def _native_norms(grads: list[np.ndarray]) -> Iterator[float]:
    for q in NORM_TYPES:
        yield steepest.clip_grad_norm([g.copy() for g in grads], NO_CLIP, norm_type=q)


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_thread_count_invariance(
    n_threads: int, norm_type: float, big_grads: list[np.ndarray]
) -> None:
    _core.set_num_threads(1)
    try:
        one = [g.copy() for g in big_grads]
        n1 = steepest.clip_grad_norm(one, 100.0, norm_type=norm_type)
    finally:
        _core.set_num_threads(n_threads)
    many = [g.copy() for g in big_grads]
    n = steepest.clip_grad_norm(many, 100.0, norm_type=norm_type)
    assert n == n1  # bit-identical
    for a, b in zip(one, many, strict=True):
        np.testing.assert_array_equal(a, b)
    assert n == pytest.approx(ref.clip_grad_norm([g.copy() for g in big_grads], 100.0,
                                                 norm_type=norm_type), rel=1e-12)  # fmt: skip


def test_isa_invariance(isa: str, big_grads: list[np.ndarray]) -> None:
    current = list(_native_norms(big_grads))
    _core.set_isa("baseline")
    try:
        baseline = list(_native_norms(big_grads))
    finally:
        _core.set_isa(isa)
    assert current == baseline  # bit-identical on every ISA


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_empty_and_zero_size(norm_type: float, functional: ModuleType) -> None:
    clip = functional.clip_grad_norm
    assert clip(np.zeros(0), 1.0, norm_type=norm_type) == 0.0
    assert (
        clip([np.zeros((0, 3), np.float32), np.zeros(0)], 1.0, norm_type=norm_type)
        == 0.0
    )
    g = [np.zeros(0), np.array([6.0, 8.0]), np.zeros((2, 0), np.float32)]
    total = clip(g, 5.0, norm_type=norm_type)
    assert total == {2.0: 10.0, 1.0: 14.0, math.inf: 8.0}.get(norm_type, total)
    assert g[1][0] == pytest.approx(6.0 * 5.0 / (total + 1e-6), rel=1e-15)


def test_mixed_dtypes(rng: np.random.Generator) -> None:
    grads = [rng.standard_normal(100).astype(np.float32), rng.standard_normal(50),
             rng.standard_normal((4, 4)).astype(np.float32)]  # fmt: skip
    n, native, r, reference = _both(grads, 1.0, 2.0)
    assert n == pytest.approx(r, rel=NORM_RTOL)
    wide = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    assert n == pytest.approx(float(np.linalg.norm(wide)), rel=NORM_RTOL)
    for a, b, g in zip(native, reference, grads, strict=True):
        assert a.dtype == g.dtype
        np.testing.assert_allclose(a, b, rtol=RTOL[g.dtype.type], atol=0)


def test_nonfinite_without_error_scales_by_nan() -> None:
    # torch's behaviour with error_if_nonfinite=False: coef is NaN, every grad becomes NaN.
    n, native, r, reference = _both(
        [np.array([1.0, np.nan]), np.ones(2, np.float32)], 1.0, 2.0
    )
    assert math.isnan(n)
    assert math.isnan(r)
    for a, b in zip(native, reference, strict=True):
        assert np.isnan(a).all()
        assert np.isnan(b).all()


def test_a_norm_that_overflows_is_inf_and_zeroes_every_grad() -> None:
    # p < 1: the sum of |g|^p is finite, its 1/p-th power is not; torch's
    # clip_grad_norm_ returns inf for it and scales by max_norm / inf = 0
    # (hypothesis found the reference raising OverflowError here once)
    def grads() -> list[np.ndarray]:
        return [np.array([9e307, 9e307, 1.0]), np.array([-9e307], np.float64)]

    for functional in (steepest, ref):
        got = grads()
        assert functional.clip_grad_norm(got, 1.0, norm_type=0.5) == math.inf
        for g in got:
            np.testing.assert_array_equal(g, np.zeros_like(g))
        with pytest.raises(ValueError, match="the total norm of grads is inf"):
            functional.clip_grad_norm(
                grads(), 1.0, norm_type=0.5, error_if_nonfinite=True
            )
    torch = pytest.importorskip("torch")
    tensors = []
    for g in grads():
        t = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        t.grad = torch.from_numpy(g)
        tensors.append(t)
    assert (
        float(torch.nn.utils.clip_grad_norm_(tensors, 1.0, norm_type=0.5)) == math.inf
    )
    for t in tensors:
        assert not t.grad.any()


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
def test_matches_torch(norm_type: float, dtype: type, rng: np.random.Generator) -> None:
    torch = pytest.importorskip("torch")
    grads = _grads(rng, dtype, [17, 1000, 3])
    tensors = []
    for g in grads:
        t = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype))
        t.grad = torch.from_numpy(g.copy())
        tensors.append(t)
    max_norm = 0.3 * ref.clip_grad_norm(
        [g.copy() for g in grads], NO_CLIP, norm_type=norm_type
    )
    expected = float(
        torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    )
    ours = [g.copy() for g in grads]
    total = steepest.clip_grad_norm(ours, max_norm, norm_type=norm_type)
    assert total == pytest.approx(expected, rel=TORCH_RTOL[dtype])
    for a, t in zip(ours, tensors, strict=True):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=TORCH_RTOL[dtype])


@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=NORM_IDS)
@pytest.mark.parametrize("storage", ["float16", "bfloat16"])
def test_sixteen_bit_grads(
    storage: str, norm_type: float, isa: str, n_threads: int
) -> None:
    """The 16-bit grads of 16-bit params: the norm of their exact float64
    values, the scaling in float32 rounded back to nearest even; native =
    reference (norm to the contract, grads bit for bit), in a mixed list."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    dt = np.dtype(np.float16 if storage == "float16" else ml_dtypes.bfloat16)
    rng = np.random.default_rng(4)
    grads = [(rng.standard_normal(100_003) * 3).astype(dt),
             (rng.standard_normal(9) * 3).astype(np.float32),
             (rng.standard_normal(7) * 3).astype(dt)]  # fmt: skip
    wide = np.concatenate([g.astype(np.float64) for g in grads])
    expected = (np.abs(wide).max() if math.isinf(norm_type)
                else float(np.sum(np.abs(wide) ** norm_type)) ** (1 / norm_type))  # fmt: skip
    n, native, r, reference = _both(grads, 1.0, norm_type)
    assert r == pytest.approx(expected, rel=1e-12)
    assert n == pytest.approx(r, rel=NORM_RTOL)
    coef = np.float32(1.0 / (r + 1e-6))
    for a, b, g in zip(native, reference, grads, strict=True):
        assert a.dtype == b.dtype == g.dtype
        bits = f"u{g.itemsize}"
        np.testing.assert_array_equal(a.view(bits), b.view(bits))
        if g.dtype.itemsize == 2:
            want = (g.astype(np.float32) * coef).astype(g.dtype)
            np.testing.assert_array_equal(b.view(bits), want.view(bits))
