"""Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Adadelta(Optimizer):
    _rule = BY_NAME["adadelta"]
    __doc__ = class_doc(
        _rule,
        "Adadelta, steps scaled by a running RMS of past steps",
        "L2 weight decay enters the gradient; state ``square_avg``,\n"
        "    ``acc_delta`` as torch names it",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0])
>>> opt = steepest.Adadelta([w])
>>> opt.step([np.array([0.5, -0.5])])
>>> w  # the first step is about sqrt(eps / (1 - rho))
array([ 0.99683779, -0.99683779])""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
