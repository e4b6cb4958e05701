"""Reference epoch loop of mini-batch gradient descent (the specification).

Twin: ``cpp/include/steepest/train/loop.hpp`` (the native loop will run a whole
epoch in C++ and must agree with :func:`run_epoch`: float64 rel 1e-9 after 5
epochs); tests: ``tests/reference/test_train.py``.

One epoch over n samples with permutation ``perm`` and batch size B::

    for s = 0, B, 2B, ... < n:
        idx      = perm[s : s + B]                  (the last batch may be smaller)
        J_b, g_b = loss_and_grad(params, X[idx], y[idx], alpha, l1_ratio)
        step(g_b)                                   (updates params in place)
    epoch_loss = (sum_b |b| * J_b) / n

``J_b`` is each batch's objective (mean loss + penalty) evaluated *before*
that batch's update, as scikit-learn's SGD reports its training loss: a
running average over the epoch, not the loss of the final params. The sum is
accumulated in double precision (a Python float) whatever the dtype, then
divided by n. ``batch_size=None`` means one full batch (B = n, one step per
epoch), 1 plain SGD; a batch size above n is clipped to n.

The permutation is drawn by the caller (``numpy.random.default_rng(seed)``,
one ``permutation(n)`` per epoch) and passed in, so the native loop sees the
same batches in the same order and no RNG is implemented twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import _checks as v
from ..nn import _inputs as c
from ..typing import FloatArray

LossAndGrad = Callable[..., tuple[float, list[FloatArray]]]
Step = Callable[[list[FloatArray]], Any]


def _check_perm(fn: str, perm: Any, n: int) -> NDArray[np.intp]:
    if not isinstance(perm, np.ndarray) or not np.issubdtype(perm.dtype, np.integer):
        what = perm.dtype if isinstance(perm, np.ndarray) else type(perm).__name__
        msg = f"{fn}: perm must be an integer ndarray, got {what}"
        raise TypeError(msg)
    c.check_shape(fn, "perm", perm, (n,), "X")
    idx = perm.astype(np.intp)
    in_range = bool(np.all((idx >= 0) & (idx < n)))
    if not in_range or np.any(np.bincount(idx, minlength=n) != 1):
        msg = f"{fn}: perm must be a permutation of range({n}) (each index once)"
        raise ValueError(msg)
    return idx


def run_epoch(
    loss_and_grad: LossAndGrad,
    params: list[FloatArray],
    X: FloatArray,
    y: NDArray[Any],
    perm: NDArray[np.integer[Any]],
    batch_size: int | None,
    step: Step,
    *,
    alpha: float = 0.0,
    l1_ratio: float = 0.0,
    sample_weight: FloatArray | None = None,
) -> float:
    """One epoch of mini-batch descent; returns the epoch's mean training loss.

    Parameters
    ----------
    loss_and_grad : callable
        ``loss_and_grad(params, Xb, yb, *, alpha, l1_ratio) -> (J, grads)``,
        e.g. :func:`steepest.reference.models.linear.loss_and_grad` or a
        :func:`functools.partial` of :func:`steepest.reference.models.mlp.loss_and_grad`.
    params : list of ndarray
        The model's params; ``step`` must update these very arrays in place.
    X : ndarray of shape (n, d), float32 or float64, or a scipy.sparse CSR matrix
        Sparse: each batch is ``X[idx]`` (its CSR rows) and the models'
        products with it are scipy's sparse ones; never densified.
    y : ndarray with n rows
        Targets or class indices, as ``loss_and_grad`` expects.
    perm : integer ndarray of shape (n,)
        A permutation of ``range(n)``: the order of the samples this epoch.
    batch_size : int >= 1 or None
        None for one full batch; larger than n is clipped to n.
    step : callable
        Applies one update from the gradients, e.g.
        ``steepest.reference.Adam(params, lr=0.01).step``.
    alpha, l1_ratio : float
        Passed on to ``loss_and_grad`` (the penalty).
    sample_weight : ndarray of shape (n,) or None
        Per-row loss weights: each batch's rows are passed on to
        ``loss_and_grad`` as its ``sample_weight`` (not passed when None). The
        epoch loss keeps its formula, so with weights of mean 1 (what the
        estimators pass) it is the weighted mean of the rows' losses.

    Returns
    -------
    float
        ``(sum over batches of batch size * batch objective) / n``, each batch
        objective taken before its update.

    Examples
    --------
    >>> import numpy as np, steepest
    >>> from steepest.reference.models import linear
    >>> from steepest.reference.train import run_epoch
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((64, 2)); y = X @ np.array([1.0, -2.0]) + 0.5
    >>> params = linear.init_params("zeros", 2, rng=rng)
    >>> opt = steepest.reference.SGD(params, lr=0.1)
    >>> losses = [run_epoch(linear.loss_and_grad, params, X, y, rng.permutation(64), 8,
    ...                     opt.step) for _ in range(20)]
    >>> losses[0] > 0.1 > 1e-8 > losses[-1]
    True
    >>> np.round(params[0], 4), np.round(params[1], 4)
    (array([ 1., -2.]), array([0.5]))
    """
    fn = "run_epoch"
    if not callable(loss_and_grad):
        msg = (
            f"{fn}: loss_and_grad must be callable, got {type(loss_and_grad).__name__}"
        )
        raise TypeError(msg)
    if not callable(step):
        msg = f"{fn}: step must be callable, got {type(step).__name__}"
        raise TypeError(msg)
    X = c.check_X(fn, X)
    n = int(X.shape[0])
    if not isinstance(y, np.ndarray):
        msg = f"{fn}: y must be a numpy.ndarray, got {type(y).__name__}"
        raise TypeError(msg)
    if y.ndim == 0 or y.shape[0] != n:
        msg = f"{fn}: y has shape {y.shape} but X has {n} samples"
        raise ValueError(msg)
    idx = _check_perm(fn, perm, n)
    B = n if batch_size is None else min(v.integer(fn, "batch_size", batch_size, 1), n)
    c.check_penalty(fn, alpha, l1_ratio)
    w = c.check_row_weights(fn, sample_weight, n, X.dtype)
    total = 0.0
    for start in range(0, n, B):
        batch = idx[start : start + B]
        extra = {} if w is None else {"sample_weight": w[batch]}
        loss, grads = loss_and_grad(
            params, X[batch], y[batch], alpha=alpha, l1_ratio=l1_ratio, **extra
        )
        total += float(loss) * batch.shape[0]
        step(grads)
    return total / n


__all__ = ["run_epoch"]
