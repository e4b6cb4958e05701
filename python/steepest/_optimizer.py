"""The state-holding optimizer every class of both backends is.

An optimizer owns its state arrays (laid out by its rule's spec row, see
:mod:`steepest._rules`), counts its steps and calls one functional step of its
backend per ``step(grads)``; the functional layer does the array checks and
the math. A foundation module: the backend's functional module is found by
name through :mod:`steepest._backend`, which the packages fill in, so the
classes of :mod:`steepest.reference.optim` and :mod:`steepest.optim` are this
one logic with different default backends.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

import numpy as np

from . import _backend
from . import _checks as v
from ._plateau import ReduceLROnPlateau
from ._rules import Rule, Slot
from ._schedule_base import Schedule
from .typing import ArrayOrList, FloatArray

#: what to do with a ReduceLROnPlateau instead of giving it as an optimizer's lr
_PLATEAU_USE = "call plateau.update(metric) each epoch and set opt.lr = plateau.lr"


def schedule_of(
    fn: str, name: str, value: Any, *, plateau_use: str = _PLATEAU_USE
) -> Schedule | None:
    """The schedule given as learning rate ``name``, None for a real number.

    TypeError for anything else, a ReduceLROnPlateau with ``plateau_use``
    (how to use one instead) in the message. Used by the optimizers and
    the estimators' ``learning_rate``.
    """
    if isinstance(value, Schedule):
        return value
    if isinstance(value, ReduceLROnPlateau):
        msg = (
            f"{fn}: {name} cannot be a ReduceLROnPlateau (it follows a metric, not "
            f"the step); {plateau_use}"
        )
        raise TypeError(msg)
    if not v.is_real(value):
        msg = (
            f"{fn}: {name} must be a real number or a steepest schedule, got "
            f"{type(value).__name__}"
        )
        raise TypeError(msg)
    return None


def _layout(slot: Slot, param: FloatArray) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype of ``slot``'s state for ``param``: the param's, or a
    0-d float64 array for a per-param scalar (kept in double); float32 for a
    float16 or bfloat16 param."""
    if slot.scalar:
        return (), np.dtype(np.float64)
    if v.is_half(param.dtype):
        return param.shape, np.dtype(np.float32)
    return param.shape, param.dtype


def _full(layout: tuple[tuple[int, ...], np.dtype[Any]], value: float) -> FloatArray:
    shape, dtype = layout
    return np.full(shape, value, dtype)


def class_doc(rule: Rule, summary: str, as_in: str, *, examples: str = "") -> str:
    """The docstring of an optimizer class of a rule, indented as in source.

    The hyperparameters are the row's, ``as_in`` says what they share with
    ``torch.optim`` and ``examples`` is the Examples section (without its
    head); :class:`steepest.SGD` documents the common arguments in full.
    """
    text = (
        f"{summary}; see :func:`steepest.functional.{rule.step}`.\n\n"
        "Parameters\n----------\n"
        "params : list of ndarray\n    Arrays to optimise in place.\n"
        f"{', '.join(rule.hyper_names)}\n"
        f"    As in ``torch.optim.{rule.cls}`` ({as_in}).\n"
        "nonfinite, backend\n    See :class:`steepest.SGD`.\n"
    )
    if examples:
        text += f"\nExamples\n--------\n{examples}\n"
    return textwrap.indent(text, "    ").lstrip() + "    "


