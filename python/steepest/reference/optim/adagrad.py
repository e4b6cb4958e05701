"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Adagrad(Optimizer):
    """Adagrad; see :func:`steepest.functional.adagrad_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place.
    lr, lr_decay, weight_decay, initial_accumulator_value, eps, maximize
        As in ``torch.optim.Adagrad`` (the accumulator starts at
        ``initial_accumulator_value``, torch's convention; TensorFlow starts at 0.1).
    nonfinite, backend
        See :class:`steepest.SGD`.
    """

    _default_backend = "reference"
    _rule = BY_NAME["adagrad"]

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
