"""SGD with optional heavy-ball or Nesterov momentum (torch.optim.SGD)."""

from __future__ import annotations

from typing import Any

from .. import _checks as v
from ..typing import ArrayOrList
from ._base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent; see :func:`steepest.functional.sgd_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place (float32/float64, C-contiguous, writeable).
    lr : float
        Learning rate (required, as in torch).
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

    def __init__(
        self,
        params: ArrayOrList,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        hyper = {
            "lr": lr, "momentum": momentum, "dampening": dampening, "nesterov": nesterov,
            "weight_decay": weight_decay, "maximize": maximize,
        }  # fmt: skip
        super().__init__(params, hyper, backend=backend, nonfinite=nonfinite)

    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        fn = type(self).__name__
        hyper["nesterov"] = v.flag(fn, "nesterov", hyper["nesterov"])
        hyper["maximize"] = v.flag(fn, "maximize", hyper["maximize"])
        v.check_nonnegative(fn, "lr", hyper["lr"])
        v.check_nonnegative(fn, "momentum", hyper["momentum"])
        v.check_between(fn, "dampening", hyper["dampening"], 0.0, 1.0, hi_open=False,
                        interval="[0, 1]")  # fmt: skip
        v.check_nonnegative(fn, "weight_decay", hyper["weight_decay"])
        v.check_nesterov(fn, hyper["nesterov"], hyper["momentum"], hyper["dampening"])

    def _active_state(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if hyper["momentum"] != 0 else ()

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        h = self.hyper
        return bool(
            self._functional.sgd_step(
                self.params, grads, self.state.get("momentum_buffer"), step=step,
                lr=h["lr"], momentum=h["momentum"], dampening=h["dampening"],
                nesterov=h["nesterov"], weight_decay=h["weight_decay"],
                maximize=h["maximize"], nonfinite=self.nonfinite,
            )
        )  # fmt: skip
