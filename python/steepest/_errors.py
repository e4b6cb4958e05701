"""Exceptions and warnings of steepest's training loops.

Imported lazily by :mod:`steepest` (``steepest.DivergenceError``,
``steepest.ConvergenceWarning``) because the warning derives from
scikit-learn's, and ``import steepest`` must not import scikit-learn.
"""

from __future__ import annotations

from sklearn.exceptions import (  # type: ignore[import-untyped]
    ConvergenceWarning as _SklearnConvergenceWarning,
)


class DivergenceError(FloatingPointError):
    """Training diverged: the loss or a parameter became NaN or infinite.

    A :class:`FloatingPointError` (hence an :class:`ArithmeticError`). Raised
    by the estimators' ``fit`` after the weights of the last completed epoch
    were restored, so the estimator stays usable; the message names the epoch
    and the learning rate. Lowering the learning rate is the usual cure.
    """


class ConvergenceWarning(_SklearnConvergenceWarning):  # type: ignore[misc]
    """``fit`` stopped at ``max_iter`` epochs before the ``tol`` rule was met.

    Derives from :class:`sklearn.exceptions.ConvergenceWarning`, so warning
    filters written for scikit-learn's estimators apply to steepest's too.
    """


__all__ = ["ConvergenceWarning", "DivergenceError"]
