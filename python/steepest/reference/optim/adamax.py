"""Adamax (torch.optim.Adamax)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Adamax(Optimizer):
    _rule = BY_NAME["adamax"]
    __doc__ = class_doc(
        _rule,
        "Adamax, Adam with an infinity norm",
        "L2 weight decay enters the gradient; state ``m``, ``u`` is torch's\n"
        "    ``exp_avg``, ``exp_inf``",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0], dtype=np.float32)
>>> opt = steepest.Adamax([w], lr=0.1)
>>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
>>> w  # the first step moves each coordinate by about lr
array([ 0.9, -0.9], dtype=float32)""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
