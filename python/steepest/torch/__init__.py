"""steepest's kernels behind ``torch.optim``: optimizers for CPU tensors.

Each class here (one per steepest rule, see ``__all__``) subclasses
``torch.optim.Optimizer``; those torch.optim also has keep torch's
constructor signatures, defaults, param groups and state names, so they drop into a
training loop (``zero_grad``, ``loss.backward()``, ``step(closure)``), work
with ``torch.optim.lr_scheduler`` and exchange state dicts with
``torch.optim``; :class:`Lion` and :class:`AdaBelief`, which torch.optim
lacks, follow ``optax.lion`` and ``optax.adabelief`` under the names of the
common PyTorch ports; :class:`SGDScheduleFree` and :class:`AdamWScheduleFree`
are the authors' ``schedulefree`` classes (``eval()``/``train()``, state
dicts exchanged with them). Each step views
params, gradients and state as NumPy arrays (CPU tensors share their memory,
nothing is copied) and updates each param group in one native call with the
GIL released.

Needs the optional dependency torch (``pip install steepest[torch]``).

Strided CPU tensors of float32 or float64 are accepted, in any layout torch
accepts: a dense one other than C order (``channels_last`` conv weights, a
transposed matrix) is updated in place with its grad and state in its own
layout, as torch keeps them; a view with gaps (a slice) is updated through a
contiguous copy written back after the step, two extra reads and writes of
the param per step. Anything else (CUDA, float16/bfloat16, complex, sparse
gradients, params sharing memory with each other or within themselves, as an
expanded view) raises TypeError or ValueError naming the param as
``param_groups[i]['params'][j]``. torch's ``foreach``, ``fused``,
``capturable`` and ``differentiable`` are accepted at their defaults only.

The rules are those of ``torch.optim``; results agree with it to rounding
(see ``tests/torch/test_parity.py``), not bit for bit: torch computes some
running averages with ``lerp`` and divides by the bias correction per element.
"""

from __future__ import annotations

from ._base import NativeOptimizer
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
    "NativeOptimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGDScheduleFree",
]
