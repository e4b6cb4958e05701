"""Fixtures shared by the whole suite: dtypes, shapes, backends, ISAs, threads.

Also the CI rule for peers: with the environment variable ``CI`` set, a test
or module that skips because a package it compares against (torch,
scikit-learn, dask, ...) cannot be imported fails instead, since a skipped
oracle checks nothing and a green run would hide it. A run that cannot have
a peer names it in ``STEEPEST_ABSENT_PEERS`` (the release check's Pythons
without torch): those skips stay skips, listed in the summary.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from types import ModuleType
from typing import Any

# scikit-learn's estimator checks exercise array-API inputs only in this mode,
# which SciPy reads when it is first imported (after this file).
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
import steepest
from steepest import _core

DTYPES = [np.float32, np.float64]
SHAPES = [(0,), (1,), (7,), (1023,), (100_003,), (64, 33)]
BACKENDS = ["native", "reference"]


@pytest.fixture(params=DTYPES, ids=lambda d: np.dtype(d).name)
def dtype(request: pytest.FixtureRequest) -> type:
    return request.param


@pytest.fixture(params=SHAPES, ids=lambda s: "x".join(map(str, s)))
def shape(request: pytest.FixtureRequest) -> tuple[int, ...]:
    return request.param


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def functional(backend: str) -> ModuleType:
    """The functional module of the backend under test."""
    return steepest.functional if backend == "native" else steepest.reference.functional


@pytest.fixture(params=_core.available_isas())
def isa(request: pytest.FixtureRequest) -> Iterator[str]:
    before = _core.get_isa()
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(before)


@pytest.fixture(params=[1, 2], ids=lambda n: f"{n}thr")
def n_threads(request: pytest.FixtureRequest) -> Iterator[int]:
    """Thread count for native kernels; the parallel grain is lowered to 4096
    elements meanwhile, so that test-sized arrays really take the threaded path."""
    before, grain = _core.get_num_threads(), _core.get_parallel_grain()
    _core.set_num_threads(request.param)
    _core.set_parallel_grain(4096)
    yield request.param
    _core.set_num_threads(before)
    _core.set_parallel_grain(grain)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


# -- under CI, a missing peer fails ---------------------------------------------------

STRICT_PEERS = os.environ.get("CI", "").lower() not in ("", "0", "false")
# Peers a run declares absent (comma-separated import names, e.g. "torch" for
# the release check's Pythons that have no CPU torch build on the machine):
# their tests skip, and are listed as skipped, instead of failing.
ABSENT_PEERS = {
    name.strip()
    for name in os.environ.get("STEEPEST_ABSENT_PEERS", "").split(",")
    if name.strip()
}


def _fail_missing_peer(report: Any) -> None:
    """Turn ``pytest.importorskip``'s skip into a failure when CI is set."""
    if not (STRICT_PEERS and report.skipped):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    if "could not import" in reason and not any(
        f"could not import '{name}'" in reason for name in ABSENT_PEERS
    ):
        report.outcome = "failed"
        report.longrepr = f"CI is set, so a missing peer fails: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, Any, None]:
    outcome = yield
    _fail_missing_peer(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    _fail_missing_peer(outcome.get_result())
