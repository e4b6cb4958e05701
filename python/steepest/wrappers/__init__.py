"""Wrappers that compose with any steepest optimizer, on either backend.

:class:`Lookahead` keeps slow weights that follow the wrapped optimizer's
params every ``k`` steps; :class:`GradientAccumulation` applies the wrapped
step to the mean of ``steps`` calls' gradients; :class:`EMA` keeps a moving
average of the params, fused into the wrapped step on the native backend. A wrapper exposes the step
API of :class:`steepest.Optimizer` (``step``, ``lr``, ``params``, ``state``,
``step_count``, ``state_dict``/``load_state_dict``) and may wrap another.
A foundation package: the native slow-weight update is found through
:mod:`steepest._backend` by the wrapped optimizer's backend name.
"""

from __future__ import annotations

from ._base import Wrapper
from .accumulation import GradientAccumulation
from .ema import EMA
from .lookahead import Lookahead

__all__ = ["EMA", "GradientAccumulation", "Lookahead", "Wrapper"]
