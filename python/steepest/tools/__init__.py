"""Small optimisation-theory tools: checks, references and test functions.

NumPy only, for problems of a few to a few thousand parameters: gradient
checking, a backtracking line search and steepest descent with it,
:func:`minimize` (any steepest optimizer on a Python function), Newton's
method and closed-form least squares as references, and two-parameter test
functions for pictures (see :func:`steepest.plot.trajectories`).

Every descent method returns a :class:`MinimizeResult` with the whole path.

Examples
--------
>>> from steepest.tools import minimize, newton, rosenbrock
>>> rb = rosenbrock()
>>> newton(*rb, rb.start).x.round(6).tolist()
[1.0, 1.0]
>>> res = minimize(rb.f, rb.grad_f, rb.start, "adam", lr=0.02, max_steps=200)
>>> res.path.shape
(201, 2)
"""

from __future__ import annotations

from ._functions import Objective, quadratic_bowl, rosenbrock, saddle, two_minima
from ._gradcheck import GradcheckError, GradcheckResult, gradcheck
from ._line_search import GradientDescent, LineSearchResult, armijo
from ._minimize import OPTIMIZERS, minimize
from ._newton import LeastSquaresResult, least_squares, newton
from ._result import MinimizeResult

__all__ = [
    "OPTIMIZERS",
    "GradcheckError",
    "GradcheckResult",
    "GradientDescent",
    "LeastSquaresResult",
    "LineSearchResult",
    "MinimizeResult",
    "Objective",
    "armijo",
    "gradcheck",
    "least_squares",
    "minimize",
    "newton",
    "quadratic_bowl",
    "rosenbrock",
    "saddle",
    "two_minima",
]
