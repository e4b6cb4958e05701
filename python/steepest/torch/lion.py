"""Lion as a ``torch.optim.Optimizer`` (torch.optim has none).

Follows ``optax.lion``; the kernel is :func:`steepest.functional.lion_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer


class Lion(NativeOptimizer):
    """Lion on CPU tensors; see :func:`steepest.functional.lion_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (dense, contiguous, CPU, float32/float64, or
        float16/bfloat16 with float32 state), or
        param groups as in torch.
    lr, betas, weight_decay, maximize
        As ``learning_rate``, ``(b1, b2)`` and ``weight_decay`` of
        ``optax.lion`` (same defaults, 0.9, 0.99 and a decoupled 1e-3),
        under the names of the common PyTorch port (lion-pytorch). optax has
        no default learning rate: 1e-4 follows the paper's advice of a rate
        3-10x smaller than AdamW's (1e-3).
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    Notes
    -----
    State: ``step`` (a scalar float tensor, as steepest.torch keeps for every
    rule) and ``exp_avg``, the momentum, under lion-pytorch's name. The
    update does not depend on the step count, so every param of a group takes
    one call.
    """

    _rule = BY_NAME["lion"]

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 1e-3,
        *,
        maximize: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
