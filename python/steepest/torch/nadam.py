"""NAdam as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.NAdam``; the kernel is :func:`steepest.functional.nadam_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class NAdam(NativeOptimizer):
    _rule = BY_NAME["nadam"]
    __doc__ = class_doc(
        _rule,
        "NAdam on CPU tensors",
        "lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay, maximize",
        notes="""\
State, as torch keeps it: ``step``, ``mu_product`` (both 0-d tensors of
torch's scalar dtype: float32 unless the default dtype is float64),
``exp_avg`` and ``exp_avg_sq``. The kernel reads and updates
``mu_product`` in place, rounding it as torch's ``mu_product *= mu`` does, so
the step follows torch's even where that rounding shows (float64 params
with a float32 ``mu_product``). A state dict of ``torch.optim.NAdam`` loads
here and one of this class loads into torch's. Params of a group whose step
counts differ take one kernel call per count.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