class Optimizer:
    """Base class: params, state arrays, step count, state dict round trip.

    Attributes
    ----------
    params : list of ndarray
        The user's arrays, updated in place by :meth:`step`.
    state : dict of str to list of ndarray
        The optimizer's state arrays, one list entry per param.
    step_count : int
        Applied steps (torch's ``state["step"]``).
    skipped_steps : int
        Steps skipped because a gradient was not finite (``nonfinite="skip"``).
    lr_schedule : Schedule or None
        The schedule given as ``lr``, if any (see :mod:`steepest.schedules`).
    hyper : dict
        The class's hyperparameters, checked (flags as bools); ``hyper["lr"]``
        is the learning rate of the latest :meth:`step`.
    rule : Rule
        The update rule's spec row (name, functional step, state slots).
    backend, nonfinite : str
        As given (``backend`` None becomes the class's default).

    Notes
    -----
    ``lr`` may be a float or a schedule (a pure function of the step index).
    With a schedule, each step uses ``lr_schedule(step_count)``, where
    ``step_count`` is the number of steps applied before it: the first step
    uses ``sched(0)`` (the initial lr, torch's convention), the k-th applied
    step ``sched(k - 1)``, and a skipped step does not advance the schedule.
    :attr:`lr` is the value the next step will use; assigning a float to it
    replaces the schedule, assigning a schedule installs it (evaluated at the
    current ``step_count``, not restarted). :meth:`state_dict` stores the
    schedule's description (``"lr_schedule"``), so runs resume exactly.

    A training loop that picks the learning rate of each step itself (the
    estimators' epochs) calls :meth:`apply_step`; one that updates params and
    state elsewhere (the native epoch loop) reports its steps with
    :meth:`advance`.
    """

    _default_backend: ClassVar[str] = "native"
    #: the spec row of the update rule (set by each class)
    _rule: ClassVar[Rule]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ is None:
            # a class that only changes a default (steepest.optim's) reads as
            # the class whose constructor it runs
            owner = next(c for c in cls.__mro__ if "__init__" in vars(c))
            cls.__doc__ = owner.__doc__

    def __init__(
        self,
        params: ArrayOrList,
        hyper: dict[str, Any],
        *,
        backend: str | None,
        nonfinite: str,
    ) -> None:
        name = type(self).__name__
        self.backend = backend if backend is not None else self._default_backend
        # the backend's step function (a plain function: optimizers pickle) or,
        # where the backend has one, the binding under it, which takes every
        # argument in the row's step order (tests/test_rules.py)
        functional = _backend.package(name, self.backend).functional
        step_fn = getattr(functional, self._rule.step)
        self._core: Callable[..., Any] | None = getattr(step_fn, "core", None)
        self._step_fn = step_fn if self._core is None else self._core
        # the binding that fuses steepest.EMA's average into the step, or None
        self._fused_ema: Callable[..., Any] | None = (
            None if self._core is None else getattr(functional, "_step_with_ema", None)
        )
        hyper = dict(hyper)
        self._schedule: Schedule | None = schedule_of(name, "lr", hyper.get("lr"))
        if self._schedule is not None:
            hyper["lr"] = self._schedule(0)
        self.hyper = self._rule.checked(name, hyper)
        self.nonfinite = v.check_nonfinite(name, nonfinite)
        (self.params,) = v.check_lists(name, [("params", params, True)], half=True)
        self.step_count = 0
        self.skipped_steps = 0
        self.state: dict[str, list[FloatArray]] = {
            slot.name: [
                p.astype(_layout(slot, p)[1])  # a copy; float32 for a 16-bit param
                if slot.from_param
                else _full(_layout(slot, p), self._rule.initial_value(slot, self.hyper))
                for p in self.params
            ]
            for slot in self._rule.active(self.hyper)
        }

    def _init_from(self, args: Mapping[str, Any]) -> None:
        """Construct from ``args``, the ``locals()`` of a class's constructor
        whose signature lists the rule's hyperparameters (written out once)."""
        hyper = {name: args[name] for name in self._rule.hyper_names}
        Optimizer.__init__(
            self,
            args["params"],
            hyper,
            backend=args["backend"],
            nonfinite=args["nonfinite"],
        )

    # -- public API ---------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate the next step will use (a float or a schedule may be assigned)."""
        if self._schedule is not None:
            return self._schedule(self.step_count)
        return float(self.hyper["lr"])

    @lr.setter
    def lr(self, value: float | Schedule) -> None:
        name = type(self).__name__
        schedule = schedule_of(name, "lr", value)
        lr = schedule(self.step_count) if schedule is not None else cast(float, value)
        v.check_nonnegative(name, "lr", lr)
        self.hyper["lr"] = float(lr)
        self._schedule = schedule
        self._restart_lr_state(float(lr))

    @property
    def rule(self) -> Rule:
        """The spec row of the update rule (see :mod:`steepest._rules`)."""
        return self._rule

    @property
    def lr_schedule(self) -> Schedule | None:
        """The schedule behind :attr:`lr`, or None when it is a plain number."""
        return self._schedule

    def step(self, grads: ArrayOrList) -> None:
        """Update every param in place from ``grads`` (one array per param)."""
        if self._schedule is not None:
            self.hyper["lr"] = self._schedule(self.step_count)
        # _update written out: a Python call costs ~5 % of a small step
        if self._core is not None:
            applied = self._rule.call_own(self, grads)
        else:
            applied = self._rule.call(self._step_fn, self.params, grads, self.state,
                                      self.hyper, self.hyper["lr"], self.step_count + 1,
                                      self.nonfinite)  # fmt: skip
        if applied:
            self.step_count += 1
        else:
            self.skipped_steps += 1

    def _step_with_ema(
        self, grads: ArrayOrList, ema: list[FloatArray], decay: float
    ) -> bool:
        """:meth:`step`, then ``ema <- decay * ema + (1 - decay) * params``
        if it was applied (:class:`steepest.EMA`); True if it was.

        On a backend with the fused step (native) the average follows each
        block of the params in the step's own pass; otherwise it is a pass
        of its own (``ema_update``), which rounds the same. ``ema`` is
        checked with the step's arguments, before anything is written.
        """
        if self._schedule is not None:
            self.hyper["lr"] = self._schedule(self.step_count)
        # the fused binding is looked up once, at construction, and called
        # without a partial: per-call Python cost is most of a small step
        fused = self._fused_ema
        if fused is not None:
            applied = bool(
                self._rule.call_with_ema(fused, ema, decay, self.params, grads, self.state,
                                         self.hyper, self.hyper["lr"], self.step_count + 1,
                                         self.nonfinite)
            )  # fmt: skip
        else:
            update = _backend.package(
                type(self).__name__, self.backend
            ).functional.ema_update
            # checked first: a bad average must not follow an applied step; a
            # 16-bit param's average is float32 state
            v.check_lists(f"{type(self).__name__}.step",
                          [("params", self.params, True), ("ema", ema, True)],
                          half=True, state_from=1)  # fmt: skip
            v.check_between("EMA", "decay", decay, 0.0, 1.0, hi_open=True)
            applied = bool(
                self._rule.call(self._step_fn, self.params, grads, self.state, self.hyper,
                                self.hyper["lr"], self.step_count + 1, self.nonfinite)
            )  # fmt: skip
            if applied:
                update(ema, self.params, decay)
        if applied:
            self.step_count += 1
        else:
            self.skipped_steps += 1
        return applied

    def apply_step(self, grads: ArrayOrList, *, lr: float) -> bool:
        """One update at learning rate ``lr`` instead of :attr:`lr`.

        For loops that scale the rate of each step themselves. The step is
        counted as :meth:`step` counts it (``step_count`` or, when skipped,
        ``skipped_steps``); the schedule and the plain ``lr`` stay as they
        are. Returns False when a non-finite gradient made it skip
        (``nonfinite="skip"``).
        """
        applied = self._update(grads, lr)
        if self._schedule is not None:
            self.hyper["lr"] = self._schedule(self.step_count)
        return applied

    def _restart_lr_state(self, lr: float) -> None:
        """Before the first step, the state that starts at the learning rate
        (ASGD's ``eta``) restarts at a newly set ``lr``, as torch's, which it
        creates at the first step from the group's lr then."""
        if self.step_count:
            return
        for slot in self._rule.active(self.hyper):
            if slot.init == "lr":
                for a in self.state[slot.name]:
                    a[...] = lr

    def advance(self, steps: int) -> None:
        """Count ``steps`` updates that something else applied to params and state.

        The native training loop updates :attr:`params` and :attr:`state` in
        place in C++; telling the optimizer afterwards moves ``step_count``
        (and so the schedule) on as if :meth:`step` had run ``steps`` times.
        """
        self.step_count += v.count(f"{type(self).__name__}.advance", "steps", steps)
        if self._schedule is not None:
            self.hyper["lr"] = self._schedule(self.step_count)

    def _update(self, grads: ArrayOrList, lr: float) -> bool:
        call = self._rule.call if self._core is None else self._rule.call_positional
        applied = bool(
            call(self._step_fn, self.params, grads, self.state, self.hyper, lr,
                 self.step_count + 1, self.nonfinite)
        )  # fmt: skip
        if applied:
            self.step_count += 1
        else:
            self.skipped_steps += 1
        return applied

    def state_dict(self) -> dict[str, Any]:
        """A plain dict (copies of the arrays) from which the run resumes exactly."""
        return {
            "optimizer": type(self).__name__,
            "step": self.step_count,
            "skipped_steps": self.skipped_steps,
            "hyperparameters": dict(self.hyper, lr=self.lr),
            "lr_schedule": None
            if self._schedule is None
            else self._schedule.to_native(),
            "state": {
                k: [a.copy() for a in arrays] for k, arrays in self.state.items()
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; checks everything before changing anything."""
        fn = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            msg = f"{fn}: state_dict must be a dict, got {type(state_dict).__name__}"
            raise TypeError(msg)
        missing = {"optimizer", "step", "skipped_steps", "hyperparameters", "state"}
        missing -= set(state_dict)
        if missing:
            msg = f"{fn}: state_dict lacks {sorted(missing)}"
            raise ValueError(msg)
        if state_dict["optimizer"] != type(self).__name__:
            msg = f"{fn}: state_dict is from {state_dict['optimizer']}, not {type(self).__name__}"
            raise ValueError(msg)
        hyper = dict(state_dict["hyperparameters"])
        if set(hyper) != set(self.hyper):
            msg = f"{fn}: hyperparameters have keys {sorted(hyper)}, expected {sorted(self.hyper)}"
            raise ValueError(msg)
        hyper = self._rule.checked(type(self).__name__, hyper)
        step = self._check_count(fn, "step", state_dict["step"])
        skipped = self._check_count(fn, "skipped_steps", state_dict["skipped_steps"])
        schedule = self._load_schedule(fn, state_dict.get("lr_schedule"))
        saved = self._check_saved_state(fn, state_dict["state"], hyper)
        # Fresh owned arrays: the state may gain or lose entries with the
        # hyperparameters, and the caller keeps the dict it passed.
        slots = {s.name: s for s in self._rule.state}
        self.state = {
            key: [cast(FloatArray, np.array(a, dtype=_layout(slots[key], p)[1], order="C",
                                            copy=True))
                  for a, p in zip(arrays, self.params, strict=True)]
            for key, arrays in saved.items()
        }  # fmt: skip
        self.hyper = hyper
        self._schedule = schedule
        self.step_count = step
        self.skipped_steps = skipped

    @staticmethod
    def _check_count(fn: str, name: str, value: Any) -> int:
        # ValueError for any bad value: a state dict is data, not an argument
        if not (v.is_int(value) and value >= 0):
            msg = f"{fn}: {name} must be an int >= 0, got {value!r}"
            raise ValueError(msg)
        return int(value)

    def _load_schedule(self, fn: str, desc: Any) -> Schedule | None:
        """The schedule of a saved ``"lr_schedule"`` description (None: a plain lr)."""
        if desc is None:
            return None
        schedules = _backend.package(fn, self.backend).schedules
        try:
            return cast(Schedule, schedules.from_native(desc))
        except (TypeError, ValueError) as err:
            msg = f"{fn}: lr_schedule is not a valid schedule description ({err})"
            raise type(err)(msg) from err

    def _check_saved_state(
        self, fn: str, state: Any, hyper: Mapping[str, Any]
    ) -> dict[str, list[np.ndarray]]:
        expected = set(self._rule.state_names(hyper))
        if not isinstance(state, dict) or set(state) != expected:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            msg = f"{fn}: state has {got}, expected keys {sorted(expected)}"
            raise ValueError(msg)
        slots = {s.name: s for s in self._rule.state}
        for key, arrays in state.items():
            if not isinstance(arrays, (list, tuple)) or len(arrays) != len(self.params):
                msg = (
                    f"{fn}: state[{key!r}] must be a list of {len(self.params)} arrays"
                )
                raise ValueError(msg)
            for i, (a, p) in enumerate(zip(arrays, self.params, strict=True)):
                shape, dtype = _layout(slots[key], p)
                if (
                    not isinstance(a, np.ndarray)
                    or a.dtype != dtype
                    or a.shape != shape
                ):
                    what = (
                        (a.dtype, a.shape)
                        if isinstance(a, np.ndarray)
                        else type(a).__name__
                    )
                    msg = (
                        f"{fn}: state[{key!r}][{i}] is {what}; expected "
                        f"{(dtype, shape)} for params[{i}] {(p.dtype, p.shape)}"
                    )
                    if not slots[key].scalar:  # the message tests pin
                        msg = (
                            f"{fn}: state[{key!r}][{i}] is {what} but params[{i}] "
                            f"is {(p.dtype, p.shape)}"
                        )
                    raise ValueError(msg)
        return dict(state)

    def __repr__(self) -> str:
        hyper = dict(
            self.hyper, lr=self._schedule if self._schedule is not None else self.lr
        )
        args = ", ".join(f"{k}={val!r}" for k, val in hyper.items())
        return f"{type(self).__name__}({len(self.params)} arrays, {args}, backend={self.backend!r})"


__all__ = ["Optimizer", "class_doc", "schedule_of"]
