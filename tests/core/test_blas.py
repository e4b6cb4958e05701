"""The BLAS steepest links (scipy-openblas32): linkage, loading and GEMM.

Twins: ``cpp/include/steepest/core/blas.hpp`` (through the test-only binding
``_core._gemm`` in ``cpp/bindings/register_blas.cpp``) against ``numpy.matmul``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from steepest import _core

RTOL = {np.float32: 1e-5, np.float64: 1e-12}
GEMM_SHAPES = [  # (m, k, n)
    (1, 1, 1),
    (3, 4, 5),
    (200, 3, 7),  # tall
    (2, 5, 300),  # wide
    (64, 129, 33),
    (4, 0, 6),  # empty inner dimension: a zero matrix
    (0, 3, 2),
    (3, 2, 0),
]


@pytest.mark.parametrize("mkn", GEMM_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_gemm_equals_numpy(mkn: tuple[int, int, int], dtype: type) -> None:
    m, k, n = mkn
    rng = np.random.default_rng(m * 10_000 + k * 100 + n)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = _core._gemm(a, b)
    assert c.dtype == dtype
    assert c.shape == (m, n)
    assert c.flags.c_contiguous
    expected = a @ b
    # Relative to the size of the terms, so that cancellation does not matter.
    scale = np.abs(a) @ np.abs(b)
    np.testing.assert_array_less(np.abs(c - expected), RTOL[dtype] * scale + 1e-30)
    if k == 0:
        np.testing.assert_array_equal(c, np.zeros((m, n), dtype))


def test_gemm_accepts_read_only_inputs() -> None:
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    a.flags.writeable = False
    b.flags.writeable = False
    np.testing.assert_array_equal(_core._gemm(a, b), a @ b)


@pytest.mark.parametrize(
    ("a", "b", "error", "message"),
    [
        ([[1.0]], np.ones((1, 1)), TypeError, "_gemm: a must be a numpy.ndarray, got list"),
        (np.ones((1, 1)), None, TypeError, "_gemm: b must be a numpy.ndarray, got NoneType"),
        (np.ones((2, 2), np.int64), np.ones((2, 2)), TypeError,
         "_gemm: a has dtype int64; expected float32 or float64"),
        (np.ones((2, 2)), np.ones((2, 2), np.float32), TypeError,
         "_gemm: b has dtype float32 but a has dtype float64"),
        (np.ones(3), np.ones((3, 1)), ValueError, "_gemm: a must be 2-D, got shape (3,)"),
        (np.ones((2, 2)), np.ones((2, 2, 1)), ValueError,
         "_gemm: b must be 2-D, got shape (2, 2, 1)"),
        (np.ones((2, 3)), np.ones((2, 3)), ValueError,
         "_gemm: b has shape (2, 3) but a has shape (2, 3); expected b.shape[0] == a.shape[1]"),
        (np.ones((3, 2)).T, np.ones((3, 2)), ValueError, "_gemm: a is not C-contiguous"),
        (np.ones((2, 2)), np.ones((2, 4))[:, ::2], ValueError, "_gemm: b is not C-contiguous"),
    ],
    ids=["a-list", "b-none", "a-int", "mixed-dtypes", "a-1d", "b-3d", "inner-mismatch",
         "a-fortran", "b-strided"],
)  # fmt: skip
def test_gemm_bad_inputs(
    a: object, b: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        _core._gemm(a, b)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_build_info_reports_blas() -> None:
    blas = _core.build_info()["blas"]
    assert set(blas) == {"name", "version", "library", "config", "corename", "threads"}
    assert blas["name"] == "scipy-openblas32"
    assert "OpenBLAS" in blas["config"]
    assert blas["corename"]
    assert isinstance(blas["threads"], int)
    assert blas["threads"] >= 1
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        library = Path(blas["library"])
        assert library.name.startswith("libscipy_openblas"), library
        assert library.is_file()
        # The very library of the installed scipy_openblas32 package.
        import scipy_openblas32  # type: ignore[import-untyped]

        assert (
            library.parent.resolve() == Path(scipy_openblas32.get_lib_dir()).resolve()
        )


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD",
                                                            "DYLD_LIBRARY_PATH")}  # fmt: skip
    if "asan" in os.environ.get("LD_PRELOAD", ""):
        env["LD_PRELOAD"] = os.environ[
            "LD_PRELOAD"
        ]  # .ci/sanitize: the runtime, not a BLAS
    return env


def test_import_without_library_path() -> None:
    code = (
        "import numpy as np, steepest; a, b = np.ones((2, 3)), np.ones((3, 2)); "
        "print(steepest._core._gemm(a, b)[0, 0], steepest.build_info()['blas']['name'])"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=_clean_env(), cwd=Path.home(),
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["3.0", "scipy-openblas32"]


# Loads the extension file alone: without steepest/__init__.py, so without its
# `import scipy_openblas32`; only the rpath can find the library.
RPATH_SCRIPT = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("_core", sys.argv[1])
core = importlib.util.module_from_spec(spec)
spec.loader.exec_module(core)
assert "scipy_openblas32" not in sys.modules
print(core.build_info()["blas"]["library"])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF rpath")
def test_core_finds_blas_by_rpath() -> None:
    core_file = Path(_core.__file__)
    if not (core_file.parent.parent / "scipy_openblas32" / "lib").is_dir():
        pytest.skip("scipy_openblas32 is installed elsewhere than next to steepest")
    proc = subprocess.run([sys.executable, "-c", RPATH_SCRIPT, str(core_file)],
                          env=_clean_env(), cwd=Path.home(), capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    library = Path(proc.stdout.strip())
    assert (
        library.parent.resolve()
        == (core_file.parent.parent / "scipy_openblas32" / "lib").resolve()
    )
