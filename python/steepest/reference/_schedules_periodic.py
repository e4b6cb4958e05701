"""Cosine, cyclic and one-cycle schedules (re-exported by :mod:`steepest.reference.schedules`).

Each ``_at`` copies the operation order of torch's formulas and of the C++ twin
in ``cpp/include/steepest/schedule/schedules.hpp``.
"""

from __future__ import annotations

import math

from .. import _checks as v
from .._schedule_base import Schedule, exact_int, power


def _cosine_anneal(lr: float, eta_min: float, cur: float, period: float) -> float:
    return eta_min + (lr - eta_min) * (1.0 + math.cos(math.pi * cur / period)) / 2.0


class CosineAnnealingLR(Schedule):
    """Cosine annealing without restarts (``torch.optim.lr_scheduler.CosineAnnealingLR``).

    ``lr_t = eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``: ``lr`` at
    ``t = 0``, ``eta_min`` at ``t = T_max``; past ``T_max`` the cosine continues
    (rises again), as in torch.

    Parameters
    ----------
    lr : float
        Initial (maximum) learning rate.
    T_max : int
        Half period in steps, >= 1.
    eta_min : float, default 0.0
        Minimum learning rate, finite and >= 0.

    References
    ----------
    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.

    Examples
    --------
    >>> CosineAnnealingLR(lr=1.0, T_max=2).values(5)
    array([1. , 0.5, 0. , 0.5, 1. ])
    """

    kind = "CosineAnnealingLR"

    def __init__(self, *, lr: float, T_max: int, eta_min: float = 0.0) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            T_max=exact_int(k, "T_max", T_max, 1),
            eta_min=v.check_nonnegative(k, "eta_min", eta_min),
        )

    def _at(self, t: int) -> float:
        return _cosine_anneal(self.lr, self.eta_min, float(t), float(self.T_max))


class CosineAnnealingWarmRestarts(Schedule):
    """Cosine annealing with warm restarts, SGDR (``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``).

    ``lr_t = eta_min + (lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2`` where
    period ``i`` lasts ``T_i = T_0 * T_mult ** i`` steps and ``T_cur`` counts the
    steps since the last restart: a restart (``lr_t = lr``) happens at
    ``t = T_0``, ``T_0 + T_0 T_mult``, ...

    Parameters
    ----------
    lr : float
        Learning rate at each restart.
    T_0 : int
        Length of the first period, >= 1.
    T_mult : int, default 1
        Growth factor of the period, >= 1.
    eta_min : float, default 0.0
        Minimum learning rate, finite and >= 0.

    Examples
    --------
    >>> CosineAnnealingWarmRestarts(lr=1.0, T_0=2, T_mult=2).values(7).round(3)
    array([1.   , 0.5  , 1.   , 0.854, 0.5  , 0.146, 1.   ])
    """

    kind = "CosineAnnealingWarmRestarts"

    def __init__(
        self,
        *,
        lr: float,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
    ) -> None:
        k = self.kind
        self._init(
            lr=v.check_nonnegative(k, "lr", lr),
            T_0=exact_int(k, "T_0", T_0, 1),
            T_mult=exact_int(k, "T_mult", T_mult, 1),
            eta_min=v.check_nonnegative(k, "eta_min", eta_min),
        )

    def period(self, t: int) -> tuple[int, float]:
        """``(T_cur, T_i)`` at step index ``t`` (T_i as the float the formula uses)."""
        cur, period, mult = t, self.T_0, self.T_mult
        while True:
            if cur < period:
                return cur, float(period)
            cur -= period
            if mult == 1:
                return cur % period, float(period)
            if period > cur // mult:  # the next period is the last one
                return cur, float(period) * float(mult)
            period *= mult

    def _at(self, t: int) -> float:
        cur, period = self.period(t)
        return _cosine_anneal(self.lr, self.eta_min, float(cur), period)


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


class CyclicLR(Schedule):
    """Cyclical learning rate, CLR (``torch.optim.lr_scheduler.CyclicLR``).

    A triangle wave between ``base_lr`` and ``max_lr``: up for ``step_size_up``
    steps, down for ``step_size_down``. With ``L = up + down``,
    ``cycle = floor(1 + t / L)``, ``x = 1 + t / L - cycle`` and ``r = up / L``,
    ``h = x / r`` if ``x <= r`` else ``(x - 1) / (r - 1)``, and
    ``lr_t = base_lr + (max_lr - base_lr) * h * s`` where ``s`` is ``1``
    (triangular), ``1 / 2 ** (cycle - 1)`` (triangular2) or ``gamma ** t``
    (exp_range). The peak is at ``t = up`` (then every ``L`` steps).
    Momentum cycling and custom ``scale_fn`` are not offered (not evaluable natively).

    Parameters
    ----------
    base_lr : float
        Lower bound, finite and >= 0.
    max_lr : float
        Upper bound, >= ``base_lr``.
    step_size_up : int, default 2000
        Steps in the rising half, >= 1.
    step_size_down : int, optional
        Steps in the falling half, >= 1; defaults to ``step_size_up``.
    mode : {"triangular", "triangular2", "exp_range"}
        Amplitude policy.
    gamma : float, default 1.0
        Per-step factor of ``exp_range``, finite and > 0.

    References
    ----------
    Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017.

    Examples
    --------
    >>> CyclicLR(base_lr=0.0, max_lr=1.0, step_size_up=2, mode="triangular2").values(9)
    array([0.  , 0.5 , 1.  , 0.5 , 0.  , 0.25, 0.5 , 0.25, 0.  ])
    """

    kind = "CyclicLR"

    def __init__(
        self,
        *,
        base_lr: float,
        max_lr: float,
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
    ) -> None:
        k = self.kind
        base = v.check_nonnegative(k, "base_lr", base_lr)
        top = v.check_nonnegative(k, "max_lr", max_lr)
        if top < base:
            msg = (
                f"{k}: max_lr must be >= base_lr, got max_lr={top!r} < base_lr={base!r}"
            )
            raise ValueError(msg)
        up = exact_int(k, "step_size_up", step_size_up, 1)
        down = up if step_size_down is None else step_size_down
        self._init(
            base_lr=base,
            max_lr=top,
            step_size_up=up,
            step_size_down=exact_int(k, "step_size_down", down, 1),
            mode=v.choice(k, "mode", mode, _CYCLIC_MODES),
            gamma=v.check_positive(k, "gamma", gamma),
        )

    def _at(self, t: int) -> float:
        total = float(self.step_size_up) + float(self.step_size_down)
        ratio = float(self.step_size_up) / total
        cycle = math.floor(1.0 + t / total)
        x = 1.0 + t / total - cycle
        scale = x / ratio if x <= ratio else (x - 1.0) / (ratio - 1.0)
        height = (self.max_lr - self.base_lr) * scale
        if self.mode == "triangular":
            return float(self.base_lr + height * 1.0)
        if self.mode == "triangular2":
            return float(self.base_lr + height * (1.0 / power(2.0, cycle - 1.0)))
        return float(self.base_lr + height * power(self.gamma, float(t)))


