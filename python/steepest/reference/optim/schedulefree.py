"""Schedule-Free SGD and AdamW (the schedulefree package; torch.optim has none)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..._optimizer import Optimizer
from ..._rules import BY_NAME
from ...typing import ArrayOrList, FloatArray

_MODES_DOC = """\
    The params hold y, the point where gradients are taken; the point to
    evaluate (and to ship) is x = y + (1 - 1/beta) * (z - y), with ``z`` the
    state's base iterate (a copy of the params at construction) and beta
    ``{beta}``. :meth:`eval_params` returns x as new arrays;
    :meth:`eval` rewrites the params to x in place and :meth:`train` back
    to y, as the schedulefree package's ``eval()``/``train()`` do. The
    optimizer starts in train mode (schedulefree's starts in eval mode and
    refuses a step before ``train()``; before the first step x = y = z, so
    only the mode differs). A step in eval mode raises RuntimeError.
    ``lr_max`` and ``weight_sum`` (schedulefree's group numbers) are state,
    one 0-d float64 array per param, all equal; the step count stands for
    its ``k``. :meth:`state_dict` records the mode (``"train_mode"``)."""


class _ScheduleFree(Optimizer):
    """The eval/train modes both Schedule-Free rules share."""

    #: the hyperparameter holding beta (for betas, its first element)
    _beta_name: ClassVar[str]
    train_mode: bool

    def _init_from(self, args: Any) -> None:
        super()._init_from(args)
        self.train_mode = True

    def _beta(self) -> float:
        beta = self.hyper[self._beta_name]
        return float(beta[0] if isinstance(beta, (tuple, list)) else beta)

    def _refuse_in_eval(self, what: str) -> None:
        if not self.train_mode:
            msg = (
                f"{type(self).__name__}.{what}: the optimizer is in eval mode (the "
                "params hold the evaluation weights x); call train() before stepping"
            )
            raise RuntimeError(msg)

    def _moved(self, weight: float) -> list[FloatArray]:
        """Each param moved towards its ``z`` by ``weight``: p + w * (z - p)."""
        return [
            p + p.dtype.type(weight) * (z - p)
            for p, z in zip(self.params, self.state["z"], strict=True)
        ]

    def eval_params(self) -> list[FloatArray]:
        """The evaluation weights x, one new array per param (params untouched).

        In train mode x = y + (1 - 1/beta) * (z - y), computed as :meth:`eval`
        computes it (the same numbers, bit for bit); in eval mode copies of
        the params, which hold x.
        """
        if not self.train_mode:
            return [p.copy() for p in self.params]
        return self._moved(1.0 - 1.0 / self._beta())

    def eval(self) -> None:
        """Switch the params to the evaluation weights x in place (no-op in eval mode)."""
        if self.train_mode:
            for p, x in zip(
                self.params, self._moved(1.0 - 1.0 / self._beta()), strict=True
            ):
                p[...] = x
            self.train_mode = False

    def train(self) -> None:
        """Switch the params back to y in place, for stepping (no-op in train mode).

        y = x + (1 - beta) * (z - x), as schedulefree's ``train()``: the round
        trip returns y to rounding, not bit for bit.
        """
        if not self.train_mode:
            for p, y in zip(self.params, self._moved(1.0 - self._beta()), strict=True):
                p[...] = y
            self.train_mode = True

    def step(self, grads: ArrayOrList) -> None:
        # no super() and no call when in train mode: a small step's cost is
        # mostly such Python calls (~0.1 us each)
        if not self.train_mode:
            self._refuse_in_eval("step")
        Optimizer.step(self, grads)

    def _update(self, grads: ArrayOrList, lr: float) -> bool:
        self._refuse_in_eval("apply_step")
        return super()._update(grads, lr)

    def advance(self, steps: int) -> None:
        self._refuse_in_eval("advance")
        super().advance(steps)

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "train_mode": self.train_mode}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        fn = f"{type(self).__name__}.load_state_dict"
        mode = state_dict.get("train_mode") if isinstance(state_dict, dict) else None
        # ValueError: a state dict is data (as the base class's checks)
        if mode is not True and mode is not False:
            msg = f"{fn}: state_dict['train_mode'] must be a bool, got {mode!r}"
            raise ValueError(msg)
        super().load_state_dict(state_dict)
        self.train_mode = bool(mode)


class SGDScheduleFree(_ScheduleFree):
    """Schedule-Free SGD; see :func:`steepest.functional.sgd_schedulefree_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place: they hold y (see below).
    lr, momentum, weight_decay, warmup_steps, r, weight_lr_power
        As in ``schedulefree.SGDScheduleFree`` (same defaults: 1.0, 0.9, 0,
        0, 0, 2); ``momentum`` in (0, 1), the others >= 0. No schedule is
        needed: ``warmup_steps`` warms the lr up linearly.
    nonfinite, backend
        See :class:`steepest.SGD`.

    Notes
    -----
    {modes}

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([1.0, -1.0])
    >>> opt = steepest.SGDScheduleFree([w], lr=0.5)
    >>> for _ in range(3):
    ...     opt.step([w.copy()])  # the gradient of |w|^2 / 2 at y
    >>> w  # y
    array([ 0.2525, -0.2525])
    >>> opt.eval_params()  # x, the weights to evaluate
    [array([ 0.27291667, -0.27291667])]
    """

    _rule = BY_NAME["sgd_schedulefree"]
    _default_backend = "reference"
    _beta_name = "momentum"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 1.0,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        warmup_steps: float = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())


class AdamWScheduleFree(_ScheduleFree):
    """Schedule-Free AdamW; see :func:`steepest.functional.adamw_schedulefree_step`.

    Parameters
    ----------
    params : list of ndarray
        Arrays to optimise in place: they hold y (see below).
    lr, betas, eps, weight_decay, warmup_steps, r, weight_lr_power
        As in ``schedulefree.AdamWScheduleFree`` (same defaults: 0.0025,
        (0.9, 0.999), 1e-8, 0, 0, 0, 2); ``betas[0]`` in (0, 1), ``betas[1]``
        in [0, 1), ``eps`` > 0, the others >= 0. State ``z`` and ``v``
        (schedulefree's ``z``, ``exp_avg_sq``).
    nonfinite, backend
        See :class:`steepest.SGD`.

    Notes
    -----
    {modes}

    Examples
    --------
    >>> import numpy as np, steepest
    >>> w = np.array([1.0, -1.0])
    >>> opt = steepest.AdamWScheduleFree([w], lr=0.1)
    >>> opt.step([w.copy()])
    >>> opt.eval()  # the params now hold x; opt.train() before the next step
    >>> w
    array([ 0.9, -0.9])
    """

    _rule = BY_NAME["adamw_schedulefree"]
    _default_backend = "reference"
    _beta_name = "betas"

    def __init__(
        self,
        params: ArrayOrList,
        lr: float = 0.0025,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        warmup_steps: float = 0,
        r: float = 0.0,
        weight_lr_power: float = 2.0,
        *,
        nonfinite: str = "raise",
        backend: str | None = None,
    ) -> None:
        self._init_from(locals())


SGDScheduleFree.__doc__ = (SGDScheduleFree.__doc__ or "").replace(
    "    {modes}", _MODES_DOC.format(beta="momentum")
)
AdamWScheduleFree.__doc__ = (AdamWScheduleFree.__doc__ or "").replace(
    "    {modes}", _MODES_DOC.format(beta="betas[0]")
)
