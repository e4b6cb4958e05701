"""LAMB (optax.lamb; torch.optim has none)."""

from __future__ import annotations

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList


class Lamb(Optimizer):
    """LAMB, Adam's direction with one trust ratio per array; see :func:`steepest.functional.lamb_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place; each gets its own trust ratio
        ``||p|| / ||u||`` (1 when either norm is 0), so split a model into
        one array per layer tensor as optax's pytree leaves are.
    lr : float
        Learning rate >= 0. optax has no default; 1e-3 is that of the other
        LAMB implementations (TensorFlow Addons, apex, torch-optimizer) and
        of Adam. With the trust ratio each step moves an array by about
        ``lr * ||p||``: 1e-3 changes each tensor by about 0.1 % per step.
    betas, eps, eps_root, weight_decay
        optax.lamb's ``b1, b2``, ``eps``, ``eps_root``, ``weight_decay``
        (same defaults: (0.9, 0.999), 1e-6, 0, 0); the weight decay is added
        to the update before the trust ratio (optax's ``mask`` is not
        offered: leave an array out of the list, or use a second optimizer).
    maximize
        Ascend instead of descend (not in optax).
    nonfinite, backend
        See :class:`steepest.SGD`.

    Notes
    -----
    State ``m``, ``v`` (optax's ``mu``, ``nu``; ``exp_avg``, ``exp_avg_sq``
    in :class:`steepest.torch.Lamb`).

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([3.0, -4.0])
    >>> opt = steepest.Lamb([w], lr=0.1)
    >>> opt.step([np.array([0.5, -0.5])])
    >>> w  # u = (1, -1), ||w|| / ||u|| = 5 / sqrt(2): the step is lr * ||w||
    array([ 2.64644661, -3.64644661])
    """

    _rule = BY_NAME["lamb"]
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        eps_root: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())
