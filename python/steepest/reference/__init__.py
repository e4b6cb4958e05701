"""Pure-NumPy twin of steepest: the specification every native result is
tested against.

Same names and signatures as the native package; written for clarity, one
NumPy operation per step of the update rule, in the order the C++ kernels
perform them. Never imports the extension ``steepest._core``.
"""

from __future__ import annotations

import sys

from .. import _backend
from ..wrappers import EMA, GradientAccumulation, Lookahead
from . import functional, models, optim, schedules, sgd, train
from .functional import clip_grad_norm
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
    RAdam,
    RMSprop,
    Rprop,
    SGDScheduleFree,
)

# the classes find this package's functional and schedules by backend name
_backend.register("reference", sys.modules[__name__])

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
    "GradientAccumulation",
    "Lamb",
    "Lion",
    "Lookahead",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDScheduleFree",
    "clip_grad_norm",
    "functional",
    "models",
    "optim",
    "schedules",
    "sgd",
    "train",
]
