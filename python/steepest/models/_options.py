"""Hyperparameter checks shared by the estimators, and optimizer construction.

Every check runs at the start of ``fit``, before any data is touched (the
estimators' ``__init__`` only stores its arguments, as scikit-learn requires).
Messages follow the house shape ``"<Estimator>: <argument> must be ..., got
..."``.
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _checks as v
from .._plateau import ReduceLROnPlateau
from .._schedule_base import Schedule
from ..optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from ..typing import FloatArray

#: optimizer names: the class and the hyperparameters the name implies
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {}),
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (Adagrad, {}),
    "rmsprop": (RMSprop, {}),
    "adam": (Adam, {}),
    "adamw": (AdamW, {}),
}
BACKENDS = ("native", "reference")


def choice(fn: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        msg = f"{fn}: {name} must be one of {options}; got {value!r}"
        raise ValueError(msg)
    return value


def integer(fn: str, name: str, value: Any, minimum: int) -> int:
    """An int (Python or NumPy, not bool) >= minimum; ValueError otherwise."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    if not ok or int(value) < minimum:
        msg = f"{fn}: {name} must be an int >= {minimum}, got {value!r}"
        raise ValueError(msg)
    return int(value)


def real_in(
    fn: str,
    name: str,
    value: Any,
    lo: float,
    hi: float,
    *,
    open_lo: bool,
    open_hi: bool,
) -> float:
    """A finite real number in the interval; ValueError (not TypeError) otherwise.

    scikit-learn's own estimators raise ValueError for every bad
    hyperparameter, so a wrong type is reported the same way here.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    x = float(value) if ok else math.nan
    above = x > lo if open_lo else x >= lo
    below = x < hi if open_hi else x <= hi
    if not (math.isfinite(x) and above and below):
        interval = f"{'(' if open_lo else '['}{lo}, {hi}{')' if open_hi else ']'}"
        msg = f"{fn}: {name} must be a finite number in {interval}, got {value!r}"
        raise ValueError(msg)
    return x


def learning_rate(fn: str, name: str, value: Any) -> float | Schedule:
    """A finite float > 0 or a schedule (from either schedules module)."""
    if isinstance(value, Schedule):
        return value
    if isinstance(value, ReduceLROnPlateau):
        msg = (
            f"{fn}: {name} cannot be a ReduceLROnPlateau (it follows a metric, not "
            "the step); pass it as reduce_on_plateau="
        )
        raise TypeError(msg)
    return real_in(fn, name, value, 0.0, math.inf, open_lo=True, open_hi=True)


def plateau(fn: str, value: Any) -> ReduceLROnPlateau | None:
    """A private deep copy of the user's plateau object (never mutated), or None."""
    if value is None:
        return None
    if not isinstance(value, ReduceLROnPlateau):
        msg = (
            f"{fn}: reduce_on_plateau must be None or a ReduceLROnPlateau, "
            f"got {type(value).__name__}"
        )
        raise TypeError(msg)
    if value.mode != "min":
        # the estimator feeds a quantity to minimise (a loss or 1 - score)
        msg = f"{fn}: reduce_on_plateau must have mode='min', got {value.mode!r}"
        raise ValueError(msg)
    return copy.deepcopy(value)


def dtype(fn: str, value: Any) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(value)
    except TypeError:
        dt = np.dtype(np.object_)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        msg = f"{fn}: dtype must be numpy.float32 or numpy.float64, got {value!r}"
        raise ValueError(msg)
    return dt


def optimizer_factory(fn: str, spec: Any, extra: Any) -> functools.partial[Optimizer]:
    """``spec`` (a name, an Optimizer subclass or a partial of one) with ``extra`` bound.

    Hyperparameters given in ``optimizer_params`` override those a name
    implies (``optimizer="momentum", optimizer_params={"momentum": 0.5}``).
    """
    if extra is None:
        extra = {}
    if not isinstance(extra, dict) or not all(isinstance(k, str) for k in extra):
        msg = f"{fn}: optimizer_params must be None or a dict of str, got {extra!r}"
        raise ValueError(msg)
    for reserved in ("lr", "params", "backend", "nonfinite"):
        if reserved in extra:
            msg = (
                f"{fn}: optimizer_params must not set {reserved!r} (the estimator does)"
            )
            raise ValueError(msg)
    if isinstance(spec, str) and spec in OPTIMIZERS:
        cls, implied = OPTIMIZERS[spec]
        return functools.partial(cls, **{**implied, **extra})
    target = spec.func if isinstance(spec, functools.partial) else spec
    if isinstance(target, type) and issubclass(target, Optimizer):
        return functools.partial(spec, **extra)
    names = ", ".join(repr(n) for n in OPTIMIZERS)
    msg = (
        f"{fn}: optimizer must be one of {names}, a steepest Optimizer class "
        f"(e.g. steepest.Adam) or a functools.partial of one; got {spec!r}"
    )
    raise ValueError(msg)


