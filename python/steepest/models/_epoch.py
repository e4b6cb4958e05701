"""One training epoch on either backend: the estimators' only contact with the loop.

Twins: ``cpp/include/steepest/train/loop.hpp`` (native, one C++ call per
epoch with the GIL released) and :func:`steepest.reference.train.run_epoch`
(NumPy, one ``loss_and_grad`` and one optimizer step per batch). Tests:
``tests/models/test_epoch.py``.

Every model is a dense network: linear and logistic regression are networks
without a hidden layer (a 1-D coef is stored like a (d, 1) matrix). The
learning rate of each step is ``base(t) * lr_scale`` with ``t`` the
optimizer's ``step_count`` before the step and ``base`` its schedule (or its
plain ``lr``); both backends compute that product in double, so they use
bit-identical learning rates.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..optim import Optimizer
from ..reference.functional import ema_update
from ..reference.models import linear, logistic, mlp
from ..reference.train import run_epoch as reference_run_epoch
from ..typing import FloatArray

FAMILIES = ("linear", "logistic", "mlp")


@dataclass(frozen=True)
class Network:
    """What the loop needs to know about a model besides its params.

    family : "linear" | "logistic" | "mlp"
        Picks the reference module; the native loop treats all three alike.
    loss : "squared_error" | "log_loss"
        log_loss with one output is the binary sigmoid loss, else softmax.
    activation : "relu" | "tanh" | "sigmoid" | "identity"
        Of every hidden layer (unused without hidden layers).
    alpha, l1_ratio : float
        Elastic-net penalty on the weight matrices.
    """

    family: str
    loss: str
    activation: str = "identity"
    alpha: float = 0.0
    l1_ratio: float = 0.0


def _reference_loss_and_grad(net: Network) -> Any:
    if net.family == "linear":
        return linear.loss_and_grad
    if net.family == "logistic":
        return logistic.loss_and_grad
    return functools.partial(
        mlp.loss_and_grad, activation=net.activation, loss=net.loss
    )


@dataclass
class ParamAverage:
    """The params' moving average of a fit with ``ema_decay``.

    ``arrays`` (one per param) follow every step:
    ``ema <- decay * ema + (1 - decay) * params``, except the optimizer's step
    number ``copy_step`` (1 for its first step), which copies the params.
    """

    arrays: list[FloatArray]
    decay: float
    copy_step: int

    def decay_at(self, step: int) -> float:
        """The decay of the optimizer's step number ``step``."""
        return 0.0 if step == self.copy_step else self.decay


def native_rule(opt: Optimizer) -> dict[str, Any]:
    """The update rule of ``opt`` as the C++ loop reads it.

    ``{"kind": rule name, <hyperparameters under the functional step's
    keyword names>, "state": {state name: list of arrays}}``: the kind is the
    spec row's name, which the C++ list (cpp/include/steepest/rules/all.hpp)
    knows by the same name, and the state is ``opt.state``, which holds the
    arrays the options use (Adam: m, v and, with amsgrad, v_max). A subclass
    of a rule's class may change what a step does, so only the classes
    themselves run natively.
    """
    rule = opt.rule
    if type(opt).__name__ != rule.cls:
        msg = (
            f"optimizer {type(opt).__name__} has no native training loop; use "
            f"steepest.{rule.cls} itself or backend='reference'"
        )
        raise TypeError(msg)
    out = rule.step_kwargs(opt.hyper)
    out["kind"] = rule.name
    out["state"] = dict(opt.state)
    return out


def run_epoch(
    backend: str,
    net: Network,
    params: list[FloatArray],
    opt: Optimizer,
    X: FloatArray,
    y: NDArray[Any],
    perm: NDArray[np.intp],
    batch_size: int | None,
    *,
    lr_scale: float = 1.0,
    n_threads: int = 0,
    ema: ParamAverage | None = None,
) -> tuple[float, int]:
    """One epoch of mini-batch descent; returns ``(mean loss, steps applied)``.

    ``params`` are the arrays ``opt`` was built on (updated in place, as is
    ``opt``'s state and ``step_count``). ``X`` is C-contiguous of the params'
    dtype; ``y`` holds class indices (intp) for ``log_loss``, targets of the
    params' dtype for ``squared_error``; ``perm`` a permutation of the rows.
    The loss is that of :func:`steepest.reference.train.run_epoch`; it is NaN
    or inf when training diverged (the native loop then stops at that batch;
    ``params`` may hold non-finite values and must be restored by the caller).
    ``n_threads`` = 0 uses every core (OpenMP and BLAS). With ``ema`` its
    arrays follow every step (in the native step's own pass).
    """
    if backend == "native":
        # here, not at the top: estimators on the reference backend need no extension
        from .. import _core

        schedule = opt.lr_schedule
        loss, steps = _core.train_epoch(
            params, native_rule(opt), opt.step_count,
            None if schedule is None else schedule.to_native(), opt.lr, lr_scale,
            X, y, perm, 0 if batch_size is None else batch_size,
            net.loss, net.activation, net.alpha, net.l1_ratio, n_threads,
            None if ema is None else ema.arrays, 0.0 if ema is None else ema.decay,
            -1 if ema is None else ema.copy_step,
        )  # fmt: skip
        opt.advance(steps)
        return loss, steps
    steps = 0

    def step(grads: list[FloatArray]) -> None:
        nonlocal steps
        t = opt.step_count + 1
        # opt.lr is the schedule's value at the step about to run
        applied = opt.apply_step(grads, lr=opt.lr * lr_scale)
        if applied and ema is not None:
            ema_update(ema.arrays, params, ema.decay_at(t))
        steps += applied

    loss = reference_run_epoch(
        _reference_loss_and_grad(net), params, X, y, perm, batch_size, step,
        alpha=net.alpha, l1_ratio=net.l1_ratio,
    )  # fmt: skip
    return loss, steps


__all__ = ["FAMILIES", "Network", "ParamAverage", "native_rule", "run_epoch"]
