"""Adam, AdamW and AMSGrad as ``torch.optim.Optimizer`` subclasses.

Twins of ``torch.optim.Adam`` and ``torch.optim.AdamW``; the kernels are
:func:`steepest.functional.adam_step` and :func:`steepest.functional.adamw_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME, Rule
from ._base import NativeOptimizer
from ._docs import class_doc


class Adam(NativeOptimizer):
    _rule = BY_NAME["adam"]
    __doc__ = class_doc(
        _rule,
        "Adam on CPU tensors",
        "lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay",
        more="``decoupled_weight_decay=True`` makes it :class:`AdamW`.",
        notes="""\
State, as torch keeps it: ``step`` (a scalar float tensor, the steps this
param has taken), ``exp_avg``, ``exp_avg_sq`` and, with ``amsgrad``,
``max_exp_avg_sq``. A state dict of ``torch.optim.Adam`` loads here and
one of this class loads into torch's. Params of a group whose step counts
differ (some had no gradient at times) take one kernel call per count.

Examples
--------
>>> import torch, steepest.torch
>>> model = torch.nn.Linear(3, 1)
>>> opt = steepest.torch.Adam(model.parameters(), lr=1e-2)
>>> loss = model(torch.ones(4, 3)).square().mean()
>>> opt.zero_grad(); loss.backward(); opt.step()
>>> sorted(opt.state[model.weight])
['exp_avg', 'exp_avg_sq', 'step']""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())

    def _rule_for(self, group: dict[str, Any]) -> Rule:
        return BY_NAME["adamw"] if group["decoupled_weight_decay"] else self._rule


class AdamW(Adam):
    """Adam with decoupled weight decay; see :func:`steepest.functional.adamw_step`.

    Same parameters and state as :class:`Adam` (without
    ``decoupled_weight_decay``, always true here), with ``weight_decay=1e-2``
    by default as in ``torch.optim.AdamW``: ``p <- p * (1 - lr * wd)`` before
    the Adam update.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(dict(locals(), decoupled_weight_decay=True))

    _rule = BY_NAME["adamw"]

    def _fix_group(self, group: dict[str, Any]) -> None:
        # as torch.optim.AdamW.__setstate__: a loaded Adam dict stays decoupled here
        group["decoupled_weight_decay"] = True
