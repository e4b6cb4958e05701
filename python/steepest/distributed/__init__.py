"""Synchronous data-parallel training over torch.distributed (gloo) or MPI.

k processes each hold a shard of the rows and train one model: per batch
each computes the gradient of its rows, one flat buffer is summed over the
processes (all-reduce), and each applies the identical optimizer step, so all
end with the same weights and optimizer state. With ``batch_size=b`` one step
sees the k*b rows of the k processes' batches, with the loss normalisation,
penalty and learning rate of one process with batch k*b.

* Estimators: ``est.fit(X_shard, y_shard, comm=...)`` and
  ``est.partial_fit(..., comm=...)`` (see the README, "Scaling out").
* Functional layer: :func:`allreduce_grads` before ``opt.step`` and
  :func:`broadcast_params` once (recipe in :mod:`._grads`).
* ``comm``: a torch ``ProcessGroup`` (gloo), an ``mpi4py`` communicator,
  ``"torch"`` / ``"mpi"`` for the default group / ``COMM_WORLD``, or a
  :class:`Communicator`. The engines are the optional extras ``torch`` and
  ``mpi`` (``pip install steepest[mpi]`` brings mpi4py and MPICH); neither is
  imported until a communicator is made.
* Every collective waits at most ``timeout`` seconds
  (:data:`DEFAULT_TIMEOUT`; ``as_communicator(comm, timeout=...)``), then
  raises :class:`CommunicationError`.
"""

from __future__ import annotations

from ._comm import (
    DEFAULT_TIMEOUT,
    CommunicationError,
    Communicator,
    LocalCommunicator,
    MPICommunicator,
    TorchCommunicator,
    as_communicator,
)
from ._epoch import global_batches, reference_epoch
from ._grads import allreduce_grads, broadcast_params

__all__ = [
    "DEFAULT_TIMEOUT",
    "CommunicationError",
    "Communicator",
    "LocalCommunicator",
    "MPICommunicator",
    "TorchCommunicator",
    "allreduce_grads",
    "as_communicator",
    "broadcast_params",
    "global_batches",
    "reference_epoch",
]
