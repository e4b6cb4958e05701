"""Reference optimizer steps in plain NumPy: the specification.

Each step here is the one source of its native twin's signature and
docstring: :mod:`steepest.functional` builds its steps from these (the
common parameters, return value and errors are described there). The
hyperparameter checks are the rule's spec row (:mod:`steepest._rules`).
Scalars that depend only on the step are computed once in double precision
and cast to the array dtype (``T = p.dtype.type``), then the element-wise
operations run in the dtype, in the order the C++ kernel
(``cpp/include/steepest/rules/``) performs them, which makes native and
reference results bit-identical. The examples call the step of the module
they are read in, so the doctests run each backend.
"""

from __future__ import annotations

from ._adabelief import adabelief_step
from ._adadelta import adadelta_step
from ._adagrad import adagrad_step
from ._adam import adam_step, adamw_step
from ._adamax import adamax_step
from ._asgd import asgd_step
from ._clip import clip_grad_norm
from ._ema import ema_update
from ._lamb import lamb_step
from ._lion import lion_step
from ._lookahead import lookahead_sync
from ._nadam import nadam_step
from ._radam import radam_step
from ._rmsprop import rmsprop_step
from ._rprop import rprop_step
from ._schedulefree import adamw_schedulefree_step, sgd_schedulefree_step
from ._sgd import sgd_step

__all__ = [
    "adabelief_step",
    "adadelta_step",
    "adagrad_step",
    "adam_step",
    "adamax_step",
    "adamw_schedulefree_step",
    "adamw_step",
    "asgd_step",
    "clip_grad_norm",
    "ema_update",
    "lamb_step",
    "lion_step",
    "lookahead_sync",
    "nadam_step",
    "radam_step",
    "rmsprop_step",
    "rprop_step",
    "sgd_schedulefree_step",
    "sgd_step",
]