class OneCycleLR(Schedule):
    """The 1cycle policy (``torch.optim.lr_scheduler.OneCycleLR``, learning rate only).

    With ``initial = max_lr / div_factor``, ``min_lr = initial / final_div_factor``
    and ``T = total_steps``: phase 1 anneals ``initial -> max_lr`` over steps
    ``0 .. pct_start*T - 1``, phase 2 ``max_lr -> min_lr`` up to ``T - 1``
    (``three_phase``: ``max_lr -> initial`` up to ``2 pct_start T - 2``, then
    ``initial -> min_lr`` up to ``T - 1``). In a phase from step ``a`` to ``b``,
    ``p = (t - a) / (b - a)`` and the value is ``end + (start - end) / 2 *
    (cos(pi p) + 1)`` ("cos") or ``(end - start) * p + start`` ("linear"). torch
    raises after ``T + 1`` steps; here ``t >= T`` holds the value at ``T - 1``.
    The peak ``max_lr`` is reached only when ``pct_start * T - 1`` is an integer.

    Parameters
    ----------
    max_lr : float
        Peak learning rate, finite and >= 0.
    total_steps : int, optional
        Length of the cycle, >= 1; else ``epochs * steps_per_epoch``.
    epochs, steps_per_epoch : int, optional
        Used when ``total_steps`` is None.
    pct_start : float, default 0.3
        Fraction of the cycle spent rising, in (0, 1], with
        ``pct_start * total_steps > 1``.
    anneal_strategy : {"cos", "linear"}
        Shape of each phase.
    div_factor : float, default 25.0
        ``initial = max_lr / div_factor``, > 0.
    final_div_factor : float, default 1e4
        ``min_lr = initial / final_div_factor``, > 0.
    three_phase : bool, default False
        Use the paper's three phases instead of fastai's two.

    References
    ----------
    Smith & Topin, "Super-Convergence", 2019.

    Examples
    --------
    >>> s = OneCycleLR(max_lr=1.0, total_steps=10, pct_start=0.6, anneal_strategy="linear",
    ...                div_factor=2.0, final_div_factor=5.0)
    >>> s.values(10).round(3).tolist()
    [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.775, 0.55, 0.325, 0.1]
    """

    kind = "OneCycleLR"

    def __init__(
        self,
        *,
        max_lr: float,
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
    ) -> None:
        k = self.kind
        top = v.check_nonnegative(k, "max_lr", max_lr)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                msg = f"{k}: give total_steps, or both epochs and steps_per_epoch"
                raise ValueError(msg)
            epochs = exact_int(k, "epochs", epochs, 1)
            total_steps = epochs * exact_int(k, "steps_per_epoch", steps_per_epoch, 1)
        total = exact_int(k, "total_steps", total_steps, 1)
        pct = v.check_between(
            k, "pct_start", pct_start, 0, 1, lo_open=True, hi_open=False
        )
        if not pct * total - 1.0 > 0:
            msg = (
                f"{k}: pct_start * total_steps must be > 1 (a warm-up phase of positive "
                f"length), got {pct!r} * {total}"
            )
            raise ValueError(msg)
        self._init(
            max_lr=top,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=v.choice(
                k, "anneal_strategy", anneal_strategy, ("cos", "linear")
            ),
            div_factor=v.check_positive(k, "div_factor", div_factor),
            final_div_factor=v.check_positive(k, "final_div_factor", final_div_factor),
            three_phase=v.flag(k, "three_phase", three_phase),
        )
        initial = top / self.div_factor
        min_lr = initial / self.final_div_factor
        last = float(total - 1)
        phases = [(pct * total - 1.0, initial, top)]
        if self.three_phase:
            phases += [(2.0 * pct * total - 2.0, top, initial), (last, initial, min_lr)]
        else:
            phases += [(last, top, min_lr)]
        object.__setattr__(self, "_phases", tuple(phases))

    def _at(self, t: int) -> float:
        step = float(min(t, self.total_steps - 1))
        start_step = 0.0
        for i, (end_step, start_lr, end_lr) in enumerate(self._phases):
            if step <= end_step or i == len(self._phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                if self.anneal_strategy == "cos":
                    cos_out = math.cos(math.pi * pct) + 1.0
                    return float(end_lr + (start_lr - end_lr) / 2.0 * cos_out)
                return float((end_lr - start_lr) * pct + start_lr)
            start_step = end_step
        raise AssertionError  # pragma: no cover - the last phase always matches
