"""steepest: fast gradient descent for NumPy.

Optimizer kernels in C++ (OpenMP + SIMD) that update lists of NumPy arrays in
place, with a pure-NumPy twin in :mod:`steepest.reference` that every native
result is tested against.
"""

from __future__ import annotations

import importlib
import os

# libgomp threads that spin while OpenBLAS needs the cores slow mixed loops
# down by an order of magnitude; this must be set before the runtime loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from . import optim, plot, reference
from .optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__version__ = "0.1.0"

_NATIVE_NAMES = (
    "available_isas",
    "build_info",
    "clip_grad_norm",
    "functional",
    "get_isa",
    "get_num_threads",
    "schedules",
    "set_isa",
    "set_num_threads",
)

try:
    # _core links scipy-openblas32's BLAS and finds it by rpath; importing the
    # package first loads the library (and adds its DLL directory on Windows)
    # for the layouts an rpath cannot reach.
    importlib.import_module("scipy_openblas32")
    from . import _core  # noqa: F401  (the import is the availability test)
except ImportError as _err:  # pragma: no cover - exercised by test_import_without_core
    _core_error: ImportError | None = _err
else:
    _core_error = None
    from . import functional, schedules
    from ._core import (
        available_isas,
        build_info,
        get_isa,
        get_num_threads,
        set_isa,
        set_num_threads,
    )
    from .functional import clip_grad_norm


# scikit-learn is imported on first use of these names, not by `import steepest`
_LAZY_NAMES = {
    "ConvergenceWarning": "steepest._errors",
    "DivergenceError": "steepest._errors",
    "LinearRegression": "steepest.models",
    "LogisticRegression": "steepest.models",
    "MLPClassifier": "steepest.models",
    "MLPRegressor": "steepest.models",
}


# Subpackages loaded on first access: tools (NumPy only, but not needed by
# most users) and torch (needs the optional torch).
_LAZY_MODULES = ("models", "tools", "torch")


def __getattr__(name: str) -> object:
    if name in _LAZY_MODULES:
        module = importlib.import_module(f"steepest.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    if name in _NATIVE_NAMES and _core_error is not None:
        msg = (
            f"steepest.{name} needs the compiled extension steepest._core, which failed "
            f"to import ({_core_error}). Reinstall with `pip install steepest` (a C++17 "
            "compiler is needed when no wheel fits), or use steepest.reference."
        )
        raise ImportError(msg) from _core_error
    msg = f"module 'steepest' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "ConvergenceWarning",
    "DivergenceError",
    "LinearRegression",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "Optimizer",
    "RMSprop",
    "__version__",
    "available_isas",
    "build_info",
    "clip_grad_norm",
    "functional",
    "get_isa",
    "get_num_threads",
    "optim",
    "plot",
    "reference",
    "schedules",
    "set_isa",
    "set_num_threads",
    "tools",
]


def __dir__() -> list[str]:
    return sorted(__all__)
