"""NumPy model math: the objectives, gradients, weight init and predictions.

A foundation package (it imports nothing native): the estimators of
:mod:`steepest.models` use it for weight init and predictions, and
:mod:`steepest.reference.models` re-exports it as the specification the C++
training loop is tested against. One module per model family, each with
``init_params``, ``loss_and_grad`` (objective and gradient of one batch) and
prediction helpers:

* :mod:`.linear` - least squares, ``mean 0.5 * (y_hat - y)^2``;
* :mod:`.logistic` - binary sigmoid / multinomial softmax cross-entropy;
* :mod:`.mlp` - dense network, relu/tanh/sigmoid/identity hidden layers,
  cross-entropy or squared-error output.

Their parts: activations (:mod:`._activations`), losses (:mod:`._losses`), the
elastic-net penalty R (:mod:`._penalty`) on the weights only (never on an
intercept or bias), weight init (:mod:`._init`) and the checks of X, y and
params (:mod:`._inputs`). Every objective is ``mean over the batch of the
per-sample loss + R(W)``; :func:`steepest.reference.train.run_epoch` runs one
epoch of mini-batch descent over any of them.
"""

from __future__ import annotations

from . import linear, logistic, mlp
from ._activations import ACTIVATIONS
from ._init import INIT_KINDS

__all__ = ["ACTIVATIONS", "INIT_KINDS", "linear", "logistic", "mlp"]
