"""Mini-batch epochs of SGDClassifier / SGDRegressor with any steepest rule.

Used instead of :mod:`._sgd_fit`'s plain SGD when ``optimizer != "sgd"``,
``optimizer_params`` is given or ``batch_size > 1``. Twins: the epoch is
``steepest._core.sgd_batch_epoch`` (native: one C++ call per epoch, GIL
released, each batch stepped by the rule's fused native leaf through the
rule registry) or :func:`steepest.reference.sgd_batch.sgd_batch_epoch`
(NumPy, stepping with the reference Optimizer), bit for bit equal; this
module runs the epochs and the stopping rule. Tests:
``tests/models/test_sgd_batch.py``.

One step on the rows ``B`` (``|B|`` = batch_size, the last batch of an
epoch may be smaller) for the k one-vs-rest models at once, with
``P = X_B W^T + b`` taken before the step::

    G      = clip(dloss(Y, P), -1e12, 1e12) * class_weight(Y) * sample_weight
    grad_W = G^T X_B / |B| + alpha (1 - l1_ratio) W      (l2, elasticnet)
    grad_b = sum of G's rows / |B|                        (0 without fit_intercept)
    W, b   = rule's step at learning rate eta_t, t = the optimizer's step
    W      = sign(W) max(|W| - eta_t alpha l1_ratio, 0)   (l1, elasticnet)

The L1 part is a truncated (proximal) step after the rule's update, with the
rule's learning rate: for plain SGD this is the proximal gradient step; for
adaptive rules, whose per-weight steps differ from ``eta_t``, it is the
truncated gradient of Langford, Li and Zhang (2009), which still gives
exact zeros. The intercept is never penalized.

Sparse (CSR) X gives the same results as the densified X to rounding: the
gradient is dense (``O(n_features * k)`` per batch besides the ``O(nnz(X_B) *
k)`` products), because momentum and the adaptive rules move every weight
at every step; a lazy update would change the results.

The learning rate ``eta_t`` of step t (counted over the optimizer's life,
``partial_fit`` calls included): ``constant`` eta0; ``invscaling``
``eta0 / t ** power_t``; ``adaptive`` eta0, divided by 5 when a model's
``n_iter_no_change`` strikes are reached (one rate for the k models, which
share one optimizer); ``optimal`` only with ``optimizer="sgd"``:
``1 / (alpha (t0 + t - 1))`` with scikit-learn's t0, t counting steps.

Stopping is that of :mod:`._sgd_fit` per model: the mean of the epoch's
objective (each row's loss at the P of its batch plus, per row, the penalty
of the weights before its batch's step) or the validation score; a model
that stopped keeps its weights while the others go on.

Data-parallel (``problem.par``, see :mod:`._sgd_parallel`): each step's
gradient sums go through the communicator inside the epoch (one flat buffer
per step), and the epoch objective is summed over the processes and divided
by every process's training rows, so every process stops alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..optim import Optimizer
from ..reference import sgd_batch as ref
from . import _options
from ._epoch import native_rule
from ._sgd_fit import OVERFLOW, Problem, Rule, _csr_parts, schedule_values

F64 = NDArray[np.float64]


def _optimizer(
    fn: str,
    rule: Rule,
    backend: str,
    state: dict[str, Any],
    kept: Optimizer | None,
) -> Optimizer:
    """The optimizer of this call: ``kept`` (partial_fit) or a new one."""
    W, b = state["coef"], state["intercept"]
    fits = (
        kept is not None
        and kept.backend == backend
        and kept.params[0].shape == W.shape
        and kept.params[0].dtype == W.dtype
    )
    if kept is not None and fits:
        np.copyto(kept.params[0], W)
        np.copyto(kept.params[1], b)
        return kept
    assert rule.factory is not None
    params = [np.array(W, order="C", copy=True), np.array(b, copy=True)]
    return _options.build_optimizer(fn, rule.factory, params, rule.eta0, backend)


def run(
    fn: str,
    backend: str,
    problem: Problem,
    rule: Rule,
    state: dict[str, Any],
    rng: np.random.Generator,
    kept: Optimizer | None,
) -> tuple[int, Optimizer]:
    """Epochs until every model stopped or ``max_iter``; ``(n_iter_, optimizer)``.

    ``state["coef"]``/``["intercept"]`` end as copies of the fitted weights.
    """
    opt = _optimizer(fn, rule, backend, state, kept)
    # a kept optimizer (partial_fit) gets its state back if the call fails or
    # is interrupted, as the estimator keeps its weights: the next call must
    # not pair the old weights with moments that moved on
    saved = opt.state_dict() if opt is kept else None
    try:
        return _epochs(opt, backend, problem, rule, state, rng)
    except BaseException:
        if saved is not None:
            opt.load_state_dict(saved)
        raise


def _epochs(
    opt: Optimizer,
    backend: str,
    problem: Problem,
    rule: Rule,
    state: dict[str, Any],
    rng: np.random.Generator,
) -> tuple[int, Optimizer]:
    """:func:`run`'s epochs with the optimizer of the call."""
    W, b = opt.params[0], opt.params[1]
    k = W.shape[0]
    active = np.ones(k, dtype=np.uint8)
    arrays = {
        "coef": W, "intercept": b, "pos_weight": problem.pos_weight[:k].copy(),
        "neg_weight": problem.neg_weight[:k].copy(), "active": active,
        "pos_label": problem.pos_label,
    }  # fmt: skip
    settings: dict[str, Any] = {
        "loss": rule.loss, "loss_param": rule.loss_param, "penalty": rule.penalty,
        "learning_rate": rule.learning_rate, "alpha": rule.alpha,
        "l1_ratio": rule.l1_ratio, "power_t": rule.power_t, "eta0": rule.eta0,
        "optimal_init": rule.optimal_init, "eta": float(state["eta"][0]),
        "fit_intercept": rule.fit_intercept, "track": not rule.early_stopping,
        "batch_size": rule.batch_size, "step": 0, "n_threads": rule.n_threads,
    }  # fmt: skip
    data, indices, indptr = _csr_parts(problem.X)
    rows = problem.train_rows
    n_local = rows.shape[0]
    par = problem.par
    # the objective's rows: every process's when data-parallel
    n_train = n_local if par is None else int(par.batches.sum())
    best_objective = np.full(k, np.inf)
    best_score = np.full(k, -np.inf)
    strikes = np.zeros(k, dtype=np.int64)
    epochs = np.zeros(k, dtype=np.int64)
    rates = None if rule.schedule is None else schedule_values(backend, rule.schedule)
    for epoch in range(rule.max_iter):
        perm = rows[rng.permutation(n_local)] if rule.shuffle else rows
        settings["step"] = opt.step_count
        if rates is not None:  # per step, counted over the optimizer's life
            steps = -(-n_local // rule.batch_size) if par is None else len(par.batches)
            settings["etas"] = rates(steps, opt.step_count)
        objective = _epoch(backend, opt, data, indices, indptr, problem, perm,
                           arrays, settings)  # fmt: skip
        if par is not None and not rule.early_stopping:
            par.comm.allreduce(objective)
        for c in (int(i) for i in np.flatnonzero(active)):
            epochs[c] = epoch + 1
            if not (np.isfinite(b[c]) and np.isfinite(W[c]).all()):
                raise ValueError(OVERFLOW.format(epoch=epoch + 1))
            if rule.early_stopping:
                assert problem.score is not None
                score = problem.score(c, W[c].copy(), float(b[c]))
                better = rule.tol == -np.inf or score >= best_score[c] + rule.tol
                best_score[c] = max(best_score[c], score)  # NaN keeps the best
            else:
                mean = float(objective[c]) / n_train
                better = rule.tol == -np.inf or not mean > best_objective[c] - rule.tol
                best_objective[c] = min(best_objective[c], mean)
            strikes[c] = 0 if better else strikes[c] + 1
            if rule.verbose:
                print(f"-- Epoch {epoch + 1}, model {c}: avg. objective "
                      f"{float(objective[c]) / n_train:f}, lr {settings['eta']:g}")  # fmt: skip
            if strikes[c] >= rule.n_iter_no_change:
                if rule.learning_rate == 4 and settings["eta"] > 1e-6:
                    settings["eta"] /= 5
                    strikes[c] = 0
                else:
                    active[c] = 0
        if not active.any():
            break
    state["coef"] = W.copy()
    state["intercept"] = b.copy()
    state["eta"][:] = settings["eta"]
    return int(epochs.max()), opt


def _epoch(
    backend: str,
    opt: Optimizer,
    data: Any,
    indices: Any,
    indptr: Any,
    problem: Problem,
    perm: NDArray[np.int64],
    arrays: dict[str, Any],
    settings: dict[str, Any],
) -> F64:
    """One epoch on the backend; the optimizer counts its steps."""
    par = problem.par
    # data-parallel only: the plain call keeps its arguments
    extra = (
        {} if par is None else {"reduce": par.comm.allreduce, "batches": par.batches}
    )
    if backend == "native":
        # here, not at the top: the reference backend needs no extension
        from .. import _core

        objective, steps = _core.sgd_batch_epoch(
            data, indices, indptr, problem.y, problem.sample_weight, perm, arrays,
            settings, native_rule(opt), **extra,
        )  # fmt: skip
        opt.advance(steps)
    else:
        objective, _ = ref.sgd_batch_epoch(data, indices, indptr, problem.y,
                                           problem.sample_weight, perm, arrays,
                                           settings, opt, **extra)  # fmt: skip
    out: F64 = objective
    return out


__all__ = ["run"]
