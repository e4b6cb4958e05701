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

The L1 part of the penalty is not in the gradient the rule sees: after each
step, every weight matrix (never a bias) goes through the proximal step of
``lr * a1 * ||W||_1`` (soft thresholding, ``a1 = alpha * l1_ratio``, ``lr``
the step's learning rate)::

    W <- 0                         where |W| <= thr,   thr = T(lr * a1)
    W <- W - copysign(thr, W)      elsewhere (NaN stays NaN)

so a strong L1 penalty gives exact zeros instead of the oscillation of a
subgradient step (scikit-learn's SGD truncates too, with Tsuruoka et al.'s
cumulative variant, which is the same operation for plain SGD at batch size
1 when no weight crosses 0). The L2 part stays in the gradient. With an
adaptive rule (Adam, RMSprop, ...) the threshold is not preconditioned: it
is ``lr * a1`` in parameter units for every weight, decoupled from the
rule's per-coordinate step sizes as AdamW decouples weight decay. The
batch objective reported still includes ``a1 * sum |W|`` at the weights
before the step. Limitation: at small batches with a constant learning rate
each step's threshold is small beside the gradient noise, so fewer weights
end at exactly 0 than with scikit-learn's cumulative truncation; full batches
(the proximal gradient method) zero what the lasso zeros (measured against
SGDClassifier(penalty="l1") in ``tests/models/test_l1_penalty.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
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
    loss : "squared_error" | "log_loss" | "multilabel_log_loss"
        log_loss with one output is the binary sigmoid loss, else softmax;
        multilabel_log_loss one sigmoid loss per output on 0/1 targets.
    activation : "relu" | "tanh" | "sigmoid" | "identity"
        Of every hidden layer (unused without hidden layers).
    alpha, l1_ratio : float
        Elastic-net penalty on the weight matrices.
    fit_intercept : bool
        False: the output layer's bias gets a zero gradient, so a bias
        starting at 0 stays 0 under every rule (linear models'
        ``fit_intercept=False``).
    """

    family: str
    loss: str
    activation: str = "identity"
    alpha: float = 0.0
    l1_ratio: float = 0.0
    fit_intercept: bool = True


def shrink_l1(weights: list[FloatArray], lr: float, a1: float) -> None:
    """The L1 proximal step on each array of ``weights`` (in place); see above."""
    if a1 == 0:
        return
    for w in weights:
        thr = w.dtype.type(lr * a1)
        w[...] = np.where(np.abs(w) <= thr, w.dtype.type(0.0), w - np.copysign(thr, w))


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


def native_X(X: Any) -> dict[str, Any]:
    """X as ``_core.train_epoch`` reads it: ``{"X": X}`` when dense; for a CSR
    X its data, int32 indices and int64 indptr (``X_indices``, ``X_indptr``)."""
    if not sp.issparse(X):
        return {"X": X}
    return {
        "X": X.data,
        "X_indices": X.indices.astype(np.int32, copy=False),
        "X_indptr": X.indptr.astype(np.int64, copy=False),
    }


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
    sample_weight: FloatArray | None = None,
) -> tuple[float, int]:
    """One epoch of mini-batch descent; returns ``(mean loss, steps applied)``.

    ``params`` are the arrays ``opt`` was built on (updated in place, as is
    ``opt``'s state and ``step_count``). ``X`` is C-contiguous of the params'
    dtype, or a scipy.sparse CSR matrix (or array) of that dtype: the batches
    are then gathered as CSR rows and the first layer's products cost
    O(nonzeros x width), while the optimizer step stays dense, O(params) (so
    every rule gives the results of the densified X, to the order of the
    sums); ``y`` holds class indices (intp) for ``log_loss``, targets of the
    params' dtype for ``squared_error`` (0/1 of that dtype, (n, k), for
    ``multilabel_log_loss``); ``perm`` a permutation of the rows.
    The loss is that of :func:`steepest.reference.train.run_epoch`; it is NaN
    or inf when training diverged (the native loop then stops at that batch;
    ``params`` may hold non-finite values and must be restored by the caller).
    ``n_threads`` = 0 uses every core (OpenMP and BLAS). With ``ema`` its
    arrays follow every step, after the L1 proximal step (native: in the
    rule's own pass without L1, a pass after the shrink with it). ``sample_weight`` (n,) of the params'
    dtype, or None: per-row multipliers of the loss and its gradient
    (:mod:`steepest.nn._losses`; the estimators scale them to mean 1).
    """
    if backend == "native":
        # here, not at the top: estimators on the reference backend need no extension
        from .. import _core

        schedule = opt.lr_schedule
        x = native_X(X)
        loss, steps = _core.train_epoch(
            params, native_rule(opt), opt.step_count,
            None if schedule is None else schedule.to_native(), opt.lr, lr_scale,
            x.pop("X"), y, perm, 0 if batch_size is None else batch_size,
            net.loss, net.activation, net.alpha, net.l1_ratio, n_threads,
            None if ema is None else ema.arrays, 0.0 if ema is None else ema.decay,
            -1 if ema is None else ema.copy_step, sample_weight, net.fit_intercept,
            **x,
        )  # fmt: skip
        opt.advance(steps)
        return loss, steps
    steps = 0
    a1 = net.alpha * net.l1_ratio
    smooth = _reference_loss_and_grad(net)
    weights = params[0::2]

    def loss_and_grad(
        ps: list[FloatArray], Xb: FloatArray, yb: NDArray[Any], **kw: Any
    ) -> tuple[float, list[FloatArray]]:
        J, grads = smooth(ps, Xb, yb, **kw)
        if not net.fit_intercept:
            grads[-1] = np.zeros_like(grads[-1])
        if a1 != 0:  # the L1 value, at the weights before the step
            J += float(sum(w.dtype.type(a1) * np.sum(np.abs(w)) for w in weights))
        return J, grads

    def step(grads: list[FloatArray]) -> None:
        nonlocal steps
        t = opt.step_count + 1
        # opt.lr is the schedule's value at the step about to run
        lr = opt.lr * lr_scale
        applied = opt.apply_step(grads, lr=lr)
        steps += applied
        shrink_l1(weights, lr, a1)
        if applied and ema is not None:
            # the average of the weights as thresholded (native: fused into
            # the rule's pass without L1, a pass after the shrink with it)
            ema_update(ema.arrays, params, ema.decay_at(t))

    # the L2 part only: alpha * (1 - l1_ratio) as the native penalty computes it
    loss = reference_run_epoch(
        loss_and_grad, params, X, y, perm, batch_size, step,
        alpha=net.alpha * (1.0 - net.l1_ratio), l1_ratio=0.0,
        sample_weight=sample_weight,
    )  # fmt: skip
    return loss, steps


__all__ = [
    "FAMILIES",
    "Network",
    "ParamAverage",
    "native_X",
    "native_rule",
    "run_epoch",
    "shrink_l1",
]
