"""Class labels of the classifiers: the checks and the encoding to indices.

Used by :mod:`._base` for ``y`` of fit and partial_fit and for validation
data. Tests: ``tests/models/test_estimator_base.py``,
``tests/models/test_partial_fit.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def at_least_two_classes(fn: str, classes: NDArray[Any]) -> None:
    """ValueError unless there are 2 classes or more (nothing to learn from one)."""
    if classes.shape[0] < 2:
        msg = (
            f"{fn}: y must hold at least 2 classes to learn from; got "
            f"{classes.shape[0]} class: {classes.tolist()!r}"
        )
        raise ValueError(msg)


def encode_labels(
    fn: str, classes: NDArray[Any], y: Any, what: str
) -> NDArray[np.intp]:
    """Indices of the labels ``y`` in the sorted ``classes``; ValueError for others."""
    y = np.asarray(y)
    try:
        pos = np.minimum(np.searchsorted(classes, y), classes.shape[0] - 1)
        ok = y.ndim == 1 and bool(np.all(classes[pos] == y))
    except (TypeError, ValueError):  # labels not comparable with the classes
        ok = False
    if not ok:
        msg = (
            f"{fn}: {what} holds labels that are not among the classes "
            f"{classes.tolist()!r}"
        )
        raise ValueError(msg)
    return np.ascontiguousarray(pos, dtype=np.intp)


__all__ = ["at_least_two_classes", "encode_labels"]
