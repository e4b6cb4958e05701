"""When to stop and which weights to keep: tol rule, early stopping (and its
validation set), SWA.

Used once per epoch by the estimators' shared loop (:mod:`._loop`); all of
it runs in Python at epoch boundaries, identically for both backends.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.utils import check_array  # type: ignore[import-untyped]
from sklearn.utils.validation import validate_data  # type: ignore[import-untyped]

from .._schedule_base import Schedule
from ..optim import Optimizer
from ..reference.schedules import Constant, SequentialLR
from ..typing import FloatArray
from ._labels import encode_labels
from ._surface import SPARSE_FORMAT, ModelSurface, csr_input
from ._weights import check_sample_weight

#: the smallest validation set early stopping scores (scikit-learn's MLP rule)
MIN_VALIDATION_ROWS = 2


class NoImprovement:
    """scikit-learn's ``tol`` / ``n_iter_no_change`` rule, plus the best weights.

    Without a monitored validation score, an epoch is *bad* when its training
    loss is above ``best_loss - tol``; with one (early stopping), when its
    validation score is not at least ``best_score + tol`` (a NaN score is
    bad: it never resets the count nor becomes the best). A good epoch resets the
    count; training stops once ``n_iter_no_change`` consecutive bad epochs
    were seen. ``tol=None`` never stops. With early stopping, the params are
    copied whenever the validation score beats the best so far (by any
    amount), and :meth:`restore_best` puts them back at the end.
    """

    def __init__(self, tol: float | None, n_iter_no_change: int, *, by_score: bool):
        self.tol = tol
        self.patience = n_iter_no_change
        self.by_score = by_score
        self.best_loss = math.inf
        self.best_score = -math.inf
        self.bad_epochs = 0
        self.best_params: list[FloatArray] | None = None

    def update(
        self, loss: float, score: float | None, params: list[FloatArray]
    ) -> bool:
        """Record one epoch; return True when training should stop."""
        if self.by_score:
            assert score is not None
            # written as "not >=" so that a NaN score counts as no improvement
            bad = self.tol is not None and not score >= self.best_score + self.tol
            if score > self.best_score:
                self.best_score = score
                self.best_params = [p.copy() for p in params]
        else:
            bad = self.tol is not None and loss > self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
        self.bad_epochs = self.bad_epochs + 1 if bad else 0
        return self.tol is not None and self.bad_epochs >= self.patience

    def restore_best(self, params: list[FloatArray]) -> None:
        """Copy the best epoch's weights into ``params`` (in place)."""
        if self.best_params is not None:
            for p, best in zip(params, self.best_params, strict=True):
                p[...] = best


class WeightAverage:
    """Running mean of the params over epochs (stochastic weight averaging).

    After the k-th averaged epoch, ``mean <- mean + (params - mean) / k``
    (in the params' dtype), i.e. the plain average of the end-of-epoch
    weights since averaging began (Izmailov et al., 2018).
    """

    def __init__(self) -> None:
        self.count = 0
        self.mean: list[NDArray[np.floating]] = []

    def update(self, params: list[FloatArray]) -> None:
        self.count += 1
        if self.count == 1:
            self.mean = [p.copy() for p in params]
            return
        for m, p in zip(self.mean, params, strict=True):
            m += (p - m) / m.dtype.type(self.count)

    def apply(self, params: list[FloatArray]) -> None:
        """Write the average into ``params`` (in place); no-op before any epoch."""
        for p, m in zip(params, self.mean, strict=True):
            p[...] = m


def install_swa_lr(opt: Optimizer, swa_lr: float | Schedule) -> None:
    """From the next step on, the optimizer follows ``swa_lr``.

    A float is a constant learning rate. A schedule restarts at its own
    ``t = 0`` on the first SWA step: it is chained after the schedule so far
    with a :class:`~steepest.reference.schedules.SequentialLR` milestone at
    the current step count, which keeps the optimizer's step indexing intact.
    """
    if not isinstance(swa_lr, Schedule):
        opt.lr = float(swa_lr)
        return
    t = opt.step_count
    if t == 0:
        opt.lr = swa_lr
        return
    before = opt.lr_schedule if opt.lr_schedule is not None else Constant(lr=opt.lr)
    opt.lr = SequentialLR([before, swa_lr], milestones=[t])


