"""Adagrad as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.Adagrad``; the kernel is :func:`steepest.functional.adagrad_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class Adagrad(NativeOptimizer):
    _rule = BY_NAME["adagrad"]
    __doc__ = class_doc(
        _rule,
        "Adagrad on CPU tensors",
        "lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize",
        notes="""\
State, as torch keeps it and created with each param group as torch
does: ``step`` (a scalar float tensor) and ``sum``, which starts at
``initial_accumulator_value``.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())

    def _init_group(self, group: dict[str, Any]) -> None:
        # torch creates Adagrad's state with the optimizer, not at the first step
        slots = self._rule.active(group)
        for p in group["params"]:
            self._state_tensors(group, p, self.state[p], slots)
