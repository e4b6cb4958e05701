"""The optimizer step's own threads (``cpp/include/steepest/core/pool.hpp``).

The pool must not change a bit of any step (static parts for the checked and
two-pass steps, shared chunks for the plain ones), must survive ``fork()``,
and must leave a second caller (another Python thread) a working path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import steepest
from steepest import _core, optim

pytestmark = pytest.mark.skipif(
    not steepest.build_info()["openmp"], reason="built without threads"
)


@pytest.fixture
def two_threads() -> Iterator[None]:
    before, grain = _core.get_num_threads(), _core.get_parallel_grain()
    settings = _core._step_threads()
    _core.set_num_threads(2)
    _core.set_parallel_grain(4096)
    yield
    _core.set_num_threads(before)
    _core.set_parallel_grain(grain)
    _core._step_threads(enabled=settings["pool"], spin_us=settings["spin_us"],
                        warm_divisor=settings["warm_grain_divisor"])  # fmt: skip


def run(
    name: str, pool: bool, nonfinite: str, sizes: list[int], dtype: type
) -> np.ndarray:
    _core._step_threads(enabled=pool)
    rng = np.random.default_rng(7)
    params = [rng.standard_normal(n).astype(dtype) for n in sizes]
    opt = getattr(optim, name)(params, lr=1e-2, nonfinite=nonfinite)
    for _ in range(4):
        opt.step([rng.standard_normal(n).astype(dtype) for n in sizes])
    return np.concatenate(params + [a for k in opt.state.values() for a in k if a.ndim])


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("name", ["Adam", "SGD", "Lamb", "Adagrad"])
@pytest.mark.parametrize("nonfinite", ["ignore", "raise"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_pool_changes_no_bit(name: str, nonfinite: str, dtype: type) -> None:
    # sizes around the warm grain (4096 / 16) and the grain, odd tails
    sizes = [100, 300, 5000, 70001, 33]
    want = run(name, False, nonfinite, sizes, dtype)
    for divisor in (1, 16):
        _core._step_threads(warm_divisor=divisor)
        got = run(name, True, nonfinite, sizes, dtype)
        np.testing.assert_array_equal(got, want)
    assert _core._step_threads()["threads_started"] >= 1


@pytest.mark.usefixtures("two_threads")
def test_settings_are_checked_and_reported() -> None:
    got = _core._step_threads(enabled=True, spin_us=-5, warm_divisor=0)
    assert got["pool"] is True
    assert got["spin_us"] == 0  # clamped: a negative window is no window
    assert got["warm_grain_divisor"] == 1
    # with no spin window the threads sleep between steps; steps still run
    want = run("Adam", False, "ignore", [50000], np.float32)
    np.testing.assert_array_equal(
        run("Adam", True, "ignore", [50000], np.float32), want
    )


@pytest.mark.usefixtures("two_threads")
def test_two_python_threads_step_at_once() -> None:
    # one holds the pool, the other falls back to OpenMP's team: both right
    _core._step_threads(enabled=True)
    want = run("Adam", True, "raise", [300000], np.float32)
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(run("Adam", True, "raise", [300000], np.float32))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(results) == 3
    for got in results:
        np.testing.assert_array_equal(got, want)


FORK_CHILD = """
import os, sys, numpy as np, steepest
steepest.set_num_threads(2)
p = [np.zeros(1 << 20, np.float32)]
opt = steepest.Adam(p, lr=1e-3)
opt.step([np.ones(1 << 20, np.float32)])  # the parent's pool is running
pid = os.fork()
if pid == 0:
    opt.step([np.ones(1 << 20, np.float32)])  # the child's own pool
    os._exit(0 if abs(float(p[0][0]) + 2e-3) < 1e-6 else 3)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_a_forked_child_steps_with_threads() -> None:
    done = subprocess.run([sys.executable, "-c", FORK_CHILD], capture_output=True,
                          text=True, timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "0"


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux affinity")
@pytest.mark.usefixtures("two_threads")
def test_affinity_stays_within_the_start_set() -> None:
    # a pool thread woken on its caller's CPU narrows its own mask to the
    # other CPUs of its start set: never the caller's mask, never empty, never
    # outside what the process allowed
    start = os.sched_getaffinity(0)
    p = np.zeros(300_000, np.float32)
    opt = optim.SGD([p], lr=1e-3, nonfinite="ignore")
    for _ in range(30):
        opt.step([np.ones_like(p)])
        time.sleep(0.003)  # past the spin window: the pool thread sleeps
    assert os.sched_getaffinity(0) == start
    masks = {
        int(t): os.sched_getaffinity(int(t)) for t in os.listdir("/proc/self/task")
    }
    assert all(m and m <= start for m in masks.values()), masks
    if len(start) > 1:
        assert _core._step_threads()["threads_started"] >= 1
