"""Where the threads run (``cpp/include/steepest/core/placement.hpp``).

A split training epoch keeps its two threads on distinct CPUs for its length
(region_cpus) and gives every thread its own mask back at the end; these
tests hold the second half (the first is a timing, measured in the bench).
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from steepest import optim
from steepest.models._epoch import Network, run_epoch
from steepest.reference.models import logistic

pytestmark = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity"), reason="CPU masks are Linux's"
)


def _masks() -> dict[int, set[int]]:
    return {int(t): os.sched_getaffinity(int(t)) for t in os.listdir("/proc/self/task")}


def _split_epochs(count: int) -> float:
    # 256 rows x 101 params per batch: above split_work, so 2 threads split it
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4096, 100))
    y = (X[:, 0] > 0).astype(np.intp)
    params = logistic.init_params("zeros", 100, 2, rng=rng)
    opt = optim.SGD(params, lr=0.01, nonfinite="ignore")
    net = Network("logistic", "log_loss", alpha=1e-4)
    loss = 0.0
    for _ in range(count):
        perm = rng.permutation(X.shape[0])
        loss = run_epoch("native", net, params, opt, X, y, perm, 256, n_threads=2)[0]
    return loss


def test_a_split_epoch_gives_every_thread_its_mask_back() -> None:
    # a fresh process: no step-pool thread (those narrow their masks for
    # good, core/pool.hpp), so every thread must end with the process's mask
    code = (
        "import os, sys\n"
        "sys.path.insert(0, os.environ['TESTS_CORE'])\n"
        "from test_placement import _masks, _split_epochs\n"
        "start = os.sched_getaffinity(0)\n"
        "_split_epochs(3)\n"
        "bad = {t: m for t, m in _masks().items() if m != start}\n"
        "print(len(_masks()), bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env = {**os.environ, "TESTS_CORE": os.path.dirname(__file__)}
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(done.stdout.split()[0]) >= 2  # the epoch's team, at least


def test_a_split_epoch_on_one_allowed_cpu_runs_and_keeps_it() -> None:
    start = os.sched_getaffinity(0)
    one = {min(start)}
    os.sched_setaffinity(0, one)
    try:
        assert np.isfinite(_split_epochs(2))
        assert os.sched_getaffinity(0) == one
    finally:
        os.sched_setaffinity(0, start)
