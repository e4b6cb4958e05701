"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Adagrad(Optimizer):
    _rule = BY_NAME["adagrad"]
    __doc__ = class_doc(
        _rule,
        "Adagrad",
        "the accumulator starts at\n"
        "    ``initial_accumulator_value``, torch's convention; TensorFlow starts at 0.1",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
