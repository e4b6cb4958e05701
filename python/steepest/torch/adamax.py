"""Adamax as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.Adamax``; the kernel is :func:`steepest.functional.adamax_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class Adamax(NativeOptimizer):
    _rule = BY_NAME["adamax"]
    __doc__ = class_doc(
        _rule,
        "Adamax on CPU tensors",
        "lr, betas, eps, weight_decay, maximize",
        notes="""\
State, as torch keeps it: ``step`` (a scalar float tensor), ``exp_avg``
and ``exp_inf``. A state dict of ``torch.optim.Adamax`` loads here and
one of this class loads into torch's.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
