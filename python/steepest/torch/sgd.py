"""SGD with optional momentum or Nesterov momentum as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.SGD``; the kernel is :func:`steepest.functional.sgd_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME, Slot
from ._base import NativeOptimizer, _Item
from ._docs import class_doc
from ._layout import new_state


class SGD(NativeOptimizer):
    _rule = BY_NAME["sgd"]
    __doc__ = class_doc(
        _rule,
        "Stochastic gradient descent on CPU tensors",
        "lr, momentum, dampening, weight_decay, nesterov, maximize",
        as_in="same defaults",
        nonfinite="""\
What a NaN or inf gradient does (see :mod:`steepest.functional`);
    ``"ignore"`` (default) is torch's behaviour. ``"skip"`` leaves the
    whole param group (params and state) unchanged for that step.""",
        notes="""\
State, as torch keeps it: ``momentum_buffer`` once a param has taken a
step with ``momentum != 0``, and no step count. A param without one takes
torch's first step (the buffer becomes the gradient).

Examples
--------
>>> import torch, steepest.torch
>>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
>>> opt = steepest.torch.SGD([w], lr=0.1, momentum=0.9)
>>> (w * w).sum().backward()
>>> opt.step()
>>> w.detach()
tensor([ 0.8000, -0.8000])""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())

    def _step_number(self, group: dict[str, Any], state: dict[str, Any]) -> int:
        # the kernel's step 1 sets the buffer to the gradient, as torch's first step
        return 2 if state.get("momentum_buffer") is not None else 1

    def _state_tensors(
        self,
        group: dict[str, Any],
        p: torch.Tensor,
        state: dict[str, Any],
        slots: tuple[Slot, ...],
    ) -> list[torch.Tensor]:
        if not slots:  # no momentum
            return []
        buf = state.get("momentum_buffer")
        # a new buffer joins the state only once a step has filled it
        return [buf if buf is not None else new_state(p, None)]

    def _advance(self, group: dict[str, Any], items: list[_Item]) -> None:
        if group["momentum"] != 0:
            for item in items:
                item.state["momentum_buffer"] = item.tensors[0]
