"""What every wrapper shares: the wrapped optimizer and the API it passes on."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _checks as v
from .._optimizer import Optimizer
from .._schedule_base import Schedule
from ..typing import ArrayOrList, FloatArray


def wide_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The dtype a wrapper keeps a param's arrays in: float32 for a float16 or
    bfloat16 param (as the rules keep their state), else the param's."""
    return np.dtype(np.float32) if v.is_half(dtype) else dtype


def wide_copies(params: list[FloatArray]) -> list[FloatArray]:
    """Copies of ``params`` in :func:`wide_dtype` (a 16-bit one widened exactly)."""
    return [p.astype(wide_dtype(p.dtype)) for p in params]


class Wrapper:
    """Base class of the wrappers: holds ``optimizer`` and forwards its API.

    ``params``, ``state``, ``step_count``, ``skipped_steps``, ``backend``,
    ``nonfinite`` and ``lr`` (read and assigned) are the wrapped optimizer's;
    a subclass adds ``step`` and its own part of the state dict.
    """

    def __init__(self, fn: str, optimizer: Any) -> None:
        if not isinstance(optimizer, (Optimizer, Wrapper)):
            msg = (
                f"{fn}: optimizer must be a steepest optimizer or wrapper, "
                f"got {type(optimizer).__name__}"
            )
            raise TypeError(msg)
        self.optimizer: Optimizer | Wrapper = optimizer

    @property
    def params(self) -> list[FloatArray]:
        """The wrapped optimizer's params (the fast weights), updated in place."""
        return self.optimizer.params

    @property
    def state(self) -> dict[str, list[FloatArray]]:
        """The wrapped optimizer's state arrays (the wrapper's own are attributes)."""
        return self.optimizer.state

    @property
    def step_count(self) -> int:
        """Updates the wrapped optimizer applied."""
        return self.optimizer.step_count

    @property
    def skipped_steps(self) -> int:
        """Updates the wrapped optimizer skipped for a non-finite gradient."""
        return self.optimizer.skipped_steps

    @property
    def backend(self) -> str:
        """The wrapped optimizer's backend, which the wrapper's own arithmetic follows."""
        return self.optimizer.backend

    @property
    def nonfinite(self) -> str:
        """The wrapped optimizer's ``nonfinite`` mode."""
        return self.optimizer.nonfinite

    @property
    def lr(self) -> float:
        """The learning rate of the wrapped optimizer's next update."""
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float | Schedule) -> None:
        self.optimizer.lr = value

    def step(self, grads: ArrayOrList) -> None:
        """Take one call's gradients (one array per param); see the subclass."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """A plain dict (copies of the arrays) from which the run resumes exactly."""
        raise NotImplementedError

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; checks everything before changing anything."""
        raise NotImplementedError

    def _check_header(self, fn: str, state_dict: Any, keys: set[str]) -> dict[str, Any]:
        """``state_dict`` checked to be this wrapper's, with ``keys`` and "inner"."""
        if not isinstance(state_dict, dict):
            msg = f"{fn}: state_dict must be a dict, got {type(state_dict).__name__}"
            raise TypeError(msg)
        missing = ({"optimizer", "inner"} | keys) - set(state_dict)
        if missing:
            msg = f"{fn}: state_dict lacks {sorted(missing)}"
            raise ValueError(msg)
        if state_dict["optimizer"] != type(self).__name__:
            msg = f"{fn}: state_dict is from {state_dict['optimizer']}, not {type(self).__name__}"
            raise ValueError(msg)
        return state_dict

    def _check_arrays(self, fn: str, name: str, arrays: Any) -> list[FloatArray]:
        """Saved ``arrays`` alike in count, dtype and shape to the params (copies);
        float32 for a 16-bit param (:func:`wide_like`)."""
        params = self.params
        if not isinstance(arrays, (list, tuple)) or len(arrays) != len(params):
            msg = f"{fn}: {name} must be a list of {len(params)} arrays"
            raise ValueError(msg)
        for i, (a, p) in enumerate(zip(arrays, params, strict=True)):
            if (
                not isinstance(a, np.ndarray)
                or a.dtype != wide_dtype(p.dtype)
                or a.shape != p.shape
            ):
                what = (
                    (a.dtype, a.shape)
                    if isinstance(a, np.ndarray)
                    else type(a).__name__
                )
                msg = f"{fn}: {name}[{i}] is {what} but params[{i}] is {(p.dtype, p.shape)}"
                if v.is_half(p.dtype):
                    msg += f" (whose {name} are float32)"
                raise ValueError(msg)
        return [np.array(a, order="C", copy=True) for a in arrays]

    @staticmethod
    def _check_count(fn: str, name: str, value: Any, below: int) -> int:
        # ValueError for any bad value: a state dict is data, not an argument
        if not (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                and 0 <= value < below):  # fmt: skip
            msg = f"{fn}: {name} must be an int in [0, {below}), got {value!r}"
            raise ValueError(msg)
        return int(value)


__all__ = ["Wrapper"]
