"""The state-holding layer shared by every optimizer class.

An optimizer owns its state arrays (zeros shaped like each param unless the
rule says otherwise), counts its steps, and calls one functional step per
``step(grads)``; the functional layer does the validation and the math.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

import numpy as np

from .. import _backend
from .. import _checks as v
from ..typing import ArrayOrList, FloatArray

if (
    TYPE_CHECKING
):  # imported at run time where used: steepest.reference imports steepest.optim
    from .._schedule_base import Schedule


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
    """

    _default_backend: ClassVar[str] = "native"
    #: state names the rule needs for the given hyperparameters
    _state_names: ClassVar[tuple[str, ...]] = ()

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
        self._functional = _backend.functional(self.backend, name)
        hyper = dict(hyper)
        self._schedule: Schedule | None = self._check_schedule(name, hyper.get("lr"))
        if self._schedule is not None:
            hyper["lr"] = self._schedule(0)
        self._check_hyper(hyper)
        self.hyper = dict(hyper)
        self.nonfinite = v.check_nonfinite(name, nonfinite)
        (self.params,) = v.check_lists(name, [("params", params, True)])
        self.step_count = 0
        self.skipped_steps = 0
        self.state: dict[str, list[FloatArray]] = {
            key: [self._initial_state(key, p) for p in self.params]
            for key in self._active_state(self.hyper)
        }

    # -- what subclasses provide ------------------------------------------
    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        raise NotImplementedError

    def _active_state(self, hyper: dict[str, Any]) -> tuple[str, ...]:
        """The state arrays the rule needs under ``hyper``."""
        return self._state_names

    def _initial_state(self, key: str, p: FloatArray) -> FloatArray:
        return np.zeros(p.shape, p.dtype)

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        raise NotImplementedError

    @staticmethod
    def _check_schedule(fn: str, lr: Any) -> Schedule | None:
        """The schedule given as ``lr``, None for a number; TypeError for other callables."""
        from .._plateau import ReduceLROnPlateau
        from .._schedule_base import Schedule

        if isinstance(lr, Schedule):
            return lr
        if isinstance(lr, ReduceLROnPlateau):
            msg = (
                f"{fn}: lr cannot be a ReduceLROnPlateau (it is driven by a metric, not "
                "the step): call plateau.update(metric) each epoch and set opt.lr = plateau.lr"
            )
            raise TypeError(msg)
        if callable(lr):
            msg = (
                f"{fn}: lr must be a real number or a steepest schedule, got "
                f"{type(lr).__name__}"
            )
            raise TypeError(msg)
        return None

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
        schedule = self._check_schedule(name, value)
        lr = schedule(self.step_count) if schedule is not None else cast(float, value)
        v.check_nonnegative(name, "lr", lr)
        self.hyper["lr"] = float(lr)
        self._schedule = schedule

    @property
    def lr_schedule(self) -> Schedule | None:
        """The schedule behind :attr:`lr`, or None when it is a plain number."""
        return self._schedule

    def step(self, grads: ArrayOrList) -> None:
        """Update every param in place from ``grads`` (one array per param)."""
        t = self.step_count + 1
        if self._schedule is not None:
            self.hyper["lr"] = self._schedule(self.step_count)
        if self._apply(grads, t):
            self.step_count = t
        else:
            self.skipped_steps += 1

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
        self._check_hyper(hyper)
        step = self._check_count(fn, "step", state_dict["step"])
        skipped = self._check_count(fn, "skipped_steps", state_dict["skipped_steps"])
        schedule = self._load_schedule(fn, state_dict.get("lr_schedule"))
        saved = self._check_saved_state(fn, state_dict["state"], hyper)
        # Fresh owned arrays: the state may gain or lose entries with the
        # hyperparameters, and the caller keeps the dict it passed.
        self.state = {
            key: [cast(FloatArray, np.array(a, dtype=p.dtype, order="C", copy=True))
                  for a, p in zip(arrays, self.params, strict=True)]
            for key, arrays in saved.items()
        }  # fmt: skip
        self.hyper = hyper
        self._schedule = schedule
        self.step_count = step
        self.skipped_steps = skipped

    @staticmethod
    def _check_count(fn: str, name: str, value: Any) -> int:
        integer = isinstance(value, (int, np.integer)) and not isinstance(
            value, (bool, np.bool_)
        )
        if not (integer and value >= 0):
            msg = f"{fn}: {name} must be an int >= 0, got {value!r}"
            raise ValueError(msg)
        return int(value)

    def _load_schedule(self, fn: str, desc: Any) -> Schedule | None:
        """The schedule of a saved ``"lr_schedule"`` description (None: a plain lr)."""
        if desc is None:
            return None
        if self.backend == "native":
            from ..schedules import from_native
        else:
            from ..reference.schedules import from_native
        try:
            return from_native(desc)
        except (TypeError, ValueError) as err:
            msg = f"{fn}: lr_schedule is not a valid schedule description ({err})"
            raise type(err)(msg) from err

    def _check_saved_state(
        self, fn: str, state: Any, hyper: dict[str, Any]
    ) -> dict[str, list[np.ndarray]]:
        expected = set(self._active_state(hyper))
        if not isinstance(state, dict) or set(state) != expected:
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            msg = f"{fn}: state has {got}, expected keys {sorted(expected)}"
            raise ValueError(msg)
        for key, arrays in state.items():
            if not isinstance(arrays, (list, tuple)) or len(arrays) != len(self.params):
                msg = (
                    f"{fn}: state[{key!r}] must be a list of {len(self.params)} arrays"
                )
                raise ValueError(msg)
            for i, (a, p) in enumerate(zip(arrays, self.params, strict=True)):
                if (
                    not isinstance(a, np.ndarray)
                    or a.dtype != p.dtype
                    or a.shape != p.shape
                ):
                    what = (
                        (a.dtype, a.shape)
                        if isinstance(a, np.ndarray)
                        else type(a).__name__
                    )
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
