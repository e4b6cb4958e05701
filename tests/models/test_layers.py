"""The estimator modules import one way (issue 10: no cycle, hooks declared once).

Twins: ``python/steepest/models/*.py``: :class:`ModelSurface` (``_surface``)
<- :class:`TrainingLoop` (``_loop``, with ``_rollback`` and ``_stopping``
below it) <- :class:`SteepestEstimator` (``_base``) <- the model families.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
import steepest.models
from steepest.models import _loop, _surface
from steepest.models._base import SteepestEstimator

PACKAGE = Path(steepest.models.__file__).parent
#: the class chain, bottom first: a module never imports one after it
CHAIN = ["_labels", "_rollback", "_surface", "_stopping", "_loop", "_base", "linear"]


def _imports(module: str) -> set[str]:
    """Sibling modules ``module`` imports anywhere (function bodies included)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))


def test_no_import_cycle_among_the_estimator_modules() -> None:
    graph = {m: _imports(m) & set(MODULES) for m in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            pytest.fail(f"import cycle: {' -> '.join((*path, module))}")
        if module in done:
            return
        for dep in sorted(graph[module]):
            visit(dep, (*path, module))
        done.add(module)

    for module in MODULES:
        visit(module, ())


@pytest.mark.parametrize("module", CHAIN)
def test_the_class_chain_imports_downwards(module: str) -> None:
    above = set(CHAIN[CHAIN.index(module) + 1 :])
    assert not _imports(module) & above


@pytest.mark.parametrize("module", MODULES)
def test_no_type_checking_guard(module: str) -> None:
    assert "TYPE_CHECKING" not in (PACKAGE / f"{module}.py").read_text("utf-8")


def test_every_model_hook_is_declared_once() -> None:
    # the hooks a family implements live on ModelSurface alone; the classes
    # between it and the families only use them
    hooks = [
        "_network", "_param_shapes", "_new_params", "_raw_predict", "_publish",
        "_public_params",
    ]  # fmt: skip
    for name in hooks:
        owners = [
            cls.__name__
            for cls in (_surface.ModelSurface, _loop.TrainingLoop, SteepestEstimator)
            if name in vars(cls)
        ]
        assert owners == ["ModelSurface"], name
        source = inspect.getsource(getattr(_surface.ModelSurface, name))
        assert "raise NotImplementedError" in source
        for est in (steepest.models.LinearRegression, steepest.models.LogisticRegression,
                    steepest.models.MLPClassifier, steepest.models.MLPRegressor):  # fmt: skip
            implemented = getattr(est, name)
            assert implemented is not getattr(_surface.ModelSurface, name), (est, name)
