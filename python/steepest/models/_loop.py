"""The epochs of a fit and of a ``partial_fit`` call, shared by every estimator.

Twins: none; the per-epoch work is :func:`steepest.models._epoch.run_epoch`
(native or reference). What an epoch saves and restores is in
:mod:`._rollback`, the stopping rules and SWA in :mod:`._stopping`; the calls
that set a run up are in :mod:`._base`. Tests:
``tests/models/test_estimator_base.py``,
``tests/models/test_estimator_stopping.py``, ``tests/models/test_partial_fit.py``,
``tests/models/test_faults.py``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._errors import ConvergenceWarning, DivergenceError
from .._plateau import ReduceLROnPlateau
from .._progress import progress_bar, wants_progress
from ..optim import Optimizer
from ..typing import FloatArray
from . import _data_parallel as dp
from . import _options as o
from ._data_parallel import DataParallel
from ._epoch import Network, ParamAverage, run_epoch
from ._rollback import EpochStart
from ._stopping import NoImprovement, WeightAverage, install_swa_lr
from ._surface import ModelSurface

#: training data or validation data: X and the encoded targets
Data = tuple[FloatArray, NDArray[Any]]


@dataclass(frozen=True)
class TrainingRun:
    """What one ``fit`` or ``partial_fit`` call trains, set up by :mod:`._base`.

    fn : the estimator's name, for messages; opts : its checked
    hyperparameters; net : the model for the epoch runner; params : the
    arrays ``opt`` updates in place; data : the training rows; val : the
    validation rows or None; rng : the generator of the permutations;
    weight : the training rows' sample weights scaled to mean 1 (model dtype;
    over every process's training rows when data-parallel) or None;
    val_weight : the validation rows' weights (unscaled) or None; par : the
    communicator of a data-parallel run (None: one process).
    """

    fn: str
    opts: o.FitOptions
    net: Network
    params: list[FloatArray]
    opt: Optimizer
    data: Data
    val: Data | None
    rng: np.random.Generator
    #: the params' moving average of ``ema_decay``, or None
    ema: ParamAverage | None = None
    weight: FloatArray | None = None
    val_weight: NDArray[np.float64] | None = None

    @property
    def arrays(self) -> list[FloatArray]:
        """What an epoch writes besides the optimizer: the params and the average."""
        return self.params if self.ema is None else self.params + self.ema.arrays

    #: the communicator of a data-parallel run, or None
    par: DataParallel | None = None


class TrainingLoop(ModelSurface):
    """The epoch loop; :class:`._base.SteepestEstimator` adds the public API."""

    # fitted state (declared for the type checker; set by fit and partial_fit)
    loss_curve_: list[float]
    lr_curve_: list[float]
    validation_scores_: list[float] | None
    best_loss_: float | None
    best_validation_score_: float | None
    n_iter_: int
    t_: int
    n_swa_: int
    _optimizer: Optimizer | None
    _ema: ParamAverage | None
    _plateau: ReduceLROnPlateau | None

    def _one_epoch(
        self, run: TrainingRun, epoch: int, scale: float, start: EpochStart
    ) -> tuple[float, float]:
        """Run one epoch (its permutation drawn from ``run.rng``); ``(loss, lr)``.

        ``epoch`` is 0-based and only names the epoch in the divergence error;
        ``start`` was taken before the epoch and is restored if it diverges.
        """
        opts, params, opt = run.opts, run.params, run.opt
        X, y = run.data
        n = int(X.shape[0])
        perm = run.rng.permutation(n) if opts.shuffle else np.arange(n, dtype=np.intp)
        lr = opt.lr * scale
        # overflow is detected below from the result; NumPy's warnings about
        # it would only repeat the DivergenceError
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if run.par is not None:
                loss = dp.run_epoch(
                    opts.backend, run.net, params, opt, run.data, perm,
                    opts.batch_size, run.par, lr_scale=scale,
                    n_threads=opts.n_threads, ema=run.ema, sample_weight=run.weight,
                )  # fmt: skip
            else:
                loss, _ = run_epoch(
                    opts.backend, run.net, params, opt, X, y, perm, opts.batch_size,
                    lr_scale=scale, n_threads=opts.n_threads, ema=run.ema,
                    sample_weight=run.weight,
                )  # fmt: skip
        if not (math.isfinite(loss) and all(np.isfinite(p).all() for p in params)):
            self._diverged(run, start, epoch, lr)
        return float(loss), lr

    def _train(self, run: TrainingRun) -> None:
        """The epochs of one ``fit``: curves, stopping rules, SWA, progress.

        Each epoch, bookkeeping included, is all or nothing: an exception
        raised before its iteration ends (a KeyboardInterrupt, an error in a
        callback) restores the state saved when it began (see
        :class:`._rollback.EpochStart`); the estimator then publishes the
        weights of the last completed epoch, unless there is none, and the
        exception propagates. Early stopping's best weights and SWA's average
        are not installed then: the published weights are those the optimizer
        state belongs to, so training can continue from them.
        """
        fn, opts, params, opt, val = run.fn, run.opts, run.params, run.opt, run.val
        self.loss_curve_ = []
        self.lr_curve_ = []
        self.validation_scores_ = None if val is None else []
        self.n_iter_ = 0
        stopper = NoImprovement(
            opts.tol, opts.n_iter_no_change, by_score=opts.early_stopping
        )
        swa = WeightAverage() if opts.swa_start is not None else None
        plateau = opts.plateau
        self._plateau = plateau
        converged = False
        show_bar = wants_progress(opts.progress, opts.verbose)
        start = EpochStart(self, run.arrays, opt, run.rng)
        try:
            with progress_bar(opts.max_iter, fn, show_bar, unit="epoch") as bar:
                for epoch in bar:
                    start = EpochStart(self, run.arrays, opt, run.rng)
                    if epoch == opts.swa_start and opts.swa_lr is not None:
                        install_swa_lr(opt, opts.swa_lr)
                    scale = 1.0 if plateau is None else plateau.scale
                    loss, lr = self._one_epoch(run, epoch, scale, start)
                    weights = published_weights(run)
                    score = self._validation_score(run, weights)
                    self._record(loss, lr, score)
                    stop = stopper.update(loss, score, weights)
                    if swa is not None and epoch >= (opts.swa_start or 0):
                        swa.update(params)
                    if plateau is not None:
                        # the plateau watches what the tol rule watches
                        plateau.update(
                            1.0 - score
                            if opts.early_stopping and score is not None
                            else loss
                        )
                        stop = stop or plateau.stopped
                    bar.set_postfix(loss=loss, val=score, lr=lr)
                    if opts.verbose and not show_bar:
                        _print_epoch(fn, epoch + 1, loss, score, lr)
                    if stop:
                        converged = True
                        break
            # _finish may write the best or averaged weights: undone if it fails
            start = EpochStart(self, run.arrays, opt, run.rng)
            self._finish(run, stopper, swa)
        except DivergenceError:
            raise  # _diverged already restored and published
        except BaseException:
            start.restore()
            if self.n_iter_ > 0:
                self._publish_interrupted(run)
            raise
        if not converged and opts.tol is not None:
            msg = (
                f"{fn}: stopped after max_iter={opts.max_iter} epochs before the loss "
                f"{'(validation score) ' if opts.early_stopping else ''}stopped improving "
                f"by tol={opts.tol}; raise max_iter or the learning rate"
            )
            warnings.warn(msg, ConvergenceWarning, stacklevel=3)

    def _train_chunk(self, run: TrainingRun) -> None:
        """The one epoch of a ``partial_fit`` call; curves and counters continue.

        No stopping rule, no early stopping, no progress bar: the caller's
        loop over the chunks decides when to stop. ``reduce_on_plateau``
        watches the training loss of each call and keeps its state between
        calls; it lowers the learning rate but cannot stop training.
        """
        plateau: ReduceLROnPlateau | None = None
        if run.opts.plateau is not None:
            kept = getattr(self, "_plateau", None)
            plateau = run.opts.plateau if kept is None else kept
        self._plateau = plateau
        epoch = self.n_iter_
        scale = 1.0 if plateau is None else plateau.scale
        start = EpochStart(self, run.arrays, run.opt, run.rng)
        try:
            loss, lr = self._one_epoch(run, epoch, scale, start)
            self._record(loss, lr, None)
            if plateau is not None:
                plateau.update(loss)
            best = self.best_loss_
            self.best_loss_ = loss if best is None else min(best, loss)
            self.t_ = run.opt.step_count
            self._publish(published_weights(run))
            if run.opts.verbose:
                _print_epoch(run.fn, epoch + 1, loss, None, lr)
        except DivergenceError:
            raise  # _diverged already restored and published
        except BaseException:
            # the call is all or nothing: the caller restores the attributes
            start.restore()
            raise

    def _validation_score(
        self, run: TrainingRun, weights: list[FloatArray]
    ) -> float | None:
        """The epoch's validation score of ``weights`` (over every process's
        validation rows when data-parallel)."""
        if run.val is None:
            return None
        if run.par is not None:
            return dp.score(self, run.par.comm, weights, *run.val, run.val_weight)
        return self._score_params(weights, *run.val, run.val_weight)

    def _record(self, loss: float, lr: float, score: float | None) -> None:
        self.loss_curve_.append(loss)
        self.lr_curve_.append(lr)
        self.n_iter_ += 1
        if score is not None:
            assert self.validation_scores_ is not None
            self.validation_scores_.append(score)

    def _commit(
        self,
        run: TrainingRun,
        best_loss: float | None,
        best_score: float | None,
        n_swa: int,
        *,
        installed: bool = False,
    ) -> None:
        """Publish the weights with the summary attributes of a fit:
        ``run.params`` when early stopping or SWA ``installed`` theirs there,
        else :func:`published_weights`."""
        self.best_loss_ = best_loss
        self.best_validation_score_ = best_score
        self.n_swa_ = n_swa
        self.t_ = run.opt.step_count
        self._publish(run.params if installed else published_weights(run))

    def _finish(
        self, run: TrainingRun, stopper: NoImprovement, swa: WeightAverage | None
    ) -> None:
        """End of a fit: install early stopping's best or SWA's averaged weights."""
        early = run.opts.early_stopping
        if early:
            stopper.restore_best(run.params)
        averaged = swa is not None and swa.count > 0
        if swa is not None and averaged:
            swa.apply(run.params)
        self._commit(
            run,
            None if early else stopper.best_loss,
            stopper.best_score if early else None,
            0 if swa is None else swa.count,
            installed=early or averaged,
        )

    def _publish_interrupted(self, run: TrainingRun) -> None:
        """Publish the last completed epoch of a fit stopped by an exception.

        As :meth:`_finish` without early stopping's restore and SWA's average
        (the optimizer state belongs to the raw weights); the best loss or
        score are those of the curves.
        """
        early, scores = run.opts.early_stopping, self.validation_scores_
        self._commit(
            run,
            None if early else min(self.loss_curve_),
            max(scores) if early and scores else None,
            0,
        )

    def _diverged(
        self, run: TrainingRun, start: EpochStart, epoch: int, lr: float
    ) -> None:
        # weights, optimizer state and generator all go back to the end of
        # the last completed epoch, so a partial_fit with a lower
        # learning_rate continues from finite state
        start.restore()
        self._commit(run, None, None, 0)
        msg = (
            f"{run.fn}: training diverged in epoch {epoch + 1} (the loss or a weight "
            f"became NaN or infinite) with learning rate {lr:.6g}; the weights of the "
            "last completed epoch were kept. Try a lower learning_rate (or a schedule "
            "that decays it), a smaller batch_size, or standardised X."
        )
        raise DivergenceError(msg)


def published_weights(run: TrainingRun) -> list[FloatArray]:
    """The weights a fit scores and publishes (``coef_``, ``coefs_``): the
    params' moving average with ``ema_decay``; else the averaged weights the
    rule keeps in its state (the spec's ``published`` slot, ASGD's ``ax``); else a Schedule-Free
    optimizer's evaluation weights x (new arrays: its params hold y, where
    gradients are taken); else the params.

    Training continues from the params and the optimizer state either way
    (``warm_start``, ``partial_fit``): only the published copy differs. With
    early stopping the best epoch's weights of this kind are kept and
    installed in the params at the end (the optimizer state stays that of the
    last epoch). The one place an end of training chooses its weights.
    """
    if run.ema is not None:
        return run.ema.arrays
    slot = run.opt.rule.published_slot()
    if slot is not None and slot in run.opt.state:
        return run.opt.state[slot]
    eval_params = getattr(run.opt, "eval_params", None)
    return run.params if eval_params is None else list(eval_params())


def _print_epoch(
    fn: str, epoch: int, loss: float, score: float | None, lr: float
) -> None:
    shown = "" if score is None else f", validation score {score:.6g}"
    print(f"{fn} epoch {epoch}: loss {loss:.6g}{shown}, lr {lr:.6g}")


__all__ = ["Data", "TrainingLoop", "TrainingRun", "published_weights"]
