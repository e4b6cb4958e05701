"""Sample weights of fit and partial_fit: their checks and their normalisation.

Twins: the weighted losses of :mod:`steepest.nn._losses` (reference) and
``cpp/include/steepest/model/losses.hpp`` (native), which multiply each row's
loss and gradient by its weight. Tests: ``tests/models/test_sample_weight.py``.

Normalisation: the weights of one call's training rows are scaled to mean 1
(``w_i * n / sum(w)``, in double, then cast to the model dtype) and each
batch's objective stays ``(1/b) * sum_i w_i * l_i + R``. Hence

* a full batch minimises the weighted mean ``sum w_i l_i / sum w_i`` (plus
  R): integer weights equal repeated rows and a weight 0 a removed row, as in
  scikit-learn's MLP (which divides each batch by its own weight sum);
* in mini-batches a row's weight scales its step relative to the average row
  (so weights act at batch size 1 too, as in scikit-learn's SGD, unlike a
  per-batch normalisation, under which a one-row batch ignores its weight);
  a batch of zero-weight rows moves the weights by the penalty only;
* multiplying every weight by a constant changes nothing, and weights all
  equal train exactly as no weights (they are dropped).

``partial_fit`` normalises each chunk on its own: the weights are relative
within a chunk. The validation score of early stopping is weighted by the
held-out rows' weights, unscaled (accuracy or R² with ``sample_weight``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..typing import FloatArray


def check_sample_weight(
    fn: str,
    sample_weight: Any,
    n: int,
    name: str = "sample_weight",
    *,
    positive_sum: bool = True,
) -> NDArray[np.float64] | None:
    """None, or the weights as a new float64 array of shape (n,), checked.

    A scalar is one weight for every row. Weights must be finite and >= 0
    with a positive sum (``positive_sum=False``: the sum may be 0, as one
    shard's of a data-parallel fit, whose sum over every shard is checked
    later on every process alike); the caller's object is never modified.
    ``name`` names the argument in the messages.
    """
    if sample_weight is None:
        return None
    raw = np.asarray(sample_weight)
    if raw.dtype == np.bool_ or not np.issubdtype(raw.dtype, np.number):
        msg = f"{fn}: {name} must hold real numbers, got dtype {raw.dtype}"
        raise TypeError(msg)
    if np.iscomplexobj(raw):
        msg = f"{fn}: {name} must hold real numbers, got dtype {raw.dtype}"
        raise TypeError(msg)
    w = np.full(n, raw, dtype=np.float64) if raw.ndim == 0 else raw.astype(np.float64)
    if w.shape != (n,):
        msg = (
            f"{fn}: {name} must have shape ({n},) (one weight per row of X), "
            f"got shape {raw.shape}"
        )
        raise ValueError(msg)
    bad = np.flatnonzero(~np.isfinite(w))
    if bad.size:
        msg = f"{fn}: {name} must be finite, got {w[bad[0]]} at index {bad[0]}"
        raise ValueError(msg)
    bad = np.flatnonzero(w < 0)
    if bad.size:
        msg = f"{fn}: {name} must be >= 0, got {w[bad[0]]} at index {bad[0]}"
        raise ValueError(msg)
    if positive_sum and not np.any(w > 0):
        msg = f"{fn}: {name} must have a positive sum, got {n} zero weights"
        raise ValueError(msg)
    return w


def training_weights(
    fn: str, w: NDArray[np.float64] | None, dt: np.dtype[Any]
) -> FloatArray | None:
    """The weights of the training rows scaled to mean 1 in ``dt``; None if all equal."""
    if w is None:
        return None
    total = float(np.sum(w))
    if total == 0:
        msg = (
            f"{fn}: sample_weight of the training rows must have a positive sum, got "
            "0 (the validation split held out every weighted row)"
        )
        raise ValueError(msg)
    if np.all(w == w[0]):
        return None
    out: FloatArray = (w * (w.shape[0] / total)).astype(dt)
    return out


def class_weights(
    fn: str,
    class_weight: Any,
    classes: NDArray[Any],
    y: NDArray[np.intp],
    *,
    chunk: bool,
) -> NDArray[np.float64] | None:
    """The weight of each class (in ``classes`` order), or None for no class_weight.

    ``y`` holds the class indices of the rows of the call (all of ``fit``'s
    rows, before any validation split, as scikit-learn's SGD does).
    ``"balanced"`` is scikit-learn's ``n_samples / (n_classes * count(c))``;
    a dict maps labels to weights (labels it lacks weigh 1). ``chunk``: a
    ``partial_fit`` call, where "balanced" would weigh by one chunk's counts.
    """
    if class_weight is None:
        return None
    k = classes.shape[0]
    if isinstance(class_weight, str) and class_weight == "balanced":
        if chunk:
            msg = (
                f"{fn}: class_weight='balanced' is not supported by partial_fit (one "
                "chunk's class counts); pass a dict, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight"
            )
            raise ValueError(msg)
        counts = np.bincount(y, minlength=k).astype(np.float64)
        balanced: NDArray[np.float64] = y.shape[0] / (k * counts)
        return balanced
    if not isinstance(class_weight, dict):
        msg = (
            f"{fn}: class_weight must be None, 'balanced' or a dict of label -> "
            f"weight, got {class_weight!r}"
        )
        raise (ValueError if isinstance(class_weight, str) else TypeError)(msg)
    out = np.ones(k)
    listed = classes.tolist()
    unknown = [label for label in class_weight if label not in listed]
    if unknown:
        msg = (
            f"{fn}: class_weight has labels {unknown!r} that are not among the "
            f"classes {listed!r}"
        )
        raise ValueError(msg)
    for label, weight in class_weight.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)):
            msg = f"{fn}: class_weight[{label!r}] must be a number, got {weight!r}"
            raise TypeError(msg)
        if not (np.isfinite(weight) and weight >= 0):
            msg = f"{fn}: class_weight[{label!r}] must be a finite number >= 0, got {weight!r}"
            raise ValueError(msg)
        out[listed.index(label)] = float(weight)
    return out


def combined(
    fn: str,
    w: NDArray[np.float64] | None,
    per_class: NDArray[np.float64] | None,
    y: NDArray[np.intp],
    *,
    positive_sum: bool = True,
) -> NDArray[np.float64] | None:
    """Each row's sample weight times its class's weight (either may be None);
    ``positive_sum`` as for :func:`check_sample_weight`."""
    if per_class is None:
        return w
    out = per_class[y] if w is None else w * per_class[y]
    if positive_sum and not np.any(out > 0):
        msg = f"{fn}: class_weight and sample_weight leave every row a weight of 0"
        raise ValueError(msg)
    return out


__all__ = ["check_sample_weight", "class_weights", "combined", "training_weights"]
