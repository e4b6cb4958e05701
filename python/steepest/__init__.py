"""steepest: fast gradient descent for NumPy.

Optimizer kernels in C++ (OpenMP + SIMD) that update lists of NumPy arrays in
place, with a pure-NumPy twin in :mod:`steepest.reference` that every native
result is tested against.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING

from . import _openmp

# libgomp threads that spin while OpenBLAS needs the cores slow mixed loops
# down by an order of magnitude; this must be set before the runtime loads,
# and a runtime another library loaded earlier never sees it (_openmp says).
_openmp.record()
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from . import _backend, reference

__version__ = "0.1.0"

# Everything native is imported on first use, so that `import steepest.reference`
# (which runs this file first) loads neither the extension nor scikit-learn.
_LAZY_NAMES = {
    "ASGD": "steepest.optim",
    "SGD": "steepest.optim",
    "AdaBelief": "steepest.optim",
    "Adadelta": "steepest.optim",
    "Adagrad": "steepest.optim",
    "Adam": "steepest.optim",
    "AdamW": "steepest.optim",
    "AdamWScheduleFree": "steepest.optim",
    "NAdam": "steepest.optim",
    "Adamax": "steepest.optim",
    "Lamb": "steepest.optim",
    "Lion": "steepest.optim",
    "Optimizer": "steepest.optim",
    "RAdam": "steepest.optim",
    "RMSprop": "steepest.optim",
    "Rprop": "steepest.optim",
    "SGDScheduleFree": "steepest.optim",
    "GradientAccumulation": "steepest.wrappers",
    "EMA": "steepest.wrappers",
    "Lookahead": "steepest.wrappers",
    "ConvergenceWarning": "steepest._errors",
    "DivergenceError": "steepest._errors",
    "LinearRegression": "steepest.models",
    "LogisticRegression": "steepest.models",
    "MLPClassifier": "steepest.models",
    "MLPRegressor": "steepest.models",
    "SGDClassifier": "steepest.models",
    "SGDRegressor": "steepest.models",
    "available_isas": "steepest._core",
    "build_info": "steepest._core",
    "clip_grad_norm": "steepest.functional",
    "get_isa": "steepest._core",
    "get_num_threads": "steepest._core",
    "set_isa": "steepest._core",
    "set_num_threads": "steepest._core",
}
# tools is NumPy only but rarely needed; torch needs the optional torch
_LAZY_MODULES = (
    "_core", "functional", "models", "optim", "plot", "schedules", "tools", "torch",
)  # fmt: skip
# the modules that load the compiled extension
_NEEDS_CORE = ("steepest._core", "steepest.functional", "steepest.schedules")

if TYPE_CHECKING:  # the lazy names, for type checkers
    from . import functional, optim, plot, schedules, tools
    from ._core import (
        available_isas,
        build_info,
        get_isa,
        get_num_threads,
        set_isa,
        set_num_threads,
    )
    from ._errors import ConvergenceWarning, DivergenceError
    from .functional import clip_grad_norm
    from .models import (
        LinearRegression,
        LogisticRegression,
        MLPClassifier,
        MLPRegressor,
        SGDClassifier,
        SGDRegressor,
    )
    from .optim import (
        ASGD,
        SGD,
        AdaBelief,
        Adadelta,
        Adagrad,
        Adam,
        Adamax,
        AdamW,
        AdamWScheduleFree,
        Lamb,
        Lion,
        NAdam,
        Optimizer,
        RAdam,
        RMSprop,
        Rprop,
        SGDScheduleFree,
    )
    from .wrappers import EMA, GradientAccumulation, Lookahead

try:
    # _core links scipy-openblas32's BLAS and finds it by rpath; importing the
    # package first loads the library (and adds its DLL directory on Windows)
    # for the layouts an rpath cannot reach.
    importlib.import_module("scipy_openblas32")
except ImportError as _err:  # pragma: no cover - scipy-openblas32 is a dependency
    _core_error: ImportError | None = _err
else:
    _core_error = None


def _core_missing() -> ImportError | None:
    """Why the extension cannot be imported, None if it can (imported once)."""
    global _core_error
    # a blocked import leaves None in sys.modules: that counts as not imported
    if _core_error is None and sys.modules.get("steepest._core") is None:
        try:
            importlib.import_module("steepest._core")
        except ImportError as err:  # see test_reference_works_without_extension
            _core_error = err
    return _core_error


def __getattr__(name: str) -> object:
    module = f"steepest.{name}" if name in _LAZY_MODULES else _LAZY_NAMES.get(name)
    if module is None:
        msg = f"module 'steepest' has no attribute {name!r}"
        raise AttributeError(msg)
    if module in _NEEDS_CORE and (err := _core_missing()) is not None:
        msg = (
            f"steepest.{name} needs the compiled extension steepest._core, which failed "
            f"to import ({err}). Reinstall with `pip install steepest` (a C++17 "
            "compiler is needed when no wheel fits), or use steepest.reference."
        )
        raise ImportError(msg) from err
    value: object = importlib.import_module(module)
    if name not in _LAZY_MODULES:
        value = getattr(value, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


# the classes find the native functional and schedules here, by backend name
_backend.register("native", sys.modules[__name__])


__all__ = [
    "ASGD",
    "EMA",
    "SGD",
    "AdaBelief",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "AdamWScheduleFree",
    "Adamax",
    "ConvergenceWarning",
    "DivergenceError",
    "GradientAccumulation",
    "Lamb",
    "LinearRegression",
    "Lion",
    "LogisticRegression",
    "Lookahead",
    "MLPClassifier",
    "MLPRegressor",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDClassifier",
    "SGDRegressor",
    "SGDScheduleFree",
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
