"""Reference model math (pure NumPy): the specification of the native models.

The math itself lives in the foundation package :mod:`steepest.nn` (the
estimators use it for weight init and predictions too); this package names it
as the reference twin of the C++ training loop. One module per model family,
each with ``init_params``, ``loss_and_grad`` (objective and gradient of one
batch) and prediction helpers:

* :mod:`steepest.nn.linear` - least squares, ``mean 0.5 * (y_hat - y)^2``;
* :mod:`steepest.nn.logistic` - binary sigmoid / multinomial softmax
  cross-entropy;
* :mod:`steepest.nn.mlp` - dense network, relu/tanh/sigmoid/identity hidden
  layers, cross-entropy or squared-error output.

:func:`steepest.reference.train.run_epoch` runs one epoch of mini-batch
descent over any of them.
"""

from __future__ import annotations

from ...nn import ACTIVATIONS, INIT_KINDS, linear, logistic, mlp

__all__ = ["ACTIVATIONS", "INIT_KINDS", "linear", "logistic", "mlp"]
