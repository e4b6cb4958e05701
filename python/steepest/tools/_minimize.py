"""First-order descent on a Python function with any steepest optimizer."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .. import _rules, optim
from .._schedule_base import Schedule
from . import _result as r
from ._result import MinimizeResult, ScalarFn, Vector

OptimizerFactory: TypeAlias = Callable[..., optim.Optimizer]
Callback: TypeAlias = Callable[[int, Vector, float], Any]

#: optimizer names (the estimators', from the spec rows): class and the keyword
#: arguments it gets unless overridden (torch's default learning rates; SGD has
#: none there, 0.01 here)
OPTIMIZERS: dict[str, tuple[type[optim.Optimizer], dict[str, Any]]] = {
    name: (getattr(optim, rule.cls), {"lr": rule.suggested_lr(), **implied})
    for name, (rule, implied) in _rules.OPTIMIZER_NAMES.items()
}


def _make_optimizer(
    fn: str,
    optimizer: str | OptimizerFactory,
    x: Vector,
    lr: float | Schedule | None,
    backend: str | None,
    options: Mapping[str, Any] | None,
) -> optim.Optimizer:
    kwargs: dict[str, Any] = {}
    if isinstance(optimizer, str):
        if optimizer not in OPTIMIZERS:
            msg = f"{fn}: optimizer must be one of {sorted(OPTIMIZERS)} or a class, got {optimizer!r}"
            raise ValueError(msg)
        factory: OptimizerFactory
        factory, defaults = OPTIMIZERS[optimizer]
        kwargs.update(defaults)
    elif callable(optimizer):
        factory = optimizer
    else:
        msg = (
            f"{fn}: optimizer must be a name, an optimizer class or a partial of one, "
            f"got {type(optimizer).__name__}"
        )
        raise TypeError(msg)
    kwargs.update(options or {})
    if lr is not None:
        kwargs["lr"] = lr
    if backend is not None:
        kwargs["backend"] = backend
    opt = factory([x], **kwargs)
    if not isinstance(opt, optim.Optimizer):
        msg = f"{fn}: optimizer(...) returned {type(opt).__name__}, not a steepest optimizer"
        raise TypeError(msg)
    return opt


def minimize(
    f: ScalarFn,
    grad_f: Callable[[Vector], ArrayLike],
    x0: ArrayLike,
    optimizer: str | OptimizerFactory = "adam",
    *,
    lr: float | Schedule | None = None,
    tol: float = 1e-6,
    ftol: float | None = None,
    max_steps: int = 1000,
    callback: Callback | None = None,
    backend: str | None = None,
    nonfinite: str = "raise",
    options: Mapping[str, Any] | None = None,
) -> MinimizeResult:
    """Minimise ``f`` from ``x0`` with a steepest optimizer, recording the path.

    The optimizer updates one float64 vector in place, exactly as it updates a
    model's weights, so the path is a real run of the native (or reference)
    kernels.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` on the 1-D float64 parameter vector (read-only: copy
        it to keep it).
    grad_f : callable
        ``grad_f(x) -> array`` of ``x``'s size.
    x0 : array_like
        Start; flattened to a 1-D float64 copy (never modified).
    optimizer : str or callable, default "adam"
        A name from "sgd", "momentum" (SGD, momentum 0.9), "nesterov",
        "adagrad", "rmsprop", "adam" and every other rule's name (the
        estimators' ``optimizer=`` names: ``steepest._rules.OPTIMIZER_NAMES``);
        or anything called as ``optimizer([x], **kwargs)`` returning a
        steepest optimizer: a class (``steepest.SGD``) or a
        :func:`functools.partial` of one.
    lr : float or schedule, optional
        Learning rate, or a schedule from :mod:`steepest.schedules` (evaluated
        at the step index). Default: the name's default (0.01 for the SGD
        family, adagrad and rmsprop; torch's default for the others, 0.001
        for lamb); for a class or partial, its own.
    tol : float, default 1e-6
        Stop, converged, when ``||grad f(x)|| <= tol``.
    ftol : float, optional
        Also stop, converged, when ``|f(x_k) - f(x_{k-1})| <= ftol``. A
        stochastic-looking ``f`` or a slow start can trigger it early.
    max_steps : int, default 1000
        Maximum number of optimizer steps (0 evaluates ``x0`` only).
    callback : callable, optional
        ``callback(step, x, fx)`` after every step; returning True stops the
        run (``reason="callback"``).
    backend : {"native", "reference"}, optional
        Passed to the optimizer (default: its default, native).
    nonfinite : {"raise", "stop"}, default "raise"
        When ``f`` or its gradient becomes NaN or infinite: raise
        :class:`steepest.DivergenceError`, or return the last finite iterate
        with ``reason="diverged"`` (what plots of unstable runs want).
    options : dict, optional
        More keyword arguments for the optimizer (``{"momentum": 0.9}``).

    Returns
    -------
    MinimizeResult
        ``x``, ``fun``, ``n_steps``, ``converged``, ``reason``, ``path`` of
        shape ``(n_steps + 1, n)`` and ``f_history``. With an optimizer that
        has ``eval_params`` (Schedule-Free), ``path`` and ``f_history`` follow
        the params y where it takes gradients, while ``x``, ``fun`` and
        ``grad_norm`` are at its evaluation point x (the iterate it converges
        in), unless the run diverged.

    Raises
    ------
    steepest.DivergenceError
        On a non-finite value or gradient with ``nonfinite="raise"`` (a
        :class:`FloatingPointError`).
    TypeError, ValueError
        For bad arguments, or a non-finite ``f(x0)``.

    Examples
    --------
    >>> import functools, steepest
    >>> from steepest.tools import minimize, quadratic_bowl
    >>> bowl = quadratic_bowl((1.0, 10.0))
    >>> res = minimize(bowl.f, bowl.grad_f, [2.0, 1.0],
    ...                functools.partial(steepest.SGD, lr=0.1, momentum=0.5))
    >>> res.converged, res.reason, res.path.shape == (res.n_steps + 1, 2)
    (True, 'gtol', True)
    >>> bool(abs(res.x).max() < 1e-6)
    True
    """
    fn = "minimize"
    r.check_callable(fn, "f", f)
    r.check_callable(fn, "grad_f", grad_f)
    tol = r.check_real(fn, "tol", tol)
    ftol = None if ftol is None else r.check_real(fn, "ftol", ftol)
    max_steps = r.check_positive_int(fn, "max_steps", max_steps, low=0)
    if callback is not None:
        r.check_callable(fn, "callback", callback)
    if nonfinite not in ("raise", "stop"):
        msg = f"{fn}: nonfinite must be 'raise' or 'stop', got {nonfinite!r}"
        raise ValueError(msg)
    x = r.as_vector(fn, "x0", x0)
    view = r.readonly(x)
    fx = r.value(fn, f, view)
    if not math.isfinite(fx):
        msg = f"{fn}: f(x0) is not finite ({fx})"
        raise ValueError(msg)
    g = r.gradient(fn, grad_f, view)
    if not np.isfinite(g).all():
        msg = f"{fn}: grad_f(x0) has non-finite entries"
        raise ValueError(msg)
    opt = _make_optimizer(fn, optimizer, x, lr, backend, options)
    path, fs = [x.copy()], [fx]
    while True:
        gnorm = r.norm(g)
        if gnorm <= tol:
            reason = r.GTOL
            break
        if ftol is not None and len(fs) > 1 and abs(fs[-1] - fs[-2]) <= ftol:
            reason = r.FTOL
            break
        if len(fs) > max_steps:
            reason = r.MAX_STEPS
            break
        with np.errstate(over="ignore", invalid="ignore"):
            # the reference backend's NumPy overflow would warn; the check below reports it
            opt.step([g])
        fx_new = r.value(fn, f, view)
        g_new = r.gradient(fn, grad_f, view) if math.isfinite(fx_new) else g
        if not (math.isfinite(fx_new) and np.isfinite(g_new).all()):
            what = "f" if not math.isfinite(fx_new) else "the gradient"
            x[:] = path[-1]  # the iterate of the last finite value
            if nonfinite == "raise":
                from .._errors import DivergenceError

                raise DivergenceError(r.diverged_message(fn, what, len(fs)))
            reason = r.DIVERGED
            break
        fx, g = fx_new, g_new
        path.append(x.copy())
        fs.append(fx)
        if callback is not None and callback(len(fs) - 1, view, fx) is True:
            gnorm = r.norm(g)
            reason = r.CALLBACK
            break
    eval_params = getattr(opt, "eval_params", None)
    if eval_params is not None and reason != r.DIVERGED:
        # Schedule-Free takes its gradients at y (the params, the path) but
        # the point it converges in is its evaluation point x
        x = np.array(eval_params()[0], dtype=np.float64)
        view = r.readonly(x)
        fx = r.value(fn, f, view)
        gnorm = r.norm(r.gradient(fn, grad_f, view))
    return MinimizeResult(
        x=x, fun=fx, grad_norm=gnorm, n_steps=len(fs) - 1,
        converged=reason in (r.GTOL, r.FTOL), reason=reason, path=np.array(path),
        f_history=np.array(fs),
    )  # fmt: skip
