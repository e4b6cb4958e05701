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
    "version", "compiler", "target", "cxx_flags", "link_flags", "kernel_flags", "openmp",
    "openmp_runtime", "built_isas", "loop_isas", "loop_threads", "available_isas",
    "selected_isa", "max_threads",
    "parallel_grain", "blas", "sanitize",
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
    assert isinstance(info["target"], str)
    assert info["target"]
    assert isinstance(info["link_flags"], str)


def test_build_info_openmp_runtime() -> None:
    info = _core.build_info()
    runtime = info["openmp_runtime"]
    if info["openmp"] is None:
        assert runtime is None
        assert info["max_threads"] == 1
        return
    assert set(runtime) == {"name", "library"}
    assert runtime["name"]
    if sys.platform.startswith("linux"):
        # the file really loaded: the system's, or the copy a repaired wheel vendors
        assert os.path.isfile(runtime["library"]), runtime
        assert runtime["name"] in os.path.basename(runtime["library"])


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


BASELINE_RUN = """
import numpy as np
import steepest
import steepest.models
from steepest.reference import functional as reference

assert steepest.get_isa() == "baseline", steepest.get_isa()
steepest._core.set_num_threads(2)
steepest._core.set_parallel_grain(4096)  # the threaded path too
rng = np.random.default_rng(7)
for dtype in (np.float32, np.float64):
    p = [rng.standard_normal(n).astype(dtype) for n in (40_003, 5)]
    native = [[a.copy() for a in p] for _ in range(4)]
    twin = [[a.copy() for a in p] for _ in range(4)]
    for state in (native, twin):
        for s in state[1:]:
            for a in s:
                a[...] = 0
    for t in range(1, 6):
        g = [rng.standard_normal(a.shape).astype(dtype) for a in p]
        for state, fn in ((native, steepest.functional), (twin, reference)):
            fn.adam_step(state[0], g, *state[1:], step=t, lr=0.01, amsgrad=True,
                         weight_decay=0.1)
    for x, y in zip(sum(native, []), sum(twin, []), strict=True):
        assert x.tobytes() == y.tobytes()
model = steepest.models.LinearRegression(max_iter=20).fit(
    rng.standard_normal((300, 4)), rng.standard_normal(300))
assert np.all(np.isfinite(model.coef_))
print("ok", steepest.get_isa())
"""


def test_baseline_isa_runs_alone() -> None:
    # A CPU without AVX2 can only run the baseline entry points: a fresh process
    # pinned to them from import must match the NumPy twin bit for bit (the
    # in-process comparison above switches ISA only after an import that
    # dispatched on this CPU).
    proc = run_python(BASELINE_RUN, STEEPEST_ISA="baseline")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", "baseline"]


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


def test_loops_built_per_isa() -> None:
    info = _core.build_info()
    assert "baseline" in info["loop_isas"]
    assert set(info["loop_isas"]) <= set(info["built_isas"])
    if sys.platform.startswith("linux"):
        # GCC/Clang with binutils: the loops get every level the kernels have
        assert info["loop_isas"] == info["built_isas"]
    # each level's loops have threads exactly when the bindings do
    assert info["loop_threads"] == (info["loop_isas"] if info["openmp"] else [])
