"""Rprop as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.Rprop``; the kernel is :func:`steepest.functional.rprop_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc


class Rprop(NativeOptimizer):
    _rule = BY_NAME["rprop"]
    __doc__ = class_doc(
        _rule,
        "Rprop on CPU tensors",
        "lr, etas, step_sizes, maximize",
        as_in="same defaults; ``etas`` must satisfy 0 < etaminus < 1 < etaplus "
        "and ``step_sizes`` be >= 0",
        notes="""\
State, as torch keeps it: ``step``, ``prev`` and ``step_size``, which starts
at the group's ``lr`` when the param's state is created; as in torch, no
step reads ``lr`` afterwards, so an LR scheduler has no effect on a param
already stepped. A state dict of ``torch.optim.Rprop`` loads here and one of
this class loads into torch's.

Rprop follows only the signs of the gradients and is meant for full-batch
training: mini-batch noise flips the signs and shrinks the step sizes.""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())
