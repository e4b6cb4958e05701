"""pytest set-up for the benchmarks, which live outside the main ``testpaths``.

``python -m pytest bench --benchmark-only`` collects the ``bench_*.py``
modules (the project's ``python_files`` pattern is the test suite's
``test_*.py``) and gets torch, when installed, through the ``torch`` fixture.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
import steepest


def pytest_collect_file(
    parent: pytest.Collector, file_path: Path
) -> pytest.Module | None:
    # A module named on the command line is collected by pytest itself; only
    # those found by walking bench/ need this, or they would be collected twice.
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def torch() -> Any:
    """The torch module with steepest's thread count, or None when not installed."""
    try:
        module = importlib.import_module("torch")
    except ImportError:
        return None
    module.set_num_threads(steepest.get_num_threads())
    return module
