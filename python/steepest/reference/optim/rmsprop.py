"""RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class RMSprop(Optimizer):
    _rule = BY_NAME["rmsprop"]
    __doc__ = class_doc(_rule, "RMSprop", "eps outside the square root")
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
