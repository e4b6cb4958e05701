"""Adam, AdamW and AMSGrad as ``torch.optim.Optimizer`` subclasses.

Twins of ``torch.optim.Adam`` and ``torch.optim.AdamW``; the kernels are
:func:`steepest.functional.adam_step` and :func:`steepest.functional.adamw_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .. import _checks as v
from .. import functional as F
from ..typing import FloatArray
from ._base import NativeOptimizer, number


class Adam(NativeOptimizer):
    """Adam on CPU tensors; see :func:`steepest.functional.adam_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (dense, contiguous, CPU, float32/float64), or
        param groups as in torch.
    lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay
        As in ``torch.optim.Adam`` (same defaults; ``eps`` must be > 0).
        ``decoupled_weight_decay=True`` makes it :class:`AdamW`.
    foreach, capturable, differentiable, fused
        Accepted at torch's defaults only (``foreach``/``fused`` also False);
        any other value raises ValueError.
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    Notes
    -----
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
    ['exp_avg', 'exp_avg_sq', 'step']
    """

    _flags = ("foreach", "capturable", "differentiable", "fused")

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
        defaults = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
            "capturable": capturable, "differentiable": differentiable,
            "fused": fused, "decoupled_weight_decay": decoupled_weight_decay,
        }  # fmt: skip
        super().__init__(params, defaults, nonfinite=nonfinite)

    def _check_group(self, group: dict[str, Any]) -> None:
        fn = self._name()
        v.check_nonnegative(fn, "lr", number(group["lr"]))
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            msg = f"{fn}: betas must be a pair (beta1, beta2), got {betas!r}"
            raise ValueError(msg)
        for name, b in zip(("betas[0]", "betas[1]"), betas, strict=True):
            v.check_between(
                fn, name, number(b), 0.0, 1.0, hi_open=True, interval="[0, 1)"
            )
        v.check_positive(fn, "eps", group["eps"])
        v.check_nonnegative(fn, "weight_decay", group["weight_decay"])

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        if group["amsgrad"]:
            return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        return ("exp_avg", "exp_avg_sq")

    def _run(
        self,
        group: dict[str, Any],
        params: list[FloatArray],
        grads: list[FloatArray],
        state: dict[str, list[FloatArray]],
        step: int,
    ) -> bool:
        kernel = F.adamw_step if group["decoupled_weight_decay"] else F.adam_step
        beta1, beta2 = group["betas"]
        return kernel(
            params, grads, state["exp_avg"], state["exp_avg_sq"],
            state.get("max_exp_avg_sq"), step=step, lr=number(group["lr"]),
            beta1=number(beta1), beta2=number(beta2), eps=group["eps"],
            weight_decay=group["weight_decay"], amsgrad=group["amsgrad"],
            maximize=group["maximize"], nonfinite=self.nonfinite,
        )  # fmt: skip


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
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
            maximize=maximize, capturable=capturable, differentiable=differentiable,
            fused=fused, decoupled_weight_decay=True, nonfinite=nonfinite,
        )  # fmt: skip

    def _fix_group(self, group: dict[str, Any]) -> None:
        # as torch.optim.AdamW.__setstate__: a loaded Adam dict stays decoupled here
        group["decoupled_weight_decay"] = True
