"""Lookahead (Zhang et al. 2019, arXiv:1907.08610) around any optimizer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _backend
from .. import _checks as v
from ..typing import ArrayOrList, FloatArray
from ._base import Wrapper, wide_copies


class Lookahead(Wrapper):
    """Slow weights that follow the wrapped optimizer every ``k`` updates.

    The wrapped optimizer steps the params (the fast weights ``theta``);
    after every ``k``-th update it applies, the slow weights ``phi`` (a copy
    of the params taken at construction) move toward them and the params
    restart from there::

        phi <- phi + alpha * (theta - phi)
        theta <- phi

    Parameters
    ----------
    optimizer : Optimizer or Wrapper
        Any steepest optimizer (either backend) or another wrapper.
    k : int
        Inner updates between synchronisations, >= 1 (default 5, the paper's).
    alpha : float
        The slow weights' step size, in (0, 1] (default 0.5, the paper's).

    Attributes
    ----------
    slow_params : list of ndarray
        The slow weights ``phi``, one array per param (float32 for a
        float16 or bfloat16 param, as the rules keep their state).
    counter : int
        Updates applied since the latest synchronisation, in [0, k).

    Notes
    -----
    Only applied updates count: a step the wrapped optimizer skips for a
    non-finite gradient (``nonfinite="skip"``) does not advance ``counter``.
    The synchronisation is :func:`steepest.functional.lookahead_sync` on the
    native backend (one fused pass over both arrays) and its NumPy twin on the
    reference backend, chosen by the wrapped optimizer's ``backend``; the two
    agree bit for bit. ``state`` is the wrapped optimizer's; its inner state
    (momenta, step count) carries on across synchronisations, as in the paper.
    The params hold the fast weights: evaluate at :attr:`slow_params` to get
    the paper's reported weights between synchronisations.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> p = np.array([1.0])
    >>> opt = steepest.Lookahead(steepest.SGD([p], lr=0.1), k=2, alpha=0.5)
    >>> for _ in range(2):
    ...     opt.step([np.array([1.0])])
    >>> p, opt.slow_params
    (array([0.9]), [array([0.9])])
    """

    def __init__(self, optimizer: Any, k: int = 5, alpha: float = 0.5) -> None:
        fn = "Lookahead"
        super().__init__(fn, optimizer)
        self.k = v.integer(fn, "k", k, 1)
        self.alpha = v.check_between(
            fn, "alpha", alpha, 0.0, 1.0, lo_open=True, hi_open=False
        )
        self.slow_params: list[FloatArray] = wide_copies(self.params)
        self.counter = 0
        self._sync: Callable[..., None] = _backend.package(
            fn, self.backend
        ).functional.lookahead_sync

    def step(self, grads: ArrayOrList) -> None:
        """One update of the wrapped optimizer, then every ``k``-th a synchronisation."""
        before = self.optimizer.step_count
        self.optimizer.step(grads)
        if self.optimizer.step_count == before:
            return
        if self.counter + 1 >= self.k:
            self._sync(self.slow_params, self.params, self.alpha)
            self.counter = 0
        else:
            self.counter += 1

    def state_dict(self) -> dict[str, Any]:
        """``k``, ``alpha``, ``counter``, copies of the slow weights, and the
        wrapped optimizer's state dict as ``"inner"``."""
        return {
            "optimizer": type(self).__name__,
            "k": self.k,
            "alpha": self.alpha,
            "counter": self.counter,
            "slow_params": [a.copy() for a in self.slow_params],
            "inner": self.optimizer.state_dict(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; checks everything before changing anything."""
        fn = f"{type(self).__name__}.load_state_dict"
        sd = self._check_header(
            fn, state_dict, {"k", "alpha", "counter", "slow_params"}
        )
        try:
            k = v.integer(fn, "k", sd["k"], 1)
            alpha = v.check_between(
                fn, "alpha", sd["alpha"], 0.0, 1.0, lo_open=True, hi_open=False
            )
        except TypeError as err:  # a state dict is data: ValueError throughout
            raise ValueError(str(err)) from err
        counter = self._check_count(fn, "counter", sd["counter"], k)
        slow = self._check_arrays(fn, "slow_params", sd["slow_params"])
        # the wrapped optimizer checks its part before changing anything, so
        # if it raises nothing here has changed either
        self.optimizer.load_state_dict(sd["inner"])
        self.k, self.alpha, self.counter, self.slow_params = k, alpha, counter, slow

    def __repr__(self) -> str:
        return f"Lookahead({self.optimizer!r}, k={self.k}, alpha={self.alpha!r})"


__all__ = ["Lookahead"]
