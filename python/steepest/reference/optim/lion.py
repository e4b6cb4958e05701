"""Lion (optax.lion; torch.optim has none)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Lion(Optimizer):
    """Lion, a sign update of an interpolated momentum; see :func:`steepest.functional.lion_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place.
    lr, betas, weight_decay, maximize
        As ``learning_rate``, ``(b1, b2)`` and ``weight_decay`` of
        ``optax.lion`` (same defaults, 0.9, 0.99 and a decoupled 1e-3), with
        lion-pytorch's names. optax has no default learning rate: 1e-4 follows
        the paper's advice of a rate 3-10x smaller than AdamW's (1e-3). State
        ``m`` is optax's ``mu``.
    nonfinite, backend
        See :class:`steepest.SGD`.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([1.0, -1.0], dtype=np.float32)
    >>> opt = steepest.Lion([w], lr=0.1, weight_decay=0.0)
    >>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
    >>> w  # each coordinate moves by lr against its gradient's sign
    array([ 0.9, -0.9], dtype=float32)
    """

    _rule = BY_NAME["lion"]
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 1e-3,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
