"""LAMB as a ``torch.optim.Optimizer`` (torch.optim has none; optax.lamb's update).

The kernel is :func:`steepest.functional.lamb_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer


class Lamb(NativeOptimizer):
    """LAMB on CPU tensors; see :func:`steepest.functional.lamb_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (dense, contiguous, CPU, float32/float64, or
        float16/bfloat16 with float32 state), or
        param groups as in torch. Each tensor gets its own trust ratio.
    lr, betas, eps, eps_root, weight_decay, maximize
        As in :class:`steepest.Lamb` (optax.lamb's update and defaults;
        lr 1e-3, which optax leaves to the user).
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    Notes
    -----
    State: ``step`` (a scalar float tensor), ``exp_avg`` and ``exp_avg_sq``,
    Adam's names (torch.optim has no LAMB to exchange state dicts with).
    Every param of a group takes one call; the trust ratio is still per
    tensor.
    """

    _rule = BY_NAME["lamb"]

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        eps_root: float = 0.0,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