def split_validation(
    rng: np.random.Generator, n: int, fraction: float, fn: str
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row indices ``(train, validation)``: ``ceil(fraction * n)`` rows held out.

    One ``rng.permutation(n)``; the first rows of it are the validation set
    (not stratified). Both sets keep the original row order. Fewer than
    :data:`MIN_VALIDATION_ROWS` validation rows is an error, as in
    scikit-learn's MLP: the R² of one row is undefined (NaN), and one row's
    accuracy says nothing.
    """
    n_val = math.ceil(fraction * n)
    if n_val < 1 or n - n_val < 1:
        msg = (
            f"{fn}: validation_fraction={fraction} of {n} samples leaves an empty "
            "training or validation set"
        )
        raise ValueError(msg)
    if n_val < MIN_VALIDATION_ROWS:
        msg = (
            f"{fn}: validation_fraction={fraction} of {n} samples holds out "
            f"{n_val} row, too few to score (early stopping needs at least "
            f"{MIN_VALIDATION_ROWS}); raise validation_fraction or the number of "
            "samples, or pass validation_data"
        )
        raise ValueError(msg)
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def validation_set(
    est: ModelSurface, fn: str, data: Any, dt: np.dtype[Any], y_train: NDArray[Any]
) -> tuple[FloatArray, NDArray[Any], NDArray[np.float64] | None]:
    """``fit(validation_data=(X_val, y_val[, w_val]))`` checked and encoded like
    the training set; ``(X_val, y_val, w_val)`` with ``w_val`` the rows'
    sample weights as :func:`._weights.check_sample_weight` checks them (None:
    1 each), which the validation score uses unscaled."""
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
        msg = f"{fn}: validation_data must be a pair (X_val, y_val) or a triple (X_val, y_val, w_val)"
        raise ValueError(msg)
    X_val = validate_data(
        est, data[0], reset=False, dtype=dt, order="C",
        accept_sparse=SPARSE_FORMAT, accept_large_sparse=True,
    )  # fmt: skip
    X_val = csr_input(fn, X_val)
    y_val = check_array(data[1], ensure_2d=False, dtype=None)
    if y_val.shape[0] != X_val.shape[0]:
        msg = f"{fn}: validation_data has {X_val.shape[0]} rows in X but {y_val.shape[0]} in y"
        raise ValueError(msg)
    w_val = None
    if len(data) == 3:
        name = "validation_data w_val"
        w_val = check_sample_weight(fn, data[2], int(X_val.shape[0]), name)
    if not est._classifier and X_val.shape[0] < MIN_VALIDATION_ROWS:
        # a classifier's accuracy on one row is defined; R² is not
        msg = (
            f"{fn}: validation_data must hold at least {MIN_VALIDATION_ROWS} rows "
            f"to score (R² of one row is undefined), got {X_val.shape[0]}"
        )
        raise ValueError(msg)
    if est._classifier and est._multilabel:
        k = est.classes_.shape[0]
        ok = y_val.ndim == 2 and y_val.shape[1] == k and np.isin(y_val, (0, 1)).all()
        if not ok:
            msg = (
                f"{fn}: validation_data y must be a 0/1 indicator matrix of {k} "
                f"columns as the training y, got shape {y_val.shape}"
            )
            raise ValueError(msg)
        return X_val, np.ascontiguousarray(y_val, dtype=dt), w_val
    if est._classifier:
        y_enc = encode_labels(fn, est.classes_, y_val, "validation_data y")
        return X_val, y_enc, w_val
    y_val = np.ascontiguousarray(y_val, dtype=dt).reshape((-1, *y_train.shape[1:]))
    return X_val, y_val, w_val


__all__ = [
    "MIN_VALIDATION_ROWS",
    "NoImprovement",
    "WeightAverage",
    "install_swa_lr",
    "split_validation",
    "validation_set",
]
