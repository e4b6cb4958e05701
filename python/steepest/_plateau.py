"""Plateau decay: the metric-driven schedule (re-exported by both schedule modules).

A foundation module (it imports nothing native), so the optimizers and the
estimators use it without going through :mod:`steepest.reference`.

Being fed one metric per epoch rather than evaluated per step, it has one
implementation in plain Python that both backends (and the training loops,
at epoch boundaries) share; there is no C++ twin.
"""

from __future__ import annotations

import math
from typing import Any

from . import _checks as v
from ._schedule_base import exact_int


class ReduceLROnPlateau:
    """Decay the learning rate when a metric stops improving (``torch.optim.lr_scheduler.ReduceLROnPlateau``).

    Call :meth:`update` once per epoch with the monitored metric. A metric is
    an improvement when it beats ``best`` by the threshold: in ``"min"`` mode
    ``metric < best * (1 - threshold)`` (``"rel"``) or ``metric < best - threshold``
    (``"abs"``); in ``"max"`` mode ``metric > best * (1 + threshold)`` or
    ``metric > best + threshold``. After more than ``patience`` epochs without
    improvement, ``lr <- max(lr * factor, min_lr)`` (ignored when it would change
    ``lr`` by ``eps`` or less) and the next ``cooldown`` epochs count no bad
    epochs. These are torch's rules, same defaults.

    Decay-then-stop: a plateau detected when the learning rate can no longer
    decay (it sits at ``min_lr``, or the decay is at most ``eps``) sets
    :attr:`stopped`, the signal for a training loop to stop (as scikit-learn's
    ``learning_rate="adaptive"`` does).

    Parameters
    ----------
    lr : float
        Initial learning rate, finite and >= 0.
    mode : {"min", "max"}
        Whether the metric should decrease (a loss) or increase (an accuracy).
    factor : float, default 0.1
        Decay factor, in (0, 1).
    patience : int, default 10
        Bad epochs tolerated before a decay, >= 0.
    threshold : float, default 1e-4
        Minimal significant improvement, finite and >= 0.
    threshold_mode : {"rel", "abs"}
        Relative or absolute threshold.
    cooldown : int, default 0
        Epochs after a decay during which bad epochs are not counted, >= 0.
    min_lr : float, default 0.0
        Floor of the learning rate, finite and >= 0.
    eps : float, default 1e-8
        Decays smaller than this are ignored, finite and >= 0.

    Attributes
    ----------
    lr : float
        The current learning rate.
    best : float
        Best metric seen (``inf``/``-inf`` before the first update).
    num_bad_epochs, cooldown_counter, last_epoch, num_decays : int
        Counters, as in torch (``num_decays`` counts applied decays).
    stopped : bool
        A plateau was reached at the floor: the loop should stop.

    Examples
    --------
    >>> plateau = ReduceLROnPlateau(lr=1.0, factor=0.5, patience=1, min_lr=0.25)
    >>> [plateau.update(m) for m in [3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]]
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25]
    >>> plateau.lr, plateau.stopped
    (0.25, True)
    """

    def __init__(
        self,
        *,
        lr: float,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        eps: float = 1e-8,
    ) -> None:
        k = "ReduceLROnPlateau"
        self.initial_lr = v.check_nonnegative(k, "lr", lr)
        self.mode = v.choice(k, "mode", mode, ("min", "max"))
        self.factor = v.check_between(
            k, "factor", factor, 0, 1, lo_open=True, hi_open=True
        )
        self.patience = exact_int(k, "patience", patience, 0)
        self.threshold = v.check_nonnegative(k, "threshold", threshold)
        self.threshold_mode = v.choice(
            k, "threshold_mode", threshold_mode, ("rel", "abs")
        )
        self.cooldown = exact_int(k, "cooldown", cooldown, 0)
        self.min_lr = v.check_nonnegative(k, "min_lr", min_lr)
        self.eps = v.check_nonnegative(k, "eps", eps)
        self.lr = self.initial_lr
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self.num_decays = 0
        self.stopped = False

    @property
    def scale(self) -> float:
        """``lr / initial lr``: the multiplier on the base learning rate (1.0 if that is 0)."""
        return self.lr / self.initial_lr if self.initial_lr > 0 else 1.0

    @property
    def at_min_lr(self) -> bool:
        """Whether the learning rate has reached its floor ``min_lr``."""
        return self.lr <= self.min_lr

    def is_better(self, metric: float) -> bool:
        """Whether ``metric`` improves on :attr:`best` by the threshold."""
        if self.mode == "min" and self.threshold_mode == "rel":
            return metric < self.best * (1.0 - self.threshold)
        if self.mode == "min":
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (self.threshold + 1.0)
        return metric > self.best + self.threshold

    def update(self, metric: float) -> float:
        """Record one epoch's metric; return :attr:`scale` (the lr is :attr:`lr`).

        Raises
        ------
        ValueError
            If ``metric`` is not finite (the caller should handle divergence).
        """
        fn = "ReduceLROnPlateau.update"
        current = v.real(fn, "metric", metric)
        if not math.isfinite(current):
            msg = f"{fn}: metric must be finite, got {current!r}"
            raise ValueError(msg)
        self.last_epoch += 1
        if self.is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            new_lr = max(self.lr * self.factor, self.min_lr)
            if self.lr - new_lr > self.eps:
                self.lr = new_lr
                self.num_decays += 1
            else:
                self.stopped = True
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        return self.scale

    _STATE = ("lr", "best", "num_bad_epochs", "cooldown_counter", "last_epoch", "num_decays",
              "stopped")  # fmt: skip
    _CONFIG = ("initial_lr", "mode", "factor", "patience", "threshold", "threshold_mode",
               "cooldown", "min_lr", "eps")  # fmt: skip

    def state_dict(self) -> dict[str, Any]:
        """Configuration and counters as a plain dict."""
        return {name: getattr(self, name) for name in self._CONFIG + self._STATE}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (the configuration must match)."""
        fn = "ReduceLROnPlateau.load_state_dict"
        missing = [k for k in self._CONFIG + self._STATE if k not in state]
        if missing:
            msg = f"{fn}: state lacks {missing!r}"
            raise ValueError(msg)
        for name in self._CONFIG:
            if state[name] != getattr(self, name):
                msg = f"{fn}: {name} is {state[name]!r} in the state but {getattr(self, name)!r} here"
                raise ValueError(msg)
        for name in self._STATE:
            setattr(self, name, state[name])

    def __repr__(self) -> str:
        args = ", ".join(
            f"{k}={getattr(self, k)!r}"
            for k in ("mode", "factor", "patience", "min_lr")
        )
        return f"ReduceLROnPlateau(lr={self.lr!r}, {args})"
