"""The optimizer classes bound to the NumPy reference backend.

Same classes, same signatures as :mod:`steepest.optim`; only the default
``backend`` differs, so state handling is shared and only the math is twinned.
"""

from __future__ import annotations

from ... import optim as _optim


class SGD(_optim.SGD):
    __doc__ = _optim.SGD.__doc__
    _default_backend = "reference"


class Adagrad(_optim.Adagrad):
    __doc__ = _optim.Adagrad.__doc__
    _default_backend = "reference"


class RMSprop(_optim.RMSprop):
    __doc__ = _optim.RMSprop.__doc__
    _default_backend = "reference"


class Adam(_optim.Adam):
    __doc__ = _optim.Adam.__doc__
    _default_backend = "reference"


class AdamW(_optim.AdamW):
    __doc__ = _optim.AdamW.__doc__
    _default_backend = "reference"


__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "RMSprop"]
