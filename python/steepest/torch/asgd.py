"""ASGD as a ``torch.optim.Optimizer``.

Twin of ``torch.optim.ASGD``; the kernel is :func:`steepest.functional.asgd_step`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from .._rules import BY_NAME
from ._base import NativeOptimizer
from ._docs import class_doc
from ._tensor_checks import scalar_dtype


class ASGD(NativeOptimizer):
    _rule = BY_NAME["asgd"]
    __doc__ = class_doc(
        _rule,
        "Averaged SGD on CPU tensors",
        "lr, lambd, alpha, t0, weight_decay, maximize",
        more="The averaged parameters to evaluate: :meth:`averaged_params`.",
        notes="""\
State, as torch keeps it: ``step``, ``eta``, ``mu`` (0-d tensors of
torch's scalar dtype: float32 unless the default dtype is float64) and
``ax``, the averaged param. The kernel reads ``eta`` and ``mu`` and stores
those of the next step in place, rounded as torch's ``copy_`` rounds them,
so a learning rate changed (or scheduled) for a step first acts at the next
one, as in torch. A state dict of ``torch.optim.ASGD`` loads here and one of
this class loads into torch's. Params of a group whose step counts differ
take one kernel call per count.

Examples
--------
>>> import torch, steepest.torch
>>> model = torch.nn.Linear(3, 1)
>>> opt = steepest.torch.ASGD(model.parameters(), lr=1e-2, t0=0)
>>> for _ in range(3):
...     loss = model(torch.ones(4, 3)).square().mean()
...     opt.zero_grad(); loss.backward(); opt.step()
>>> avg = opt.averaged_params()  # one tensor per param, in param_groups order
>>> [a.shape for a in avg]
[torch.Size([1, 3]), torch.Size([1])]""",
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | torch.Tensor = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        *,
        nonfinite: str = "ignore",
    ) -> None:
        self._init_from(locals())

    def __setstate__(self, state: dict[str, Any]) -> None:
        """As the base class, then ``eta`` and ``mu`` back in torch's scalar
        dtype: torch's ``load_state_dict`` casts them to the param's dtype, but
        torch computes each step's new ones in its default dtype before the
        ``copy_``, so they hold values of that dtype whatever theirs is; kept
        in float64 here they would not be rounded the same."""
        super().__setstate__(state)
        for st in self.state.values():
            for key in ("eta", "mu"):
                if torch.is_tensor(st.get(key)):
                    st[key] = st[key].to(scalar_dtype())

    def averaged_params(self) -> list[torch.Tensor]:
        """The averaged parameters, one tensor per param in ``param_groups`` order.

        A param's state ``ax`` (the live tensor: the next step updates it), or
        the param itself while it has taken no step. Until step ``t0 + 2``
        they equal the params, then they average the iterates since. To
        evaluate, copy them into a model, e.g. ``torch.nn.utils.vector_to_parameters``
        of their concatenation, or ``p.copy_(a)`` param by param.
        """
        out = []
        for group in self.param_groups:
            for p in group["params"]:
                ax = self.state[p].get("ax") if p in self.state else None
                out.append(p.detach() if ax is None else ax)
        return out
