"""The Examples sections of the docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType
from typing import Any

import pytest
import steepest

# Modules known to carry Examples; any other module that gains some is found too.
REQUIRED = {
    "steepest.functional",
    "steepest.reference.optim.sgd",
    "steepest.reference.optim.adam",
}


# Optional extras: a module that needs one of these is skipped (visibly) when
# the package is missing, instead of failing the collection (under CI, unless
# declared absent, the peer rule turns that skip into a failure).
OPTIONAL = {"torch", "dask", "distributed", "dask_ml", "matplotlib", "tqdm"}


def _modules_with_examples() -> list[Any]:
    names: list[Any] = []
    for info in pkgutil.walk_packages(
        steepest.__path__, prefix="steepest.", onerror=lambda name: None
    ):
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as err:
            if err.name is None or err.name.split(".")[0] not in OPTIONAL:
                raise
            # worded as importorskip's, so that the CI peer rule (conftest) sees it
            reason = f"could not import '{err.name}': {info.name} needs it"
            names.append(pytest.param(info.name, marks=pytest.mark.skip(reason=reason)))
            continue
        finder = doctest.DocTestFinder(exclude_empty=True)
        if any(t.examples for t in finder.find(module)):
            names.append(info.name)
    return sorted(names, key=lambda p: p if isinstance(p, str) else p.values[0])


MODULES = _modules_with_examples()


def test_required_modules_have_examples() -> None:
    assert set(REQUIRED) <= {m for m in MODULES if isinstance(m, str)}


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS, report=True, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0
