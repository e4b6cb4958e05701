"""ISA dispatch, build information and thread settings of steepest._core.

Twins: ``cpp/src/dispatch.cpp`` and ``cpp/bindings/register_info.cpp``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest
import steepest
from steepest import _core

ISAS = ("baseline", "v3", "v4")
BUILD_INFO_KEYS = {
    "version", "compiler", "cxx_flags", "kernel_flags", "openmp", "built_isas",
    "available_isas", "selected_isa", "max_threads", "parallel_grain", "blas", "sanitize",
}  # fmt: skip


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_available_isas() -> None:
    available = _core.available_isas()
    assert "baseline" in available
    assert set(available) <= set(ISAS)
    assert set(available) <= set(_core.build_info()["built_isas"])
    assert _core.get_isa() in available
    assert steepest.available_isas() == available


def test_build_info() -> None:
    info = _core.build_info()
    assert set(info) == BUILD_INFO_KEYS
    assert info["version"] == steepest.__version__ == _core.__version__
    assert isinstance(info["compiler"], str)
    assert info["compiler"]
    assert "-ffp-contract=off" in info["kernel_flags"]  # the bit-parity contract
    assert "-ffast-math" not in info["kernel_flags"] + info["cxx_flags"]
    assert (
        info["openmp"] is None or info["openmp"] >= 201307
    )  # OpenMP 4.0 has `omp simd`
    assert info["selected_isa"] == _core.get_isa()
    assert info["available_isas"] == _core.available_isas()
    assert info["max_threads"] == _core.get_num_threads() >= 1
    assert info["parallel_grain"] == _core.get_parallel_grain() >= 1
    assert isinstance(info["sanitize"], str)  # "" unless a checking build


@pytest.fixture
def restore_isa() -> Iterator[str]:
    before = _core.get_isa()
    yield before
    _core.set_isa(before)


@pytest.mark.parametrize("name", ["bogus", "", "V3", "avx2"])
def test_set_isa_unknown(name: str, restore_isa: str) -> None:
    with pytest.raises(
        ValueError, match=r"^set_isa: isa must be 'baseline', 'v3' or 'v4'"
    ) as e:
        _core.set_isa(name)
    assert repr(name) in str(e.value)
    assert _core.get_isa() == restore_isa


def test_set_isa_unavailable(restore_isa: str) -> None:
    missing = [w for w in ISAS if w not in _core.available_isas()]
    if not missing:
        pytest.skip("this CPU runs every ISA level")
    with pytest.raises(ValueError, match="is not available on this CPU or build"):
        _core.set_isa(missing[-1])
    assert _core.get_isa() == restore_isa


def _adam_run(isa: str) -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    # above the parallel grain, mixed dtypes, and a tail that is not a SIMD multiple
    params = [
        rng.standard_normal(50_007).astype(np.float32),
        rng.standard_normal(40_001),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    previous = _core.get_isa()
    _core.set_isa(isa)
    try:
        for t in range(1, 11):
            grads = [rng.standard_normal(p.shape).astype(p.dtype) for p in params]
            steepest.functional.adam_step(params, grads, m, v, v_max, step=t, lr=0.01,
                                          weight_decay=0.1, amsgrad=True)  # fmt: skip
    finally:
        _core.set_isa(previous)
    return params + m + v + v_max


def test_every_isa_gives_identical_adam(isa: str) -> None:
    baseline = _adam_run("baseline")
    for a, b in zip(_adam_run(isa), baseline, strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", _core.available_isas())
def test_env_var_selects_isa(name: str) -> None:
    proc = run_python("import steepest; print(steepest.get_isa(), "
                      "steepest.build_info()['selected_isa'])", STEEPEST_ISA=name)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [name, name]


def test_env_var_bogus_fails_at_import() -> None:
    # A typo in STEEPEST_ISA must fail loudly when the extension loads, not
    # at the first kernel call (when the message is far from the cause).
    proc = run_python("import steepest._core", STEEPEST_ISA="bogus")
    assert proc.returncode != 0, (
        "import steepest._core succeeded with STEEPEST_ISA=bogus"
    )
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError")
    assert "STEEPEST_ISA=bogus" in last
    assert "baseline" in last


def test_env_var_unavailable_fails_at_import() -> None:
    missing = [
        w for w in _core.build_info()["built_isas"] if w not in _core.available_isas()
    ]
    if not missing:
        pytest.skip("every built ISA runs on this CPU")
    proc = run_python("import steepest._core", STEEPEST_ISA=missing[-1])
    assert proc.returncode != 0
    assert "is not available on this CPU or build" in proc.stderr


def test_num_threads() -> None:
    before = _core.get_num_threads()
    try:
        with pytest.raises(ValueError, match=r"^set_num_threads: n must be >= 0"):
            _core.set_num_threads(-1)
        assert _core.get_num_threads() == before
        _core.set_num_threads(1)
        assert _core.get_num_threads() == 1
        _core.set_num_threads(0)  # all cores
        assert _core.get_num_threads() >= 1
    finally:
        _core.set_num_threads(before)
