"""ASGD (torch.optim.ASGD)."""

from __future__ import annotations

from ..._optimizer import Optimizer, class_doc
from ..._rules import BY_NAME
from ...typing import ArrayOrList, FloatArray


class ASGD(Optimizer):
    _rule = BY_NAME["asgd"]
    __doc__ = class_doc(
        _rule,
        "Averaged SGD: SGD with a decaying step and an averaged iterate",
        "state ``ax`` as torch names it, and ``eta``, ``mu``, one number per\n"
        "    param each: ``state['eta'][i]`` is a 0-d float64 array (torch\n"
        "    keeps 0-d tensors, float32 unless its default dtype is float64).\n"
        "    The averaged parameters, the iterate to evaluate, are\n"
        "    :attr:`averaged_params` (the ``ax`` arrays, updated by each step).\n"
        "    A learning rate set (or scheduled) for step t takes effect at step\n"
        "    t + 1, as in torch: each step moves by the ``eta`` the previous\n"
        "    one stored (the first by the lr given, or set, before it)",
        examples="""\
>>> import numpy as np, steepest
>>> w = np.array([1.0, -1.0])
>>> opt = steepest.ASGD([w], lr=0.1, t0=0)
>>> for _ in range(3):
...     opt.step([w.copy()])  # the gradient of |w|^2 / 2
>>> w
array([ 0.72897752, -0.72897752])
>>> opt.averaged_params  # the mean of the last two iterates: evaluate this
[array([ 0.7694801, -0.7694801])]""",
    )
    _default_backend = "reference"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())

    @property
    def averaged_params(self) -> list[FloatArray]:
        """The averaged parameters, one array per param (the state's ``ax``).

        Live arrays, not copies: the next step updates them. Until step
        ``t0 + 2`` they equal the params; then they average the iterates
        since (Polyak-Ruppert averaging). Copy them (or load them into a
        model) to evaluate.
        """
        return self.state["ax"]
