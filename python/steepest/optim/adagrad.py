"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as v
from ..typing import ArrayOrList, FloatArray
from ._base import Optimizer


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

    _state_names = ("state_sum",)

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
        hyper = {
            "lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "eps": eps,
            "maximize": maximize,
        }  # fmt: skip
        super().__init__(params, hyper, backend=backend, nonfinite=nonfinite)

    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        fn = type(self).__name__
        hyper["maximize"] = v.flag(fn, "maximize", hyper["maximize"])
        v.check_nonnegative(fn, "lr", hyper["lr"])
        v.check_nonnegative(fn, "lr_decay", hyper["lr_decay"])
        v.check_nonnegative(fn, "weight_decay", hyper["weight_decay"])
        v.check_nonnegative(
            fn, "initial_accumulator_value", hyper["initial_accumulator_value"]
        )
        v.check_positive(fn, "eps", hyper["eps"])

    def _initial_state(self, key: str, p: FloatArray) -> FloatArray:
        return np.full(p.shape, self.hyper["initial_accumulator_value"], p.dtype)

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        h = self.hyper
        return bool(
            self._functional.adagrad_step(
                self.params, grads, self.state["state_sum"], step=step, lr=h["lr"],
                lr_decay=h["lr_decay"], weight_decay=h["weight_decay"], eps=h["eps"],
                maximize=h["maximize"], nonfinite=self.nonfinite,
            )
        )  # fmt: skip
