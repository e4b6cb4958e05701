"""``steepest._openmp``: whether steepest's OMP_WAIT_POLICY default reached its
OpenMP runtime, which it cannot when another library loaded the runtime first.

The end-to-end cases load steepest's own runtime with ctypes before ``import
steepest`` in a fresh interpreter, as ``import torch`` does with torch's
libgomp of the same name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import steepest
from steepest import _openmp

MAPS = """\
7f0000000000-7f0000001000 r--p 00000000 08:01 1 /usr/lib/libgomp.so.1.0.0
7f0000001000-7f0000002000 r-xp 00001000 08:01 1 /usr/lib/libgomp.so.1.0.0
7f0000003000-7f0000004000 r--p 00000000 08:01 2 /site/torch/lib/libgomp-a34b3233.so.1
7f0000005000-7f0000006000 r--p 00000000 08:01 3 /site/scipy/linalg/_decomp_update.so
7f0000007000-7f0000008000 r--p 00000000 08:01 4 /site/libomp.so
7f0000009000-7f000000a000 rw-p 00000000 00:00 0 [heap]
7f000000b000-7f000000c000 rw-p 00000000 00:00 0
"""


def test_loaded_runtimes_reads_the_process_map(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.write_text(MAPS)
    got = [os.path.basename(p) for p in _openmp.loaded_runtimes(str(maps)) or []]
    assert got == ["libomp.so", "libgomp-a34b3233.so.1", "libgomp.so.1.0.0"]
    assert _openmp.loaded_runtimes(str(tmp_path / "missing")) is None


@pytest.mark.parametrize(
    ("before", "user", "applied"),
    [
        (["/nowhere/lib/libgomp.so.1"], None, False),  # loaded first, read nothing
        (["/nowhere/lib/libgomp.so.1"], "active", True),  # loaded first, user's value
        (["/nowhere/other/libgomp.so.1"], None, True),  # steepest's loaded after
        ([], None, True),
        (None, None, None),  # no process map
    ],
)
def test_wait_policy_decides_from_what_import_saw(
    monkeypatch: pytest.MonkeyPatch,
    before: list[str] | None,
    user: str | None,
    applied: bool | None,
) -> None:
    monkeypatch.setattr(_openmp, "_AT_IMPORT", {"policy": user, "runtimes": before})
    got = _openmp.wait_policy("/nowhere/lib/libgomp.so.1")
    assert got["applied"] is applied
    assert got["note"].startswith("NOT APPLIED") is (applied is False)


CHILD = """
import ctypes, json, sys
if sys.argv[1]:
    ctypes.CDLL(sys.argv[1])  # what `import torch` does with its libgomp
import steepest
from steepest import _openmp
print(json.dumps(_openmp.wait_policy(steepest.build_info()["openmp_runtime"]["library"])))
"""


def run_child(preload: str, **env: str) -> dict[str, object]:
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", CHILD, preload], env={**base, **env},
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    got: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return got


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps")
def test_a_runtime_loaded_before_steepest_is_reported() -> None:
    runtime = steepest.build_info()["openmp_runtime"]
    if runtime is None or not runtime["library"]:
        pytest.skip("built without OpenMP")
    first = run_child(runtime["library"])
    assert first["loaded_before_import"] is True
    assert first["applied"] is False
    assert first["policy"] == "passive"
    assert run_child(runtime["library"], OMP_WAIT_POLICY="active")["applied"] is True
    assert run_child("")["applied"] is True


STEP_CHILD = """
import json, sys
if sys.argv[1] == "torch":
    import torch  # loads torch's libgomp first: steepest's default is not applied
import numpy as np
import steepest
from steepest import _core, _openmp
steepest.set_num_threads(2)
p = [np.zeros(1 << 20, np.float32)]
opt = steepest.Adam(p, lr=1e-3)
for _ in range(3):
    opt.step([np.ones(1 << 20, np.float32)])
report = _openmp.wait_policy(steepest.build_info()["openmp_runtime"]["library"])
print(json.dumps({"report": report, "pool": _core._step_threads(), "p": float(p[0][0])}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/maps")
@pytest.mark.parametrize("first", ["torch", "steepest"])
def test_the_step_threads_do_not_depend_on_the_import_order(first: str) -> None:
    # A two-thread Adam step of 1Mi elements runs on steepest's own pool
    # (one thread started beside the caller) whichever library came first,
    # and the report says the OpenMP policy does not reach it.
    pytest.importorskip("torch")
    runtime = steepest.build_info()["openmp_runtime"]
    if runtime is None or not runtime["library"]:
        pytest.skip("built without OpenMP")
    base = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    done = subprocess.run([sys.executable, "-c", STEP_CHILD, first], env=base,
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["pool"]["pool"] is True
    assert got["pool"]["threads_started"] == 1
    assert got["report"]["step_threads"] == _openmp.STEP_THREADS
    assert (
        "whatever OMP_WAIT_POLICY and the import order" in got["report"]["step_threads"]
    )
    # torch first: the runtime's policy is reported as not applied, yet the step ran pooled
    assert got["report"]["applied"] is (first != "torch")
    assert got["p"] == pytest.approx(-3e-3, rel=1e-4)


def test_the_bench_header_says_what_the_step_threads_run_under() -> None:
    from steepest._cli.bench.report import header_lines

    report = _openmp.wait_policy("/nowhere/lib/libgomp.so.1")
    env = {"cpu": "cpu", "versions": "v", "threads": 2, "omp_wait_policy": "passive",
           "wait_policy": report, "torch": None, "build_info": {}, "threadpools": "none",
           "load": (0.0, 0.0)}  # fmt: skip
    line = next(x for x in header_lines(env, np.dtype(np.float32)) if "steepest (" in x)
    assert report["note"] in line
    assert f"optimizer steps' threads: {_openmp.STEP_THREADS}" in line
