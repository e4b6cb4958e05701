"""Imports flow one way: foundations <- reference <- native <- the rest.

Read from the source with ``ast`` (every ``import`` statement, at module level
or inside a function), so a cycle dodged by a function-level or
``TYPE_CHECKING`` import is still a cycle here. Also: importing the twin
loads nothing native, in a fresh interpreter.
Twins: the layout in ``README.md`` and ``python/steepest/__init__.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import steepest

ROOT = Path(steepest.__file__).parent

# Layers, bottom to top; a module may import its own layer and those below.
FOUNDATION, REFERENCE, NATIVE, CONSUMER, COMMAND_LINE = range(5)
LAYERS = {
    "steepest._backend": FOUNDATION,
    "steepest._checks": FOUNDATION,
    "steepest._errors": FOUNDATION,
    "steepest._openmp": FOUNDATION,
    "steepest._optimizer": FOUNDATION,
    "steepest._plateau": FOUNDATION,
    "steepest._rule_row": FOUNDATION,
    "steepest._rules": FOUNDATION,
    "steepest._schedule_base": FOUNDATION,
    "steepest.nn": FOUNDATION,
    "steepest.typing": FOUNDATION,
    "steepest.wrappers": FOUNDATION,
    "steepest.reference": REFERENCE,
    "steepest._core": NATIVE,
    "steepest.distributed": NATIVE,
    "steepest.functional": NATIVE,
    "steepest.optim": NATIVE,
    "steepest.schedules": NATIVE,
    "steepest._progress": CONSUMER,
    "steepest.models": CONSUMER,
    "steepest.plot": CONSUMER,
    "steepest.tools": CONSUMER,
    "steepest.torch": CONSUMER,
    "steepest._cli": COMMAND_LINE,
    "steepest.__main__": COMMAND_LINE,
    "steepest": COMMAND_LINE,  # the package root re-exports everything
}
NATIVE_MODULES = [m for m, layer in LAYERS.items() if layer >= NATIVE]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SOURCES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}
if (ROOT / "_core.pyi").exists():
    SOURCES.setdefault("steepest._core", ROOT / "_core.pyi")


def layer_of(module: str) -> int:
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        layer = LAYERS.get(".".join(parts[:k]))
        if layer is not None:
            return layer
    msg = f"{module} has no layer: add it to LAYERS"
    raise AssertionError(msg)


def resolve(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The steepest modules an import statement of ``module`` loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "steepest"]
    package = module.split(".")
    if SOURCES[module].name != "__init__.py":
        package.pop()  # a plain module's relative imports start at its package
    if node.level:
        base = ".".join(package[: len(package) - node.level + 1])
    else:
        base = node.module or ""
        if base.split(".")[0] != "steepest":
            return []
    if node.level and node.module:
        base = f"{base}.{node.module}"
    # `from pkg import name` loads pkg.name when that is a module, else takes
    # the name from pkg itself
    subs = [f"{base}.{a.name}" for a in node.names]
    return [s for s in subs if s in SOURCES] + [base] * any(
        s not in SOURCES for s in subs
    )


def imports(module: str) -> set[str]:
    tree = ast.parse(SOURCES[module].read_text(), str(SOURCES[module]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(resolve(module, node))
    # a module's own packages are loaded before it: not an edge it chose
    return {t for t in found if t != module and not module.startswith(f"{t}.")}


GRAPH = {m: imports(m) for m in SOURCES}


def test_every_module_has_a_layer() -> None:
    for module in SOURCES:
        layer_of(module)


def test_imports_point_down() -> None:
    wrong = [
        f"{m} imports {target}"
        for m, targets in GRAPH.items()
        for target in sorted(targets)
        if target in SOURCES and layer_of(target) > layer_of(m)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_private_module_of_reference_outside_it() -> None:
    wrong = [
        f"{m} imports {target}"
        for m, targets in GRAPH.items()
        if not m.startswith("steepest.reference")
        for target in sorted(targets)
        if target.startswith("steepest.reference.")
        and any(p.startswith("_") for p in target.split(".")[2:])
    ]
    assert not wrong, "\n".join(wrong)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a path that returns to its start), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(m: str) -> list[str] | None:
        path.append(m)
        on_path.add(m)
        for target in sorted(graph.get(m, ())):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (found := visit(target)) is not None:
                return found
        path.pop()
        on_path.discard(m)
        done.add(m)
        return None

    for m in sorted(graph):
        if m not in done and (found := visit(m)) is not None:
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = _cycle(GRAPH)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None


FRESH_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import steepest.reference

    w = np.ones(3)
    opt = steepest.reference.Adam([w], lr=0.1)
    opt.step([np.ones(3)])
    state = opt.state_dict()
    steepest.reference.Adam([w]).load_state_dict(state)
    steepest.reference.schedules.StepLR(lr=1.0, step_size=2)(3)
    print(" ".join(sorted(m for m in sys.modules if m.startswith("steepest"))))
    """
)


def test_the_twin_loads_nothing_native() -> None:
    proc = subprocess.run([sys.executable, "-c", FRESH_SCRIPT], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert "steepest.reference" in loaded
    native = [m for m in loaded if m != "steepest" and layer_of(m) >= NATIVE]
    assert not native, native


@pytest.mark.parametrize("module", NATIVE_MODULES)
def test_native_modules_are_named(module: str) -> None:
    # a layer entry for a module that no longer exists would hide nothing
    assert module in SOURCES or any(m.startswith(f"{module}.") for m in SOURCES)
