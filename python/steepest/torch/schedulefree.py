"""Schedule-Free SGD and AdamW as ``torch.optim.Optimizer`` (torch.optim has none).

Twins of the schedulefree package's ``SGDScheduleFree`` and
``AdamWScheduleFree`` (their names, defaults, state and param-group entries);
the kernels are :func:`steepest.functional.sgd_schedulefree_step` and
:func:`steepest.functional.adamw_schedulefree_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import torch

from .._rules import BY_NAME, Slot
from ._base import NativeOptimizer, _Item
from ._layout import new_state

_NOTES = """\
    Notes
    -----
    The params hold y, where gradients are taken; the weights to evaluate
    are x = y + (1 - 1/beta) * (z - y) (beta: ``{beta}``). As in schedulefree,
    :meth:`eval` rewrites the params to x in place and :meth:`train` back to
    y (call ``eval()`` before evaluating or saving a checkpoint, ``train()``
    before training again); :meth:`eval_params` returns x as new tensors
    without touching the params. A step in eval mode raises RuntimeError.
    Unlike schedulefree's, a new optimizer starts in train mode (before its
    first step x = y, so only the flag differs; ``train()`` is a no-op).

    State as schedulefree keeps it: per param ``z`` (a copy of the param at
    its first step){state}; per group ``k`` (steps taken), ``lr_max``,
    ``weight_sum``, ``train_mode`` and ``scheduled_lr``. A state dict of
    schedulefree's optimizer loads here and one of this class loads into
    schedulefree's. Two differences: a group none of whose params has a
    gradient does not advance ``k`` (schedulefree's does), and a step skipped
    for a non-finite gradient (``nonfinite="skip"``) leaves the group as it was.
"""


class _ScheduleFree(NativeOptimizer):
    """The group numbers and eval/train modes of both Schedule-Free rules."""

    _beta_key: ClassVar[str]

    def _start(self, params: Iterable[Any], args: dict[str, Any]) -> None:
        defaults = {name: args[name] for name in self._rule.hyper_names}
        defaults.update(
            foreach=args["foreach"], k=0, train_mode=True, weight_sum=0.0,
            lr_max=-1.0, scheduled_lr=0.0,
        )  # fmt: skip
        NativeOptimizer.__init__(self, params, defaults, nonfinite=args["nonfinite"])

    def _beta(self, group: dict[str, Any]) -> float:
        beta = group[self._beta_key]
        return float(beta[0] if isinstance(beta, (tuple, list)) else beta)

    # -- the step --------------------------------------------------------------
    def _step_group(self, gi: int, group: dict[str, Any]) -> None:
        if not group["train_mode"]:
            msg = (
                f"{self._name()}.step: param group {gi} is in eval mode (its params "
                "hold the evaluation weights x); call train() before step()"
            )
            raise RuntimeError(msg)
        super()._step_group(gi, group)

    def _step_number(self, group: dict[str, Any], state: dict[str, Any]) -> int:
        return int(group["k"]) + 1

    def _state_tensors(
        self,
        group: dict[str, Any],
        p: torch.Tensor,
        state: dict[str, Any],
        slots: tuple[Slot, ...],
    ) -> list[torch.Tensor]:
        """``z`` (a copy of ``p``) and ``exp_avg_sq`` created on first use, as
        schedulefree does; the group's ``lr_max`` and ``weight_sum`` as the
        kernel's per-param scalars (own float64 tensors, read back by
        :meth:`_advance`), not kept in the param's state."""
        out = []
        for slot in slots:
            if slot.in_group:
                out.append(torch.tensor(float(group[slot.torch]), dtype=torch.float64))
                continue
            t = state.get(slot.torch)
            if t is None:
                t = new_state(p, None)
                t.copy_(
                    p.detach() if slot.from_param else torch.zeros((), dtype=p.dtype)
                )
                state[slot.torch] = t
            out.append(t)
        return out

    def _advance(self, group: dict[str, Any], items: list[_Item]) -> None:
        slots = self._rule.active(group)
        for k, slot in enumerate(slots):
            if slot.in_group:
                group[slot.torch] = float(items[0].tensors[k])
        warmup = float(group["warmup_steps"])
        t = int(group["k"]) + 1
        lr = float(self._hyper(group)["lr"])
        group["scheduled_lr"] = lr * (t / warmup if t - 1 < warmup else 1.0)
        group["k"] = t

    # -- the two points --------------------------------------------------------
    @torch.no_grad()
    def eval(self) -> None:
        """Rewrite each group's params to the evaluation weights x (no-op in eval mode)."""
        for group in self.param_groups:
            if group["train_mode"]:
                w = 1.0 - 1.0 / self._beta(group)
                for p in group["params"]:
                    z = self.state[p].get("z") if p in self.state else None
                    if z is not None:
                        p.lerp_(z, w)
                group["train_mode"] = False

    @torch.no_grad()
    def train(self) -> None:
        """Rewrite each group's params back to y, for stepping (no-op in train mode)."""
        for group in self.param_groups:
            if not group["train_mode"]:
                w = 1.0 - self._beta(group)
                for p in group["params"]:
                    z = self.state[p].get("z") if p in self.state else None
                    if z is not None:
                        p.lerp_(z, w)
                group["train_mode"] = True

    @torch.no_grad()
    def eval_params(self) -> list[torch.Tensor]:
        """The evaluation weights x, one new tensor per param in ``param_groups``
        order; the params are not touched. Equal to the params after
        :meth:`eval` (the same ``lerp``), or copies of them in eval mode."""
        out = []
        for group in self.param_groups:
            w = 1.0 - 1.0 / self._beta(group)
            for p in group["params"]:
                z = self.state[p].get("z") if p in self.state else None
                x = p.detach().clone()
                if z is not None and group["train_mode"]:
                    x.lerp_(z, w)
                out.append(x)
        return out


