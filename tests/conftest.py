"""Fixtures shared by the whole suite: dtypes, shapes, backends, ISAs, threads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import ModuleType

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
