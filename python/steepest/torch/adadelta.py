"""Adadelta as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.Adadelta``; the kernel is :func:`steepest.functional.adadelta_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class Adadelta(NativeOptimizer):
    _rule = BY_NAME["adadelta"]
    __doc__ = class_doc(
        _rule,
        "Adadelta on CPU tensors",
        "lr, rho, eps, weight_decay, maximize",
        notes="""\
State, as torch keeps it: ``step``, ``square_avg`` and ``acc_delta``. A
state dict of ``torch.optim.Adadelta`` loads here and one of this class
loads into torch's. The update does not depend on the step count, so every
param of a group takes one call.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
