"""Adam, AdamW and AMSGrad (torch.optim.Adam, torch.optim.AdamW)."""

from __future__ import annotations

from typing import Any

from .. import _checks as v
from ..typing import ArrayOrList
from ._base import Optimizer


class Adam(Optimizer):
    """Adam with bias correction; see :func:`steepest.functional.adam_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place.
    lr, betas, eps, weight_decay, amsgrad, maximize
        As in ``torch.optim.Adam`` (L2 weight decay enters the gradient).
    nonfinite, backend
        See :class:`steepest.SGD`.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([1.0, -1.0], dtype=np.float32)
    >>> opt = steepest.Adam([w], lr=0.1)
    >>> opt.step([np.array([0.5, -0.5], dtype=np.float32)])
    >>> w  # the first step moves each coordinate by about lr
    array([ 0.9, -0.9], dtype=float32)
    """

    _step_name = "adam_step"
    _default_weight_decay = 0.0

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        hyper = {
            "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize,
        }  # fmt: skip
        super().__init__(params, hyper, backend=backend, nonfinite=nonfinite)

    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        fn = type(self).__name__
        hyper["amsgrad"] = v.flag(fn, "amsgrad", hyper["amsgrad"])
        hyper["maximize"] = v.flag(fn, "maximize", hyper["maximize"])
        v.check_nonnegative(fn, "lr", hyper["lr"])
        betas = hyper["betas"]
        if len(betas) != 2:
            msg = f"{fn}: betas must be a pair (beta1, beta2), got {betas!r}"
            raise ValueError(msg)
        for name, b in zip(("betas[0]", "betas[1]"), betas, strict=True):
            v.check_between(fn, name, b, 0.0, 1.0, hi_open=True, interval="[0, 1)")
        v.check_positive(fn, "eps", hyper["eps"])
        v.check_nonnegative(fn, "weight_decay", hyper["weight_decay"])

    def _active_state(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        return ("m", "v", "v_max") if hyper["amsgrad"] else ("m", "v")

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        h, s = self.hyper, self.state
        b1, b2 = h["betas"]
        fn = getattr(self._functional, self._step_name)
        return bool(
            fn(
                self.params, grads, s["m"], s["v"], s.get("v_max"), step=step, lr=h["lr"],
                beta1=b1, beta2=b2, eps=h["eps"], weight_decay=h["weight_decay"],
                amsgrad=h["amsgrad"], maximize=h["maximize"], nonfinite=self.nonfinite,
            )
        )  # fmt: skip


class AdamW(Adam):
    """Adam with decoupled weight decay; see :func:`steepest.functional.adamw_step`.

    Same parameters as :class:`Adam`, with ``weight_decay=1e-2`` by default
    (torch's default) applied as ``p <- p * (1 - lr * weight_decay)``.
    """

    _step_name = "adamw_step"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize,
            nonfinite=nonfinite, backend=backend,
        )  # fmt: skip
