"""The Examples sections of the docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest
import steepest

# Modules known to carry Examples; any other module that gains some is found too.
REQUIRED = {"steepest.functional", "steepest.optim.sgd", "steepest.optim.adam"}


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(steepest.__path__, prefix="steepest."):
        module = importlib.import_module(info.name)
        finder = doctest.DocTestFinder(exclude_empty=True)
        if any(t.examples for t in finder.find(module)):
            names.append(info.name)
    return sorted(names)


MODULES = _modules_with_examples()


def test_required_modules_have_examples() -> None:
    assert REQUIRED <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS, report=True, verbose=False
    )
    assert result.attempted > 0
    assert result.failed == 0
