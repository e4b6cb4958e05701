"""RMSprop, plain or centered, with optional momentum, as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.RMSprop``; the kernel is :func:`steepest.functional.rmsprop_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class RMSprop(NativeOptimizer):
    _rule = BY_NAME["rmsprop"]
    __doc__ = class_doc(
        _rule,
        "RMSprop on CPU tensors",
        "lr, alpha, eps, weight_decay, momentum, centered, maximize",
        notes="""\
State, as torch keeps it: ``step``, ``square_avg``, ``momentum_buffer``
(when ``momentum > 0``) and ``grad_avg`` (when ``centered``). The update
does not depend on the step count, so every param of a group takes one call.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        *,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
