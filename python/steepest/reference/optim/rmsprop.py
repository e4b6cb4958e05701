"""RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class RMSprop(Optimizer):
    """RMSprop; see :func:`steepest.functional.rmsprop_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place.
    lr, alpha, eps, weight_decay, momentum, centered, maximize
        As in ``torch.optim.RMSprop`` (eps outside the square root).
    nonfinite, backend
        See :class:`steepest.SGD`.
    """

    _default_backend = "reference"
    _rule = BY_NAME["rmsprop"]

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
