"""steepest's kernels behind ``torch.optim``: optimizers for CPU tensors.

:class:`SGD`, :class:`Adagrad`, :class:`RMSprop`, :class:`Adam`,
:class:`AdamW`, :class:`Adamax` and :class:`Adadelta` subclass
``torch.optim.Optimizer`` with torch's constructor signatures, defaults,
param groups and state names, so they drop into a
training loop (``zero_grad``, ``loss.backward()``, ``step(closure)``), work
with ``torch.optim.lr_scheduler`` and exchange state dicts with
``torch.optim``; :class:`Lion` and :class:`AdaBelief`, which torch.optim
lacks, follow ``optax.lion`` and ``optax.adabelief`` under the names of the
common PyTorch ports. Each step views
params, gradients and state as NumPy arrays (CPU tensors share their memory,
nothing is copied) and updates each param group in one native call with the
GIL released.

Needs the optional dependency torch (``pip install steepest[torch]``).

Only dense, contiguous CPU tensors of float32 or float64 are accepted;
anything else (CUDA, float16/bfloat16, complex, sparse gradients, strided
views, params sharing memory) raises TypeError or ValueError naming the param
as ``param_groups[i]['params'][j]``. torch's ``foreach``, ``fused``,
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
from .lion import Lion
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "SGD",
    "AdaBelief",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "NativeOptimizer",
    "RMSprop",
]
