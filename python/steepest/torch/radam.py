"""RAdam as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.RAdam``; the kernel is :func:`steepest.functional.radam_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class RAdam(NativeOptimizer):
    _rule = BY_NAME["radam"]
    __doc__ = class_doc(
        _rule,
        "RAdam on CPU tensors",
        "lr, betas, eps, weight_decay, decoupled_weight_decay, maximize",
        notes="""\
State, as torch keeps it: ``step`` (a scalar float tensor), ``exp_avg``
and ``exp_avg_sq``. A state dict of ``torch.optim.RAdam`` loads here and
one of this class loads into torch's. Whether a step is rectified
(``rho_t > 5``) depends on the step count alone, so it is decided once per
call; params of a group whose step counts differ take one call per count.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
