"""Argument checks of the reference models and the reference epoch loop.

Messages follow the house shape ``"<function>: <argument> <what was expected,
what was got>"``; scalar checks reuse :mod:`steepest._checks`. The models
never copy or convert an array silently: X, y and params must already have the
dtypes and shapes documented by each function.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ... import _checks as v
from ...typing import FloatArray

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_X(fn: str, X: Any) -> FloatArray:
    """A non-empty 2-D float32/float64 ndarray (n_samples, n_features)."""
    if not isinstance(X, np.ndarray):
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
    return X


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
    fn: str, label: str, array: NDArray[Any], shape: tuple[int, ...]
) -> None:
    if array.shape != shape:
        msg = f"{fn}: {label} has shape {array.shape}; expected {shape}"
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
    if y.shape != shape:
        msg = f"{fn}: y has shape {y.shape}; expected {shape} (from X and params)"
        raise ValueError(msg)
    return y


def check_labels(fn: str, y: Any, n_samples: int, n_classes: int) -> NDArray[np.intp]:
    """Class indices: a 1-D integer (or bool) ndarray of length n, values in [0, K)."""
    if not isinstance(y, np.ndarray):
        msg = f"{fn}: y must be a numpy.ndarray, got {type(y).__name__}"
        raise TypeError(msg)
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_):
        msg = f"{fn}: y has dtype {y.dtype}; expected integer class indices"
        raise TypeError(msg)
    if y.shape != (n_samples,):
        msg = f"{fn}: y has shape {y.shape}; expected ({n_samples},) (from X)"
        raise ValueError(msg)
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
    v.check_between(
        fn, "l1_ratio", l1_ratio, 0.0, 1.0, hi_open=False, interval="[0, 1]"
    )
    return alpha, l1_ratio


def check_choice(fn: str, name: str, value: Any, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        msg = f"{fn}: {name} must be one of {options}; got {value!r}"
        raise ValueError(msg)
    return value


def check_size(fn: str, name: str, value: Any, minimum: int = 1) -> int:
    """An int (not bool) >= minimum."""
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        n = operator.index(value)
    except TypeError:
        msg = f"{fn}: {name} must be an int, got {type(value).__name__}"
        raise TypeError(msg) from None
    if n < minimum:
        msg = f"{fn}: {name} must be >= {minimum}, got {n}"
        raise ValueError(msg)
    return n


def check_dtype(fn: str, dtype: Any) -> np.dtype[Any]:
    try:
        dt: np.dtype[Any] = np.dtype(dtype)
    except TypeError:
        dt = np.dtype(np.object_)
    if dt not in _FLOAT_DTYPES:
        msg = f"{fn}: dtype must be float32 or float64, got {dtype!r}"
        raise TypeError(msg)
    return dt


def check_rng(fn: str, rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        msg = (
            f"{fn}: rng must be a numpy.random.Generator "
            f"(numpy.random.default_rng(seed)), got {type(rng).__name__}"
        )
        raise TypeError(msg)
    return rng
