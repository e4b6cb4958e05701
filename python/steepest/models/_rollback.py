"""Undo an epoch that did not finish: the estimators' answer to faults.

Twins: none. Tests: ``tests/models/test_faults.py`` and
``tests/models/test_resume.py``.

An epoch of :class:`._loop.TrainingLoop` changes in place: the params, the
optimizer (state arrays, step count, learning rate or schedule), the
generator (the epoch's permutation), the plateau's counters and the curves.
:class:`EpochStart` copies all of them before the epoch runs, so that an
exception anywhere in the epoch (a KeyboardInterrupt raised when the native
call returns, an error in a progress callback, a divergence) can put the
estimator back to the end of the previous completed epoch: weights and
optimizer state always match, and training continues from there as if the
failed epoch had never started. :class:`CallUndo` then puts the
estimator's attributes back when a call must look as if it never happened.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol, final

import numpy as np

from .._errors import DivergenceError
from .._plateau import ReduceLROnPlateau
from ..optim import Optimizer
from ..typing import FloatArray


class Bookkeeping(Protocol):
    """The estimator attributes an epoch appends to or counts up.

    Declared here rather than taken from the training loop's class, so that
    this module sits below the loop that uses it.
    """

    loss_curve_: list[float]
    lr_curve_: list[float]
    validation_scores_: list[float] | None
    n_iter_: int
    _plateau: ReduceLROnPlateau | None


class EpochStart:
    """What an epoch will change, copied before it runs; :meth:`restore` puts it back.

    Parameters
    ----------
    est : Bookkeeping
        The estimator: its ``_plateau`` and curves (``loss_curve_``,
        ``lr_curve_``, ``validation_scores_``, ``n_iter_``) are saved.
    params : list of ndarray
        The arrays ``opt`` updates (copied).
    opt : Optimizer
        Saved with :meth:`~steepest.Optimizer.state_dict` (copies).
    rng : numpy.random.Generator
        The generator the epoch draws its permutation from.
    """

    def __init__(
        self,
        est: Bookkeeping,
        params: list[FloatArray],
        opt: Optimizer,
        rng: np.random.Generator,
    ) -> None:
        self._est = est
        self._params = params
        self._saved_params = [p.copy() for p in params]
        self._opt = opt
        self._opt_state = opt.state_dict()
        self._rng = rng
        self._rng_state = rng.bit_generator.state
        self._plateau = est._plateau
        self._plateau_state = (
            None if self._plateau is None else self._plateau.state_dict()
        )
        scores = est.validation_scores_
        self._lengths = (
            len(est.loss_curve_),
            len(est.lr_curve_),
            None if scores is None else len(scores),
            est.n_iter_,
        )

    def restore(self) -> None:
        """Put everything saved back, in place (the same objects, not new ones).

        In place because the estimator may also restore its attributes to
        the objects they referred to before the call: those objects are the
        ones that must hold the old values.
        """
        for p, saved in zip(self._params, self._saved_params, strict=True):
            p[...] = saved
        self._opt.load_state_dict(self._opt_state)
        self._rng.bit_generator.state = self._rng_state
        if self._plateau is not None and self._plateau_state is not None:
            self._plateau.load_state_dict(self._plateau_state)
        est = self._est
        n_loss, n_lr, n_scores, n_iter = self._lengths
        del est.loss_curve_[n_loss:]
        del est.lr_curve_[n_lr:]
        if est.validation_scores_ is not None and n_scores is not None:
            del est.validation_scores_[n_scores:]
        est.n_iter_ = n_iter


@final  # __enter__ returns exactly this class
class CallUndo:
    """Context manager: on an exception, every attribute of ``est`` as before.

    Attributes are put back to the objects they referred to at ``__enter__``
    (objects changed in place are :class:`EpochStart`'s business). Not on a
    :class:`~steepest.DivergenceError`, which publishes its own state, nor
    when :attr:`unless` (set by the caller once training runs) returns True.
    The exception always propagates.
    """

    def __init__(self, est: Any) -> None:
        self._est = est
        self._before: dict[str, Any] = {}
        self.unless: Callable[[], bool] = lambda: False

    def __enter__(self) -> CallUndo:
        self._before = dict(vars(self._est))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None or issubclass(exc_type, DivergenceError) or self.unless():
            return
        attributes = vars(self._est)
        attributes.clear()
        attributes.update(self._before)


__all__ = ["Bookkeeping", "CallUndo", "EpochStart"]
