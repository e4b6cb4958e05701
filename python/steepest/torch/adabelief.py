"""AdaBelief as a ``torch.optim.Optimizer`` (torch.optim has none).

Follows ``optax.adabelief``; the kernel is :func:`steepest.functional.adabelief_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer


class AdaBelief(NativeOptimizer):
    """AdaBelief on CPU tensors; see :func:`steepest.functional.adabelief_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (dense, contiguous, CPU, float32/float64, or
        float16/bfloat16 with float32 state), or
        param groups as in torch.
    lr, betas, eps, eps_root, maximize
        As ``learning_rate``, ``(b1, b2)``, ``eps`` and ``eps_root`` of
        ``optax.adabelief`` (same defaults: 0.9, 0.999, 1e-16, 1e-16). optax
        has no default learning rate: 1e-3 is the paper's (Adam's).
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    Notes
    -----
    State: ``step`` (a scalar float tensor), ``exp_avg`` and ``exp_avg_var``,
    the names of the authors' adabelief-pytorch; only the names are shared
    (its update has other options and defaults; this one is optax's).
    """

    _rule = BY_NAME["adabelief"]

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        eps_root: float = 1e-16,
        *,
        maximize: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
