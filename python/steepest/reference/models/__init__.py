"""Reference model math (pure NumPy): the specification of the native models.

One module per model family, each with ``init_params``, ``loss_and_grad``
(objective and gradient of one batch) and prediction helpers:

* :mod:`.linear` - least squares, ``mean 0.5 * (y_hat - y)^2``;
* :mod:`.logistic` - binary sigmoid / multinomial softmax cross-entropy;
* :mod:`.mlp` - dense network, relu/tanh/sigmoid/identity hidden layers,
  cross-entropy or squared-error output.

Every objective is ``mean over the batch of the per-sample loss + R(W)`` with
the elastic-net penalty R of :mod:`._penalty` on the weights only (never on an
intercept or bias). :func:`steepest.reference.train.run_epoch` runs one epoch
of mini-batch descent over any of them.
"""

from __future__ import annotations

from . import linear, logistic, mlp
from ._activations import ACTIVATIONS
from ._init import INIT_KINDS

__all__ = ["ACTIVATIONS", "INIT_KINDS", "linear", "logistic", "mlp"]