class SGDScheduleFree(_ScheduleFree):
    """Schedule-Free SGD on CPU tensors; see :func:`steepest.functional.sgd_schedulefree_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (strided, CPU, float32/float64), or param groups.
    lr, momentum, weight_decay, warmup_steps, r, weight_lr_power
        As in ``schedulefree.SGDScheduleFree`` (same defaults: 1.0, 0.9, 0,
        0, 0, 2); ``momentum`` in (0, 1), the others >= 0.
    foreach
        Accepted at None or False only (one native call per group anyway).
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    {notes}
    """

    _rule = BY_NAME["sgd_schedulefree"]
    _beta_key = "momentum"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2,
        foreach: bool | None = None,
        *,
        nonfinite: str = "ignore",
    ) -> None:
        self._start(params, locals())


class AdamWScheduleFree(_ScheduleFree):
    """Schedule-Free AdamW on CPU tensors; see :func:`steepest.functional.adamw_schedulefree_step`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Tensors to optimise (strided, CPU, float32/float64), or param groups.
    lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power
        As in ``schedulefree.AdamWScheduleFree`` (same defaults: 0.0025,
        (0.9, 0.999), 1e-8, 0, 0, 0, 2); ``betas[0]`` in (0, 1), ``betas[1]``
        in [0, 1), ``eps`` > 0, the others >= 0.
    foreach
        Accepted at None or False only (one native call per group anyway).
    nonfinite : {"ignore", "raise", "skip"}
        See :class:`steepest.torch.SGD`.

    {notes}
    """

    _rule = BY_NAME["adamw_schedulefree"]
    _beta_key = "betas"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        warmup_steps: int = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        foreach: bool | None = None,
        *,
        nonfinite: str = "ignore",
    ) -> None:
        self._start(params, locals())


SGDScheduleFree.__doc__ = (SGDScheduleFree.__doc__ or "").replace(
    "    {notes}\n", _NOTES.format(beta="momentum", state="")
)
AdamWScheduleFree.__doc__ = (AdamWScheduleFree.__doc__ or "").replace(
    "    {notes}\n", _NOTES.format(beta="betas[0]", state=" and ``exp_avg_sq``")
)
