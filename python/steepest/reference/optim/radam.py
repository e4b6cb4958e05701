"""RAdam (torch.optim.RAdam)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class RAdam(Optimizer):
    _rule = BY_NAME["radam"]
    __doc__ = class_doc(
        _rule,
        "RAdam, Adam with a rectified adaptive step",
        "weight decay as an L2 term, or decoupled as AdamW's with\n"
        "    ``decoupled_weight_decay``; state ``m``, ``v`` is torch's ``exp_avg``,\n"
        "    ``exp_avg_sq``. Whether a step is rectified depends on the step\n"
        "    count only (with ``beta2 = 0.999``, from the sixth step on)",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0], dtype=np.float32)
>>> opt = steepest.RAdam([w], lr=0.1)
>>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
>>> w  # the first steps are momentum SGD's: lr times the corrected mean
array([ 0.95, -0.95], dtype=float32)""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
