"""scikit-learn estimators trained by steepest's optimizers.

:class:`LinearRegression`, :class:`LogisticRegression`,
:class:`MLPClassifier` and :class:`MLPRegressor` follow the scikit-learn
estimator API (``fit`` / ``predict`` / ``score``, ``get_params``, pipelines,
cross-validation). Each epoch runs in C++ (``backend="native"``) or NumPy
(``backend="reference"``) through :func:`._epoch.run_epoch`; predictions use
the NumPy model math of :mod:`steepest.nn`.

This package imports scikit-learn; ``import steepest`` does not (the names
are reached lazily as ``steepest.LinearRegression`` etc.).
"""

from __future__ import annotations

from .._errors import ConvergenceWarning, DivergenceError
from .linear import LinearRegression
from .logistic import LogisticRegression
from .mlp import MLPClassifier, MLPRegressor
from .sgd import SGDClassifier, SGDRegressor

__all__ = [
    "ConvergenceWarning",
    "DivergenceError",
    "LinearRegression",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "SGDClassifier",
    "SGDRegressor",
]
