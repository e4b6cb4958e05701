"""SGD with optional heavy-ball or Nesterov momentum (torch.optim.SGD)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class SGD(Optimizer):
    """Stochastic gradient descent; see :func:`steepest.functional.sgd_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place (float32/float64, C-contiguous, writeable).
    lr : float, default 1e-3
        Learning rate (torch's default).
    momentum, dampening, nesterov, weight_decay, maximize
        As in ``torch.optim.SGD``.
    nonfinite : {"raise", "skip", "ignore"}
        What a non-finite gradient does (see :mod:`steepest.functional`).
    backend : {"native", "reference"}, optional
        Native C++ kernels (default) or the NumPy reference.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([3.0, -2.0])
    >>> opt = steepest.SGD([w], lr=0.25, momentum=0.5)
    >>> for _ in range(50):
    ...     opt.step([2 * w])  # gradient of ||w||^2
    >>> bool(np.abs(w).max() < 1e-6)
    True
    """

    _default_backend = "reference"
    _rule = BY_NAME["sgd"]

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
