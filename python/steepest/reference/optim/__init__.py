"""The optimizer classes, with torch.optim's names, on the NumPy reference backend.

The classes hold state and call the functional steps; their logic is
:class:`steepest.Optimizer` driven by each rule's spec row
(:mod:`steepest._rules`). :mod:`steepest.optim` has the same classes with the
native backend as default; ``backend=`` picks either on both.
"""

from __future__ import annotations

from .adabelief import AdaBelief
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lamb import Lamb
from .lion import Lion
from .nadam import NAdam
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .schedulefree import AdamWScheduleFree, SGDScheduleFree
from .sgd import SGD

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
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDScheduleFree",
]
