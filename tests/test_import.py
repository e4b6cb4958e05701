"""The package surface: the reference works without the extension, __all__, dir().

Twins: ``python/steepest/__init__.py`` and ``python/steepest/reference/__init__.py``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest
import steepest
import steepest.reference
from steepest._rules import RULES

# Run in a fresh interpreter where importing steepest._core raises ImportError.
BLOCKED_SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class BlockCore(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "steepest._core":
                raise ImportError("steepest._core is blocked by the test")
            return None

    sys.meta_path.insert(0, BlockCore())

    import numpy as np
    import steepest
    import steepest.reference
    from steepest.reference import functional as ref

    p = np.array([1.0, -1.0])
    m, v = np.zeros(2), np.zeros(2)
    assert ref.adam_step(p, np.array([0.5, -0.5]), m, v, step=1, lr=0.1) is True
    assert abs(p[0] - 0.9) < 1e-6 and abs(p[1] + 0.9) < 1e-6, p

    w = np.array([3.0])
    opt = steepest.reference.SGD([w], lr=0.25)
    opt.step([2 * w])
    assert w[0] == 1.5, w
    steepest.Adam([np.ones(2)], backend="reference").step([np.ones(2)])
    assert steepest.reference.clip_grad_norm(np.array([3.0, 4.0]), 1.0) == 5.0

    try:
        steepest.clip_grad_norm
    except ImportError as err:
        print("IMPORT-ERROR:", err)
    else:
        print("NO ERROR")
    print("CORE-LOADED:", "steepest._core" in sys.modules)
    """
)


def test_reference_works_without_extension() -> None:
    proc = subprocess.run([sys.executable, "-c", BLOCKED_SCRIPT], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split(": ", 1) for line in proc.stdout.strip().splitlines())
    assert lines["CORE-LOADED"] == "False"
    message = lines["IMPORT-ERROR"]
    # names what is missing, why, and what to do
    assert (
        "steepest.clip_grad_norm needs the compiled extension steepest._core" in message
    )
    assert "blocked by the test" in message
    assert "steepest.reference" in message
    assert "pip install" in message


def test_all_entries_exist() -> None:
    for name in steepest.__all__:
        assert getattr(steepest, name) is not None, name
    for name in steepest.reference.__all__:
        assert getattr(steepest.reference, name) is not None, name
    assert len(set(steepest.__all__)) == len(steepest.__all__)


def test_dir_lists_the_public_names() -> None:
    assert dir(steepest) == sorted(steepest.__all__)


def test_unknown_attribute_is_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nonexistent'"):
        steepest.nonexistent  # noqa: B018
    assert not hasattr(steepest, "nonexistent")


def test_reference_mirrors_native_names_and_signatures() -> None:
    native, ref = steepest.functional, steepest.reference.functional
    assert sorted(native.__all__) == sorted(ref.__all__)
    for name in native.__all__:
        assert inspect.signature(getattr(native, name)) == inspect.signature(
            getattr(ref, name)
        ), name
    for name in (r.cls for r in RULES):
        native_cls, ref_cls = getattr(steepest, name), getattr(steepest.reference, name)
        assert inspect.signature(native_cls) == inspect.signature(ref_cls), name
        # one logic: the native class is its twin with the native default backend
        assert issubclass(native_cls, ref_cls)
        assert ref_cls.__doc__ == native_cls.__doc__


def test_core_functions_behind_the_wrappers() -> None:
    # Every functional step the package documents exists in the extension.
    for name in steepest.functional.__all__:
        assert callable(getattr(steepest._core, name)), name
