"""Optimizer steps as functions over NumPy arrays, updated in place.

This is steepest's contract: the classes in :mod:`steepest.optim` only hold
state and call these. Every function takes single arrays or lists of arrays
(all lists the same length; a list may mix float32 and float64 params, each
state array matching its param), checks everything before writing anything,
releases the GIL and updates all arrays in one native call.
:mod:`steepest.reference.functional` has the same functions in plain NumPy,
and the two agree bit for bit (see ``tests/optim/test_parity.py``).

Common parameters
-----------------
step : int
    1 for the first update (torch's ``state["step"]`` after its increment).
maximize : bool
    Ascend instead of descend: the gradient is negated first.
nonfinite : {"raise", "skip", "ignore"}
    What a NaN or inf in any gradient does. ``"raise"`` (default) raises
    ``ValueError`` before any array is written; ``"skip"`` writes nothing and
    returns False; ``"ignore"`` does not look (fastest, torch's behaviour).
    The check costs one extra read of the gradients.

Returns
-------
bool
    True if the step was applied, False if it was skipped (``nonfinite="skip"``).

Raises
------
TypeError
    An argument is not an ndarray or a list of them, or has an integer or
    other non-float dtype, or a dtype differing from its param's.
ValueError
    Mismatched list lengths or shapes, an empty list, an array that is not
    C-contiguous or not aligned, a written array that is read-only, arrays
    overlapping in memory, a hyperparameter out of range or non-finite,
    a required state array missing, or a non-finite gradient.

Notes
-----
The update rules are those documented for ``torch.optim`` (same defaults,
epsilon placement, bias correction, Nesterov and dampening conventions).
Per-step scalars are computed once in double precision and cast to the array
dtype; element-wise arithmetic then runs in the array dtype without fused
multiply-add. Element-wise steps do not depend on the thread count or the
instruction set.
"""

from __future__ import annotations

from . import _core
from .typing import ArrayOrList


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
        See the module documentation.
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
    >>> from steepest.functional import sgd_step
    >>> p = np.array([1.0, 2.0]); g = np.array([0.5, -0.5])
    >>> sgd_step(p, g, step=1, lr=0.1)
    True
    >>> p
    array([0.95, 2.05])
    """
    return _core.sgd_step(
        param, grad, momentum_buffer, step, lr, momentum, dampening, nesterov,
        weight_decay, maximize, nonfinite,
    )  # fmt: skip


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
        See the module documentation.
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
    return _core.adagrad_step(
        param,
        grad,
        state_sum,
        step,
        lr,
        lr_decay,
        weight_decay,
        eps,
        maximize,
        nonfinite,
    )


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
        See the module documentation.

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
    return _core.rmsprop_step(
        param, grad, square_avg, momentum_buffer, grad_avg, lr, alpha, eps, weight_decay,
        momentum, centered, maximize, nonfinite,
    )  # fmt: skip


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
        See the module documentation.

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
    >>> from steepest.functional import adam_step
    >>> p = np.zeros(3, np.float32); g = np.ones(3, np.float32)
    >>> m, v = np.zeros_like(p), np.zeros_like(p)
    >>> adam_step(p, g, m, v, step=1, lr=0.1)
    True
    >>> p  # the first step moves each coordinate by about lr
    array([-0.1, -0.1, -0.1], dtype=float32)
    """
    return _core.adam_step(
        param, grad, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay, amsgrad,
        maximize, nonfinite,
    )  # fmt: skip


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
    return _core.adamw_step(
        param, grad, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay, amsgrad,
        maximize, nonfinite,
    )  # fmt: skip


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
    The norm is accumulated in float64 (torch uses the gradients' dtype) over
    fixed blocks summed in order, so it does not depend on the thread count;
    it agrees with the reference to a relative 1e-12.
    """
    return _core.clip_grad_norm(grads, max_norm, norm_type, error_if_nonfinite)


__all__ = [
    "adagrad_step",
    "adam_step",
    "adamw_step",
    "clip_grad_norm",
    "rmsprop_step",
    "sgd_step",
]