def build_optimizer(
    fn: str,
    factory: functools.partial[Optimizer],
    params: list[FloatArray],
    lr: float | Schedule,
    backend: str,
) -> Optimizer:
    """``factory(params, lr=lr, nonfinite="ignore", backend=backend)``.

    ``nonfinite="ignore"``: the loop checks the loss and the params once per
    epoch and restores the last finite epoch itself, so a per-step scan of
    the gradients would only cost time.
    """
    try:
        return factory(params, lr=lr, nonfinite="ignore", backend=backend)
    except TypeError as err:
        msg = f"{fn}: the optimizer rejected its arguments (check optimizer_params): {err}"
        raise ValueError(msg) from err


@dataclass(frozen=True)
class FitOptions:
    """The hyperparameters every estimator shares, checked."""

    factory: functools.partial[Optimizer]
    learning_rate: float | Schedule
    batch_size: int | None
    shuffle: bool
    alpha: float
    max_iter: int
    tol: float | None
    n_iter_no_change: int
    early_stopping: bool
    validation_fraction: float
    plateau: ReduceLROnPlateau | None
    swa_start: int | None
    swa_lr: float | Schedule | None
    backend: str
    dtype: np.dtype[Any]
    n_threads: int
    warm_start: bool
    verbose: bool
    progress: bool | None


def read_options(est: Any) -> FitOptions:
    """Check the shared hyperparameters of estimator ``est`` (read from its attributes)."""
    fn = type(est).__name__
    batch = est.batch_size
    swa_start = (
        None if est.swa_start is None else integer(fn, "swa_start", est.swa_start, 0)
    )
    if swa_start is not None and est.early_stopping:
        msg = (
            f"{fn}: early_stopping=True and swa_start are exclusive (early stopping "
            "keeps the best epoch's weights, SWA averages many epochs)"
        )
        raise ValueError(msg)
    return FitOptions(
        factory=optimizer_factory(fn, est.optimizer, est.optimizer_params),
        learning_rate=learning_rate(fn, "learning_rate", est.learning_rate),
        batch_size=None if batch is None else integer(fn, "batch_size", batch, 1),
        shuffle=v.flag(fn, "shuffle", est.shuffle),
        alpha=real_in(
            fn, "alpha", est.alpha, 0.0, math.inf, open_lo=False, open_hi=True
        ),
        max_iter=integer(fn, "max_iter", est.max_iter, 1),
        tol=None
        if est.tol is None
        else real_in(fn, "tol", est.tol, 0.0, math.inf, open_lo=False, open_hi=True),
        n_iter_no_change=integer(fn, "n_iter_no_change", est.n_iter_no_change, 1),
        early_stopping=v.flag(fn, "early_stopping", est.early_stopping),
        validation_fraction=real_in(
            fn,
            "validation_fraction",
            est.validation_fraction,
            0.0,
            1.0,
            open_lo=True,
            open_hi=True,
        ),
        plateau=plateau(fn, est.reduce_on_plateau),
        swa_start=swa_start,
        swa_lr=None if est.swa_lr is None else learning_rate(fn, "swa_lr", est.swa_lr),
        backend=choice(fn, "backend", est.backend, BACKENDS),
        dtype=dtype(fn, est.dtype),
        n_threads=0
        if est.n_threads is None
        else integer(fn, "n_threads", est.n_threads, 1),
        warm_start=v.flag(fn, "warm_start", est.warm_start),
        verbose=v.flag(fn, "verbose", est.verbose),
        progress=None if est.progress is None else v.flag(fn, "progress", est.progress),
    )


def make_rng(random_state: Any) -> np.random.Generator:
    """The fit's one generator: None, an int seed, a Generator (used as is, so
    advanced) or a legacy RandomState (seeds a new Generator from one draw)."""
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError) as err:
        msg = (
            "random_state must be None, an int >= 0 or a numpy.random.Generator, "
            f"got {random_state!r}"
        )
        raise ValueError(msg) from err


__all__ = [
    "BACKENDS",
    "OPTIMIZERS",
    "FitOptions",
    "build_optimizer",
    "choice",
    "integer",
    "make_rng",
    "optimizer_factory",
    "read_options",
    "real_in",
]
