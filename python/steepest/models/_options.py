"""Hyperparameter checks shared by the estimators, and optimizer construction.

Every check runs at the start of ``fit``, before any data is touched (the
estimators' ``__init__`` only stores its arguments, as scikit-learn requires).
The checks come from :mod:`steepest._checks` (one message shape, one rule
for exception types: README, "Errors"); what is here is the estimators' own
vocabulary: learning rates that may be schedules, the plateau object, the
optimizer spec and the generator of a fit.
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _backend, _rules, optim
from .. import _checks as v
from .._optimizer import schedule_of
from .._plateau import ReduceLROnPlateau
from .._schedule_base import Schedule
from ..optim import Optimizer
from ..typing import FloatArray

#: optimizer names, each rule's followed by its aliases (from the spec rows):
#: the class and the hyperparameters the name implies
OPTIMIZERS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    name: (getattr(optim, rule.cls), implied)
    for name, (rule, implied) in _rules.OPTIMIZER_NAMES.items()
}
BACKENDS = _backend.BACKENDS


def learning_rate(fn: str, name: str, value: Any) -> float | Schedule:
    """A finite float > 0 or a schedule (from either schedules module)."""
    schedule = schedule_of(fn, name, value, plateau_use="pass it as reduce_on_plateau=")
    return schedule if schedule is not None else v.check_positive(fn, name, value)


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


def warn_if_mini_batch(
    fn: str, opt: Optimizer, batch_size: int | None, n_samples: int, stacklevel: int
) -> None:
    """UserWarning when a rule meant for full batches (Rprop) gets mini-batches.

    ``n_samples`` is what one epoch trains on (a ``partial_fit`` chunk). Warned,
    not refused: a batch holding most of the data may still train.
    ``stacklevel`` counts from this function to the user's call.
    """
    if opt.rule.full_batch and batch_size is not None and batch_size < n_samples:
        msg = (
            f"{fn}: optimizer {opt.rule.cls} is meant for full-batch gradients, but "
            f"batch_size={batch_size} is smaller than the {n_samples} training "
            "samples: it follows only the gradients' signs, which mini-batch noise "
            "flips, shrinking its step sizes; pass batch_size=None for one full "
            "batch per epoch"
        )
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)


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
    ema_decay: float | None
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
        None if est.swa_start is None else v.integer(fn, "swa_start", est.swa_start, 0)
    )
    if swa_start is not None and est.early_stopping:
        msg = (
            f"{fn}: early_stopping=True and swa_start are exclusive (early stopping "
            "keeps the best epoch's weights, SWA averages many epochs)"
        )
        raise ValueError(msg)
    ema_decay = (
        None
        if est.ema_decay is None
        else v.check_between(fn, "ema_decay", est.ema_decay, 0.0, 1.0, hi_open=True)
    )
    if ema_decay is not None and (swa_start is not None or est.early_stopping):
        other = "swa_start" if swa_start is not None else "early_stopping=True"
        msg = (
            f"{fn}: ema_decay and {other} are exclusive (each chooses the weights "
            "the model ends with)"
        )
        raise ValueError(msg)
    return FitOptions(
        factory=optimizer_factory(fn, est.optimizer, est.optimizer_params),
        learning_rate=learning_rate(fn, "learning_rate", est.learning_rate),
        batch_size=None if batch is None else v.integer(fn, "batch_size", batch, 1),
        shuffle=v.flag(fn, "shuffle", est.shuffle),
        alpha=v.check_nonnegative(fn, "alpha", est.alpha),
        max_iter=v.integer(fn, "max_iter", est.max_iter, 1),
        tol=None if est.tol is None else v.check_nonnegative(fn, "tol", est.tol),
        n_iter_no_change=v.integer(fn, "n_iter_no_change", est.n_iter_no_change, 1),
        early_stopping=v.flag(fn, "early_stopping", est.early_stopping),
        validation_fraction=v.check_between(
            fn,
            "validation_fraction",
            est.validation_fraction,
            0,
            1,
            lo_open=True,
            hi_open=True,
        ),
        plateau=plateau(fn, est.reduce_on_plateau),
        swa_start=swa_start,
        swa_lr=None if est.swa_lr is None else learning_rate(fn, "swa_lr", est.swa_lr),
        ema_decay=ema_decay,
        backend=v.choice(fn, "backend", est.backend, BACKENDS),
        dtype=v.dtype(fn, est.dtype),
        n_threads=0
        if est.n_threads is None
        else v.integer(fn, "n_threads", est.n_threads, 1),
        warm_start=v.flag(fn, "warm_start", est.warm_start),
        verbose=v.flag(fn, "verbose", est.verbose),
        progress=None if est.progress is None else v.flag(fn, "progress", est.progress),
    )


def make_rng(random_state: Any, fn: str = "fit") -> np.random.Generator:
    """The fit's one generator, from the estimator's ``random_state``."""
    return v.random_state(fn, random_state)


__all__ = [
    "BACKENDS",
    "OPTIMIZERS",
    "FitOptions",
    "build_optimizer",
    "make_rng",
    "optimizer_factory",
    "read_options",
    "warn_if_mini_batch",
]
