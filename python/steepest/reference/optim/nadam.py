"""NAdam (torch.optim.NAdam)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class NAdam(Optimizer):
    _rule = BY_NAME["nadam"]
    __doc__ = class_doc(
        _rule,
        "NAdam, Adam with Nesterov momentum",
        "state ``m``, ``v`` (torch's ``exp_avg``, ``exp_avg_sq``) and\n"
        "    ``mu_product``, one number per param: ``state['mu_product'][i]``\n"
        "    is a 0-d float64 array (torch keeps a 0-d tensor, float32 unless\n"
        "    its default dtype is float64; steepest's own state keeps it in\n"
        "    double, so float64 results do not carry float32 rounding)",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0])
>>> opt = steepest.NAdam([w], lr=0.1)
>>> opt.step([np.array([0.5, -0.5])])
>>> w  # the first step moves each coordinate by about lr
array([ 0.89435482, -0.89435482])
>>> opt.state["mu_product"][0]  # mu_1 = 0.9 * (1 - 0.5 * 0.96^0.004)
array(0.45007347)""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
