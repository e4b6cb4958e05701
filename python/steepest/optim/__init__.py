"""Optimizer classes over the functional layer, with torch.optim's names.

Each is its twin of :mod:`steepest.reference.optim` with the native backend as
default (``backend="reference"`` still picks NumPy): state handling is one
logic, only the math is twinned. Each keeps its twin's docstring.
"""

from __future__ import annotations

from .._optimizer import Optimizer
from ..reference import optim as _ref


class SGD(_ref.SGD):
    _default_backend = "native"


class Adagrad(_ref.Adagrad):
    _default_backend = "native"


class RMSprop(_ref.RMSprop):
    _default_backend = "native"


class Adam(_ref.Adam):
    _default_backend = "native"


class AdamW(Adam, _ref.AdamW):
    _default_backend = "native"


class Adamax(_ref.Adamax):
    _default_backend = "native"


class Adadelta(_ref.Adadelta):
    _default_backend = "native"


class RAdam(_ref.RAdam):
    _default_backend = "native"


class NAdam(_ref.NAdam):
    _default_backend = "native"


class Rprop(_ref.Rprop):
    _default_backend = "native"


class ASGD(_ref.ASGD):
    _default_backend = "native"


class Lamb(_ref.Lamb):
    _default_backend = "native"


class Lion(_ref.Lion):
    _default_backend = "native"


class AdaBelief(_ref.AdaBelief):
    _default_backend = "native"


class SGDScheduleFree(_ref.SGDScheduleFree):
    _default_backend = "native"


class AdamWScheduleFree(_ref.AdamWScheduleFree):
    _default_backend = "native"


__all__ = [
    "ASGD",
    "SGD",
    "AdaBelief",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "AdamWScheduleFree",
    "Adamax",
    "Lamb",
    "Lion",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDScheduleFree",
]
