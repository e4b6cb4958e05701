"""The state-holding layer shared by every optimizer class.

An optimizer owns its state arrays (zeros shaped like each param unless the
rule says otherwise), counts its steps, and calls one functional step per
``step(grads)``; the functional layer does the validation and the math.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from .. import _backend
from .. import _validation as v
from ..typing import ArrayOrList, FloatArray


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
        self._check_hyper(hyper)
        self.hyper = dict(hyper)
        self.nonfinite = v.check_nonfinite(name, nonfinite)
        (self.params,) = v.check_lists(name, [("params", params, True)])
        self.step_count = 0
        self.skipped_steps = 0
        self.state: dict[str, list[FloatArray]] = {
            key: [self._initial_state(key, p) for p in self.params]
            for key in self._active_state()
        }

    # -- what subclasses provide ------------------------------------------
    def _check_hyper(self, hyper: dict[str, Any]) -> None:
        raise NotImplementedError

    def _active_state(self) -> tuple[str, ...]:
        return self._state_names

    def _initial_state(self, key: str, p: FloatArray) -> FloatArray:
        return np.zeros(p.shape, p.dtype)

    def _apply(self, grads: ArrayOrList, step: int) -> bool:
        raise NotImplementedError

    # -- public API ---------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate used by the next step."""
        return float(self.hyper["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        v.check_nonnegative(type(self).__name__, "lr", value)
        self.hyper["lr"] = float(value)

    def step(self, grads: ArrayOrList) -> None:
        """Update every param in place from ``grads`` (one array per param)."""
        t = self.step_count + 1
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
            "hyperparameters": dict(self.hyper),
            "state": {k: [a.copy() for a in arrays] for k, arrays in self.state.items()},
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
        step = state_dict["step"]
        if not isinstance(step, (int, np.integer)) or step < 0:
            msg = f"{fn}: step must be an int >= 0, got {step!r}"
            raise ValueError(msg)
        saved = self._check_saved_state(fn, state_dict["state"], hyper)
        for key, arrays in saved.items():
            for dst, src in zip(self.state[key], arrays):
                np.copyto(dst, src)
        self.hyper = hyper
        self.step_count = int(step)
        self.skipped_steps = int(state_dict["skipped_steps"])

    def _check_saved_state(
        self, fn: str, state: Any, hyper: dict[str, Any]
    ) -> dict[str, list[np.ndarray]]:
        if not isinstance(state, dict) or set(state) != set(self.state):
            got = sorted(state) if isinstance(state, dict) else type(state).__name__
            msg = f"{fn}: state has {got}, expected keys {sorted(self.state)}"
            raise ValueError(msg)
        for key, arrays in state.items():
            if not isinstance(arrays, (list, tuple)) or len(arrays) != len(self.params):
                msg = f"{fn}: state[{key!r}] must be a list of {len(self.params)} arrays"
                raise ValueError(msg)
            for i, (a, p) in enumerate(zip(arrays, self.params)):
                if not isinstance(a, np.ndarray) or a.dtype != p.dtype or a.shape != p.shape:
                    what = (a.dtype, a.shape) if isinstance(a, np.ndarray) else type(a).__name__
                    msg = (
                        f"{fn}: state[{key!r}][{i}] is {what} but params[{i}] "
                        f"is {(p.dtype, p.shape)}"
                    )
                    raise ValueError(msg)
        return dict(state)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={val!r}" for k, val in self.hyper.items())
        return f"{type(self).__name__}({len(self.params)} arrays, {args}, backend={self.backend!r})"
