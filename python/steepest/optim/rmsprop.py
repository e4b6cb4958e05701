"""RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop)."""

from __future__ import annotations

from typing import Any

from .. import _checks as v
from ..typing import ArrayOrList
from ._base import Optimizer


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
        hyper = {
            "lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
            "momentum": momentum, "centered": centered, "maximize": maximize,
        }  # fmt: skip
        super().__init__(params, hyper, backend=backend, nonfinite=nonfinite)

    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        fn = type(self).__name__
        hyper["centered"] = v.flag(fn, "centered", hyper["centered"])
        hyper["maximize"] = v.flag(fn, "maximize", hyper["maximize"])
        v.check_nonnegative(fn, "lr", hyper["lr"])
        v.check_between(fn, "alpha", hyper["alpha"], 0.0, 1.0, hi_open=False,
                        interval="[0, 1]")  # fmt: skip
        v.check_positive(fn, "eps", hyper["eps"])
        v.check_nonnegative(fn, "weight_decay", hyper["weight_decay"])
        v.check_nonnegative(fn, "momentum", hyper["momentum"])

    def _active_state(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        names = ["square_avg"]
        if hyper["momentum"] != 0:
            names.append("momentum_buffer")
        if hyper["centered"]:
            names.append("grad_avg")
        return tuple(names)

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        h, s = self.hyper, self.state
        return bool(
            self._functional.rmsprop_step(
                self.params, grads, s["square_avg"], s.get("momentum_buffer"),
                s.get("grad_avg"), lr=h["lr"], alpha=h["alpha"], eps=h["eps"],
                weight_decay=h["weight_decay"], momentum=h["momentum"],
                centered=h["centered"], maximize=h["maximize"], nonfinite=self.nonfinite,
            )
        )  # fmt: skip
