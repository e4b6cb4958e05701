"""Rprop (torch.optim.Rprop)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Rprop(Optimizer):
    _rule = BY_NAME["rprop"]
    __doc__ = class_doc(
        _rule,
        "Rprop, per-element step sizes adapted from the gradient's sign",
        "state ``prev``, ``step_size`` as torch names it; ``step_size``\n"
        "    starts at ``lr``, which no step reads afterwards (assigning\n"
        "    :attr:`lr` or a schedule changes nothing once the state exists).\n"
        "    Rprop is meant for full-batch gradients: it follows only their\n"
        "    signs, which mini-batch noise flips, shrinking the step sizes;\n"
        "    the estimators warn when it is used with mini-batches",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0], dtype=np.float32)
>>> opt = steepest.Rprop([w], lr=0.1)
>>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
>>> w  # each coordinate moves by its step size, lr at first
array([ 0.9, -0.9], dtype=float32)""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
