"""Reference optimizer steps in plain NumPy: the specification.

Each step here is the one source of its native twin's signature and
docstring: :mod:`steepest.functional` builds its steps from these (the
common parameters, return value and errors are described there). The
hyperparameter checks are the rule's spec row (:mod:`steepest._rules`).
Scalars that depend only on the step are computed once in double precision
and cast to the array dtype (``T = p.dtype.type``), then the element-wise
operations run in the dtype, in the order the C++ kernel
(``cpp/include/steepest/rules/``) performs them, which makes native and
reference results bit-identical. The examples call the step of the module
they are read in, so the doctests run each backend.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _checks as v
from .._rules import BY_NAME
from ..typing import ArrayOrList, FloatArray

# Like the native kernels, the steps compute NaN/inf silently: non-finite
# gradients are the `nonfinite` option's business, divergence the loops'.
_quiet = np.errstate(all="ignore")


def _grads_finite(fn: str, grads: list[FloatArray], grad: Any, mode: str) -> bool:
    """False to skip the step; raises for mode "raise"; True when all finite."""
    if mode == "ignore":
        return True
    names = v.labels(fn, "grad", grad)
    for label, g in zip(names, grads, strict=True):
        if not np.isfinite(g).all():
            if mode == "skip":
                return False
            msg = f"{fn}: {label} contains NaN or inf; nothing was updated (nonfinite='raise')"
            raise ValueError(msg)
    return True


@_quiet
def sgd_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    momentum_buffer: ArrayOrList | None = None,
    *,
    step: int,
    lr: float,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Stochastic gradient descent, optionally with momentum (torch.optim.SGD).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    momentum_buffer : ndarray or list of ndarray, optional
        Required when ``momentum != 0``; ignored at ``step == 1``, where it is
        set to the gradient.
    step, maximize, nonfinite
        See :mod:`steepest.functional`.
    lr : float
        Learning rate, >= 0.
    momentum : float
        Momentum factor ``mu`` >= 0.
    dampening : float
        In [0, 1]; scales the gradient's share of the buffer after step 1.
    nesterov : bool
        Nesterov momentum; requires ``momentum > 0`` and ``dampening == 0``.
    weight_decay : float
        L2 penalty ``wd`` >= 0 added to the gradient.

    Notes
    -----
    ::

        g <- g + wd * p
        b <- g  (step 1),  b <- mu * b + (1 - dampening) * g  (later)
        g <- g + mu * b  (Nesterov)  or  g <- b
        p <- p - lr * g

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([1.0, 2.0]); g = np.array([0.5, -0.5])
    >>> sgd_step(p, g, step=1, lr=0.1)
    True
    >>> p
    array([0.95, 2.05])
    """
    fn = "sgd_step"
    step = v.check_step(fn, step)
    h = BY_NAME["sgd"].check_step(fn, locals())
    lr, momentum, dampening = h["lr"], h["momentum"], h["dampening"]
    nesterov, weight_decay, maximize = h["nesterov"], h["weight_decay"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    use_buf = momentum != 0
    if use_buf and momentum_buffer is None:
        msg = f"{fn}: momentum_buffer is required when momentum != 0"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [("param", param, True), ("grad", grad, False)]
    if use_buf:
        lists.append(("momentum_buffer", momentum_buffer, True))
    arrays = v.check_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    for i, (p, g0) in enumerate(zip(arrays[0], arrays[1], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        if use_buf:
            buf = arrays[2][i]
            if step == 1:
                b = g.copy()
            else:
                b = T(momentum) * buf + T(1.0 - dampening) * g
            buf[...] = b
            g = g + T(momentum) * b if nesterov else b
        p[...] = p - T(lr) * g
    return True


@_quiet
def adagrad_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    state_sum: ArrayOrList,
    *,
    step: int,
    lr: float = 1e-2,
    lr_decay: float = 0.0,
    weight_decay: float = 0.0,
    eps: float = 1e-10,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adagrad (torch.optim.Adagrad).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    state_sum : ndarray or list of ndarray
        Running sum of squared gradients; torch starts it at
        ``initial_accumulator_value`` (the class does the same).
    step, maximize, nonfinite
        See :mod:`steepest.functional`.
    lr, lr_decay, weight_decay : float
        Learning rate, its 1/t decay and the L2 penalty, all >= 0.
    eps : float
        > 0, added to the square root (outside it, as torch does).

    Notes
    -----
    ::

        g <- g + wd * p
        clr = lr / (1 + (step - 1) * lr_decay)
        s <- s + g * g
        p <- p - clr * g / (sqrt(s) + eps)

    References
    ----------
    Duchi, Hazan and Singer, "Adaptive subgradient methods for online learning
    and stochastic optimization", JMLR 12, 2011.
    """
    fn = "adagrad_step"
    step = v.check_step(fn, step)
    h = BY_NAME["adagrad"].check_step(fn, locals())
    lr, lr_decay, weight_decay = h["lr"], h["lr_decay"], h["weight_decay"]
    eps, maximize = h["eps"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    arrays = v.check_lists(
        fn,
        [("param", param, True), ("grad", grad, False), ("state_sum", state_sum, True)],
    )
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    clr = lr / (1.0 + (step - 1) * lr_decay)
    for p, g0, acc in zip(*arrays, strict=True):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        s = acc + g * g
        acc[...] = s
        p[...] = p - (T(clr) * g) / (np.sqrt(s) + T(eps))
    return True


@_quiet
def rmsprop_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    square_avg: ArrayOrList,
    momentum_buffer: ArrayOrList | None = None,
    grad_avg: ArrayOrList | None = None,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    square_avg : ndarray or list of ndarray
        Running average of squared gradients ``v`` (starts at zero).
    momentum_buffer : ndarray or list of ndarray, optional
        Required when ``momentum != 0`` (starts at zero).
    grad_avg : ndarray or list of ndarray, optional
        Running average of gradients, required when ``centered``.
    lr, weight_decay, momentum : float
        All >= 0.
    alpha : float
        Smoothing constant in [0, 1].
    eps : float
        > 0, added outside the square root.
    centered : bool
        Normalise by the estimated variance instead of the second moment.
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        v <- alpha * v + (1 - alpha) * g * g
        centered:  ga <- alpha * ga + (1 - alpha) * g;  d = sqrt(v - ga * ga) + eps
        otherwise: d = sqrt(v) + eps
        momentum:  b <- mu * b + g / d;  p <- p - lr * b
        otherwise: p <- p - lr * g / d

    References
    ----------
    Tieleman and Hinton, COURSERA Neural Networks lecture 6.5, 2012;
    Graves, "Generating sequences with recurrent neural networks", 2013.
    """
    fn = "rmsprop_step"
    h = BY_NAME["rmsprop"].check_step(fn, locals())
    lr, alpha, eps, weight_decay = h["lr"], h["alpha"], h["eps"], h["weight_decay"]
    momentum, centered, maximize = h["momentum"], h["centered"], h["maximize"]
    mode = v.check_nonfinite(fn, nonfinite)
    use_buf = momentum != 0
    if use_buf and momentum_buffer is None:
        msg = f"{fn}: momentum_buffer is required when momentum != 0"
        raise ValueError(msg)
    if centered and grad_avg is None:
        msg = f"{fn}: grad_avg is required when centered=True"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [
        ("param", param, True),
        ("grad", grad, False),
        ("square_avg", square_avg, True),
    ]
    if use_buf:
        lists.append(("momentum_buffer", momentum_buffer, True))
    if centered:
        lists.append(("grad_avg", grad_avg, True))
    arrays = v.check_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], grad, mode):
        return False
    for i, (p, g0, sq) in enumerate(zip(arrays[0], arrays[1], arrays[2], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        if weight_decay != 0:
            g = g + T(weight_decay) * p
        vi = T(alpha) * sq + T(1.0 - alpha) * (g * g)
        sq[...] = vi
        if centered:
            ga = arrays[-1][i]
            a = T(alpha) * ga + T(1.0 - alpha) * g
            ga[...] = a
            d = np.sqrt(vi - a * a) + T(eps)
        else:
            d = np.sqrt(vi) + T(eps)
        if use_buf:
            buf = arrays[3][i]
            b = T(momentum) * buf + g / d
            buf[...] = b
            p[...] = p - T(lr) * b
        else:
            p[...] = p - (T(lr) * g) / d
    return True


@_quiet
def _adam_like(fn: str, decoupled: bool, args: dict[str, Any]) -> bool:
    """:func:`adam_step` or :func:`adamw_step`, given the arguments by name."""
    step = v.check_step(fn, args["step"])
    h = BY_NAME["adamw" if decoupled else "adam"].check_step(fn, args)
    lr, beta1, beta2, eps = h["lr"], h["beta1"], h["beta2"], h["eps"]
    weight_decay, amsgrad, maximize = h["weight_decay"], h["amsgrad"], h["maximize"]
    mode = v.check_nonfinite(fn, args["nonfinite"])
    if amsgrad and args["v_max"] is None:
        msg = f"{fn}: v_max is required when amsgrad=True"
        raise ValueError(msg)
    lists: list[tuple[str, Any, bool]] = [
        ("param", args["param"], True),
        ("grad", args["grad"], False),
        ("m", args["m"], True),
        ("v", args["v"], True),
    ]
    if amsgrad:
        lists.append(("v_max", args["v_max"], True))
    arrays = v.check_lists(fn, lists)
    if not _grads_finite(fn, arrays[1], args["grad"], mode):
        return False
    step_size = lr / (1.0 - beta1**step)
    inv_bc2_sqrt = 1.0 / math.sqrt(1.0 - beta2**step)
    decay = 1.0 - lr * weight_decay
    l2 = not decoupled and weight_decay != 0
    for i, (p, g0, mi, vi) in enumerate(zip(*arrays[:4], strict=True)):
        T = p.dtype.type
        g = g0 * T(-1.0 if maximize else 1.0)
        pi = p
        if l2:
            g = g + T(weight_decay) * p
        if decoupled:
            pi = p * T(decay)
        mi[...] = T(beta1) * mi + T(1.0 - beta1) * g
        vi[...] = T(beta2) * vi + T(1.0 - beta2) * (g * g)
        denom_v = vi
        if amsgrad:
            vmax = arrays[4][i]
            np.maximum(vmax, vi, out=vmax)
            denom_v = vmax
        p[...] = pi - (T(step_size) * mi) / (
            np.sqrt(denom_v) * T(inv_bc2_sqrt) + T(eps)
        )
    return True


def adam_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    v_max: ArrayOrList | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """Adam with bias correction, optionally AMSGrad (torch.optim.Adam).

    Parameters
    ----------
    param, grad : ndarray or list of ndarray
        Parameters (updated in place) and their gradients.
    m, v : ndarray or list of ndarray
        First and second moment estimates (start at zero).
    v_max : ndarray or list of ndarray, optional
        Running maximum of ``v``, required when ``amsgrad``.
    step : int
        Step number t >= 1, used in the bias corrections.
    lr : float
        Learning rate >= 0.
    beta1, beta2 : float
        Decay rates in [0, 1) (torch's ``betas``).
    eps : float
        > 0, added to ``sqrt(v_hat)`` (outside the root, torch's placement;
        optax's ``eps_root`` would go inside).
    weight_decay : float
        L2 penalty added to the gradient (coupled; see :func:`adamw_step`).
    amsgrad : bool
        Use the running maximum of ``v`` (Reddi et al.).
    maximize, nonfinite
        See :mod:`steepest.functional`.

    Notes
    -----
    ::

        g <- g + wd * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g * g
        v_max <- max(v_max, v)   and v_max replaces v below  (AMSGrad)
        p <- p - (lr / (1 - beta1^t)) * m / (sqrt(v) * (1 / sqrt(1 - beta2^t)) + eps)

    torch's formula; the reciprocal of ``sqrt(1 - beta2^t)`` is taken once per
    step (torch divides by it per element), which moves one rounding and
    leaves one division and one square root per element.

    References
    ----------
    Kingma and Ba, "Adam: A method for stochastic optimization", ICLR 2015;
    Reddi, Kale and Kumar, "On the convergence of Adam and beyond", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, v = np.zeros_like(p), np.zeros_like(p)
    >>> adam_step(p, g, m, v, step=1, lr=0.1)
    True
    >>> p  # the first step moves each coordinate by about lr
    array([-0.1, -0.1, -0.1], dtype=float32)
    """
    return _adam_like("adam_step", False, locals())


def adamw_step(
    param: ArrayOrList,
    grad: ArrayOrList,
    m: ArrayOrList,
    v: ArrayOrList,
    v_max: ArrayOrList | None = None,
    *,
    step: int,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
    maximize: bool = False,
    nonfinite: str = "raise",
) -> bool:
    """AdamW: Adam with decoupled weight decay (torch.optim.AdamW).

    Same parameters as :func:`adam_step`, but ``weight_decay`` (default 1e-2)
    shrinks the parameters directly, ``p <- p * (1 - lr * wd)``, before the
    Adam update, instead of entering the gradient.

    References
    ----------
    Loshchilov and Hutter, "Decoupled weight decay regularization", ICLR 2019.
    """
    return _adam_like("adamw_step", True, locals())


@_quiet
def clip_grad_norm(
    grads: ArrayOrList,
    max_norm: float,
    *,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale gradients in place so that their global norm is at most ``max_norm``.

    Follows ``torch.nn.utils.clip_grad_norm_``: the total norm is the
    ``norm_type``-norm of all gradients together; if ``max_norm / (total +
    1e-6)`` is below 1, every gradient is multiplied by it.

    Parameters
    ----------
    grads : ndarray or list of ndarray
        Gradients, modified in place (must be writeable, C-contiguous).
    max_norm : float
        Largest allowed norm, >= 0.
    norm_type : float
        p of the p-norm, > 0; ``math.inf`` for the largest absolute value.
    error_if_nonfinite : bool
        Raise ``ValueError`` (and scale nothing) when the total norm is NaN or inf.

    Returns
    -------
    float
        The total norm before clipping.

    Notes
    -----
    The norm is accumulated in float64 (torch uses the gradients' dtype); the
    native function sums fixed blocks in order, so its norm does not depend on
    the thread count, and agrees with the reference's to a relative 1e-12.
    """
    fn = "clip_grad_norm"
    max_norm = v.real(fn, "max_norm", max_norm)
    norm_type = v.real(fn, "norm_type", norm_type)
    error_if_nonfinite = v.flag(fn, "error_if_nonfinite", error_if_nonfinite)
    # torch accepts max_norm=inf (no clipping); NaN and negatives are errors.
    if not max_norm >= 0:
        msg = f"{fn}: max_norm must be a number >= 0 (inf allowed), got {max_norm!r}"
        raise ValueError(msg)
    q = float(norm_type)
    if not q > 0:
        msg = f"{fn}: norm_type must be > 0 (inf allowed), got {q!r}"
        raise ValueError(msg)
    (arrays,) = v.check_lists(fn, [("grads", grads, True)])
    wide = [g.astype(np.float64).ravel() for g in arrays]
    if math.isinf(q):
        total = max((float(np.max(np.abs(g))) for g in wide if g.size), default=0.0)
        if any(np.isnan(g).any() for g in wide):
            total = math.nan
    elif q == 2.0:
        total = math.sqrt(sum(float(np.dot(g, g)) for g in wide))
    else:
        total = sum(float(np.sum(np.abs(g) ** q)) for g in wide) ** (1.0 / q)
    if error_if_nonfinite and not math.isfinite(total):
        msg = (
            f"{fn}: the total norm of grads is {total!r}; "
            "nothing was scaled (error_if_nonfinite=True)"
        )
        raise ValueError(msg)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        for g in arrays:
            g *= g.dtype.type(coef)
    return total


__all__ = [
    "adagrad_step",
    "adam_step",
    "adamw_step",
    "clip_grad_norm",
    "rmsprop_step",
    "sgd_step",
]
