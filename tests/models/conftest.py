"""Fixtures of the estimator and training-loop tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from steepest import _core


@pytest.fixture
def split_everything() -> Iterator[None]:
    """2 threads, every batch of 2+ rows split over them (loop.hpp's split epoch)."""
    before, grain = _core.get_num_threads(), _core.get_parallel_grain()
    _core.set_num_threads(2)
    _core.set_parallel_grain(16)
    yield
    _core.set_num_threads(before)
    _core.set_parallel_grain(grain)
