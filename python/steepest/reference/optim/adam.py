"""Adam, AdamW and AMSGrad (torch.optim.Adam, torch.optim.AdamW)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Adam(Optimizer):
    _rule = BY_NAME["adam"]
    __doc__ = class_doc(
        _rule,
        "Adam with bias correction",
        "L2 weight decay enters the gradient",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0], dtype=np.float32)
>>> opt = steepest.Adam([w], lr=0.1)
>>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
>>> w  # the first step moves each coordinate by about lr
array([ 0.9, -0.9], dtype=float32)""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())


class AdamW(Adam):
    """Adam with decoupled weight decay; see :func:`steepest.functional.adamw_step`.

    Same parameters as :class:`Adam`, with ``weight_decay=1e-2`` by default
    (torch's default) applied as ``p <- p * (1 - lr * weight_decay)``.
    """

    _rule = BY_NAME["adamw"]

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
