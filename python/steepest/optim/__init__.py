"""Optimizer classes over the functional layer, with torch.optim's names."""

from __future__ import annotations

from ._base import Optimizer
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]
