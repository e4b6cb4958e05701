"""AdaBelief (optax.adabelief; torch.optim has none)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class AdaBelief(Optimizer):
    """AdaBelief, Adam scaled by the prediction error; see :func:`steepest.functional.adabelief_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place.
    lr, betas, eps, eps_root, maximize
        As ``learning_rate``, ``(b1, b2)``, ``eps`` and ``eps_root`` of
        ``optax.adabelief`` (same defaults: 0.9, 0.999, 1e-16, 1e-16). optax
        has no default learning rate: 1e-3 is the paper's (Adam's). State
        ``m``, ``s`` is optax's ``mu``, ``nu``.
    nonfinite, backend
        See :class:`steepest.SGD`.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([1.0, -1.0], dtype=np.float32)
    >>> opt = steepest.AdaBelief([w], lr=0.1)
    >>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
    >>> w  # the first step moves each coordinate by about lr / (1 - beta1)
    array([ 0.8888889, -0.8888889], dtype=float32)
    """

    _rule = BY_NAME["adabelief"]
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-16,
        eps_root: float = 1e-16,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
