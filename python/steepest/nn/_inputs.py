"""The model math's checks of its data: X, targets, labels, params, penalty.

Everything generic (numbers, ints, choices, dtypes, generators) is in
:mod:`steepest._checks`, whose message shape and exception rule these follow.
The models
never copy or convert an array silently: X, y and params must already have the
dtypes and shapes documented by each function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from numpy.typing import NDArray

from .. import _checks as v
from ..typing import FloatArray

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_X(fn: str, X: Any) -> FloatArray:
    """A non-empty 2-D float32/float64 ndarray (n_samples, n_features).

    Or a scipy.sparse CSR matrix or array of that dtype: the models' only
    products with X (``X @ W`` and ``X.T @ D``) are then scipy's sparse ones,
    O(nonzeros x width), and X is never densified.
    """
    if sp.issparse(X):
        if X.format != "csr":
            msg = f"{fn}: a sparse X must be CSR, got {X.format.upper()}"
            raise TypeError(msg)
    elif not isinstance(X, np.ndarray):
        msg = f"{fn}: X must be a numpy.ndarray, got {type(X).__name__}"
        raise TypeError(msg)
    if X.dtype not in _FLOAT_DTYPES:
        msg = f"{fn}: X has dtype {X.dtype}; expected float32 or float64"
        raise TypeError(msg)
    if X.ndim != 2:
        msg = f"{fn}: X must be 2-D (n_samples, n_features), got shape {X.shape}"
        raise ValueError(msg)
    if X.shape[0] == 0:
        msg = f"{fn}: X has 0 samples (empty batch)"
        raise ValueError(msg)
    out: FloatArray = X  # (or CSR: typed as the dense X it stands for)
    return out


def check_params(fn: str, params: Any, dtype: np.dtype[Any]) -> list[FloatArray]:
    """A list/tuple of ndarrays, each of ``dtype`` (the dtype of X)."""
    arrays, single = v.unpack(fn, "params", params)
    if single:
        msg = f"{fn}: params must be a list of arrays, got a single ndarray"
        raise TypeError(msg)
    for i, p in enumerate(arrays):
        if p.dtype != dtype:
            msg = f"{fn}: params[{i}] has dtype {p.dtype} but X has dtype {dtype}"
            raise TypeError(msg)
    return arrays


def check_count(
    fn: str, params: Sequence[FloatArray], expected: int, what: str
) -> None:
    if len(params) != expected:
        msg = f"{fn}: params must hold {expected} arrays ({what}), got {len(params)}"
        raise ValueError(msg)


def check_shape(
    fn: str, label: str, array: NDArray[Any], shape: tuple[int, ...], source: str = ""
) -> None:
    """``array.shape == shape``; ``source`` names what the shape follows from."""
    if array.shape != shape:
        whence = f" (from {source})" if source else ""
        msg = f"{fn}: {label} has shape {array.shape}; expected {shape}{whence}"
        raise ValueError(msg)


def check_target(
    fn: str, y: Any, shape: tuple[int, ...], dtype: np.dtype[Any]
) -> FloatArray:
    """Regression targets: an ndarray of the dtype of X and exactly ``shape``."""
    if not isinstance(y, np.ndarray):
        msg = f"{fn}: y must be a numpy.ndarray, got {type(y).__name__}"
        raise TypeError(msg)
    if y.dtype != dtype:
        msg = f"{fn}: y has dtype {y.dtype} but X has dtype {dtype}"
        raise TypeError(msg)
    check_shape(fn, "y", y, shape, "X and params")
    return y


def check_labels(fn: str, y: Any, n_samples: int, n_classes: int) -> NDArray[np.intp]:
    """Class indices: a 1-D integer (or bool) ndarray of length n, values in [0, K)."""
    if not isinstance(y, np.ndarray):
        msg = f"{fn}: y must be a numpy.ndarray, got {type(y).__name__}"
        raise TypeError(msg)
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
        msg = f"{fn}: y has dtype {y.dtype}; expected integer class indices"
        raise TypeError(msg)
    check_shape(fn, "y", y, (n_samples,), "X")
    labels = y.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        msg = (
            f"{fn}: y holds labels outside [0, {n_classes}) "
            f"(min {labels.min()}, max {labels.max()})"
        )
        raise ValueError(msg)
    return labels


def check_penalty(fn: str, alpha: Any, l1_ratio: Any) -> tuple[float, float]:
    alpha, l1_ratio = v.real(fn, "alpha", alpha), v.real(fn, "l1_ratio", l1_ratio)
    v.check_nonnegative(fn, "alpha", alpha)
    v.check_between(fn, "l1_ratio", l1_ratio, 0.0, 1.0, hi_open=False)
    return alpha, l1_ratio


def check_row_weights(
    fn: str, w: Any, n_samples: int, dtype: np.dtype[Any]
) -> FloatArray | None:
    """None, or per-row loss weights: an ndarray (n,) of the dtype of X.

    Their values are the caller's (the estimators check sign and finiteness).
    """
    if w is None:
        return None
    if not isinstance(w, np.ndarray):
        msg = f"{fn}: sample_weight must be None or a numpy.ndarray, got {type(w).__name__}"
        raise TypeError(msg)
    if w.dtype != dtype:
        msg = f"{fn}: sample_weight has dtype {w.dtype} but X has dtype {dtype}"
        raise TypeError(msg)
    check_shape(fn, "sample_weight", w, (n_samples,), "X")
    return w
