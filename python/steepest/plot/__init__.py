"""Figures: learning-rate schedules, learning curves, optimizer trajectories.

matplotlib (the optional extra ``plot``: ``pip install steepest[plot]``) is
imported only when a function here is called, with the Agg backend's canvas on
a standalone :class:`matplotlib.figure.Figure` (no pyplot state, no display
needed). Every function returns the figure and writes a PNG when given a path.
Each figure has a private module of its own; what they share is in
``_common``.

=========================  ====================================================
:func:`schedule`           learning rate against the step
:func:`learning_curve`     training loss (and validation score) per epoch
:func:`trajectories`       optimizer paths over the contours of a 2-D function
=========================  ====================================================
"""

from __future__ import annotations

from ._curves import learning_curve
from ._schedule import schedule
from ._trajectories import trajectories

__all__ = ["learning_curve", "schedule", "trajectories"]
