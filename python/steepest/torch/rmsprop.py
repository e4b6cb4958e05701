"""RMSprop, plain or centered, with optional momentum, as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.RMSprop``; the kernel is :func:`steepest.functional.rmsprop_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .. import _checks as v
from .. import functional as F
from ..typing import FloatArray
from ._base import NativeOptimizer, number


class RMSprop(NativeOptimizer):
    """RMSprop on CPU tensors; see :func:`steepest.functional.rmsprop_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (dense, contiguous, CPU, float32/float64), or
        param groups as in torch.
    lr, alpha, eps, weight_decay, momentum, centered, maximize
        As in ``torch.optim.RMSprop`` (same defaults; ``eps`` must be > 0).
    capturable, foreach, differentiable
        Accepted at torch's defaults only; any other value raises ValueError.
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    Notes
    -----
    State, as torch keeps it: ``step``, ``square_avg``, ``momentum_buffer``
    (when ``momentum > 0``) and ``grad_avg`` (when ``centered``). The update
    does not depend on the step count, so every param of a group takes one call.
    """

    _flags = ("capturable", "foreach", "differentiable")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        *,
        nonfinite: str = "ignore",
    ) -> None:
        defaults = {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
            "centered": centered, "weight_decay": weight_decay,
            "capturable": capturable, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable,
        }  # fmt: skip
        super().__init__(params, defaults, nonfinite=nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        fn = self._name()
        for key in ("lr", "momentum", "weight_decay"):
            v.check_nonnegative(fn, key, number(group[key]))
        alpha = group["alpha"]
        v.check_between(fn, "alpha", alpha, 0.0, 1.0, hi_open=False, interval="[0, 1]")
        v.check_positive(fn, "eps", group["eps"])

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        names = ["square_avg"]
        if group["momentum"] > 0:
            names.append("momentum_buffer")
        if group["centered"]:
            names.append("grad_avg")
        return tuple(names)

    def _step_number(self, group: dict[str, Any], state: dict[str, Any]) -> int:
        return 0  # unused by the kernel: one call for the whole group

    def _run(
        self,
        group: dict[str, Any],
        params: list[FloatArray],
        grads: list[FloatArray],
        state: dict[str, list[FloatArray]],
        step: int,
    ) -> bool:
        return F.rmsprop_step(
            params, grads, state["square_avg"], state.get("momentum_buffer"),
            state.get("grad_avg"), lr=number(group["lr"]), alpha=group["alpha"],
            eps=group["eps"], weight_decay=group["weight_decay"],
            momentum=group["momentum"], centered=group["centered"],
            maximize=group["maximize"], nonfinite=self.nonfinite,
        )  # fmt: skip
