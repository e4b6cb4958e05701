"""One communicator interface, two engines: torch.distributed (gloo) and MPI.

Twins: none (thin adapters over the engines' collectives). Tests:
``tests/distributed/test_comm.py``.

A :class:`Communicator` has a ``rank``, a ``size`` and two collectives that
every process calls the same number of times in the same order:
``allreduce(buf)`` sums a float ndarray over the processes in place, and
``allgather(obj)`` returns every process's picklable object in rank order
(shard sizes, class labels: once per fit, never per batch; built on
``allreduce``, so an engine needs only that). Neither engine
is imported by ``import steepest``: a communicator imports its engine when it
is made.

Timeouts: ``timeout`` (seconds, default :data:`DEFAULT_TIMEOUT`) bounds the
wait of each collective. A process that raises and stays alive, or stops
calling the collectives, makes the others raise :class:`CommunicationError`
within it; a process that dies usually makes them raise at once (the
engine sees the connection close). The estimators' fits agree on errors
before training (``steepest.models._data_parallel.Agreeing``), so bad input
on one process fails every process at once.
"""

from __future__ import annotations

import math
import pickle
import time
from datetime import timedelta
from typing import Any

import numpy as np

from .. import _checks as v

#: seconds a collective waits for every process before raising
DEFAULT_TIMEOUT = 300.0


class CommunicationError(RuntimeError):
    """A collective failed: a process died, raised, or did not answer in time."""


class Communicator:
    """The interface: ``rank``, ``size``, ``allreduce(buf)``, ``allgather(obj)``.

    Subclass it to plug another engine in; the estimators and
    :func:`steepest.distributed.allreduce_grads` use nothing else.
    """

    rank: int
    size: int
    timeout: float

    def allreduce(self, buf: np.ndarray) -> None:
        """Sum ``buf`` over the processes, in place.

        ``buf`` is C-contiguous, 1-D, float32, float64, int64 or uint8.
        """
        raise NotImplementedError

    def allgather(self, obj: Any) -> list[Any]:
        """Every process's ``obj`` (picklable), in rank order.

        Two all-reduces (the pickles' lengths, then the pickles, each process
        writing its own slice of zeros), so it shares their timeout.
        """
        data = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
        lengths = np.zeros(self.size, dtype=np.int64)
        lengths[self.rank] = data.shape[0]
        self.allreduce(lengths)
        ends = np.cumsum(lengths)
        buf = np.zeros(int(ends[-1]), dtype=np.uint8)
        buf[ends[self.rank] - data.shape[0] : ends[self.rank]] = data
        self.allreduce(buf)
        starts = ends - lengths
        return [
            pickle.loads(buf[a:b].tobytes())
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(rank={self.rank}, size={self.size})"


class LocalCommunicator(Communicator):
    """One process alone (rank 0 of 1): the collectives return their input.

    For code written once for k processes and run on one, and for tests.
    """

    def __init__(self) -> None:
        self.rank, self.size, self.timeout = 0, 1, DEFAULT_TIMEOUT

    def allreduce(self, buf: np.ndarray) -> None:
        pass

    def allgather(self, obj: Any) -> list[Any]:
        return [obj]


def _timeout(fn: str, timeout: Any) -> float:
    t = v.real(fn, "timeout", DEFAULT_TIMEOUT if timeout is None else timeout)
    if not (t > 0 and math.isfinite(t)):
        msg = f"{fn}: timeout must be a positive number of seconds, got {timeout!r}"
        raise ValueError(msg)
    return t


def _failed(
    what: str, comm: Communicator, err: BaseException | None
) -> CommunicationError:
    why = (
        f"no answer from every process within timeout={comm.timeout:g} s"
        if err is None
        else f"{type(err).__name__}: {err}"
    )
    msg = (
        f"{what}: the collective failed on rank {comm.rank} of {comm.size} ({why}); "
        "another process raised, died or stopped calling the collectives"
    )
    return CommunicationError(msg)


class TorchCommunicator(Communicator):
    """``torch.distributed`` (a CPU backend such as gloo) as a communicator.

    Parameters
    ----------
    group : ProcessGroup or None
        None: the default group (``torch.distributed.init_process_group``
        must have been called, e.g. under ``torchrun``).
    timeout : float or None
        Seconds each collective waits (None: :data:`DEFAULT_TIMEOUT`).
    """

    def __init__(self, group: Any = None, *, timeout: float | None = None) -> None:
        fn = "TorchCommunicator"
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            msg = (
                f"{fn}: torch.distributed must be initialised first, got no "
                "process group (call torch.distributed.init_process_group('gloo'))"
            )
            raise ValueError(msg)
        self._dist, self.group = dist, group
        self.rank = int(dist.get_rank(group))
        self.size = int(dist.get_world_size(group))
        self.timeout = _timeout(fn, timeout)

    def allreduce(self, buf: np.ndarray) -> None:
        import torch

        try:
            work = self._dist.all_reduce(
                torch.from_numpy(buf), group=self.group, async_op=True
            )
            done = work.wait(timeout=timedelta(seconds=self.timeout))
        except RuntimeError as err:
            failure = _failed("allreduce", self, err)
            raise failure from err
        if done is False:
            failure = _failed("allreduce", self, None)
            raise failure


class MPICommunicator(Communicator):
    """An ``mpi4py`` communicator (launched by ``mpiexec``) as a communicator.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm or None
        None: ``MPI.COMM_WORLD``.
    timeout : float or None
        Seconds each all-reduce waits (None: :data:`DEFAULT_TIMEOUT`); the
        all-reduce is non-blocking and polled, so a missing process raises
        :class:`CommunicationError` instead of hanging.
    """

    def __init__(self, comm: Any = None, *, timeout: float | None = None) -> None:
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = int(self.comm.Get_rank())
        self.size = int(self.comm.Get_size())
        self.timeout = _timeout("MPICommunicator", timeout)

    def _wait(self, what: str, req: Any) -> None:
        deadline = time.monotonic() + self.timeout
        spins = 0
        while not req.Test():
            spins += 1
            if spins > 200:
                # past the first polls the wait is not a short one: yield the core
                if time.monotonic() > deadline:
                    failure = _failed(what, self, None)
                    raise failure
                time.sleep(1e-4)

    def allreduce(self, buf: np.ndarray) -> None:
        self._wait("allreduce", self.comm.Iallreduce(self._mpi.IN_PLACE, buf))


def as_communicator(comm: Any, *, timeout: float | None = None) -> Communicator:
    """A :class:`Communicator` from what a user passes as ``comm``.

    Accepts a :class:`Communicator` (returned as is), a torch
    ``ProcessGroup``, an ``mpi4py`` communicator, or the strings ``"torch"``
    (the default process group) and ``"mpi"`` (``MPI.COMM_WORLD``).
    """
    fn = "as_communicator"
    if isinstance(comm, Communicator):
        return comm
    if isinstance(comm, str):
        name = v.choice(fn, "comm", comm, ("torch", "mpi"))
        if name == "torch":
            return TorchCommunicator(timeout=timeout)
        return MPICommunicator(timeout=timeout)
    module = type(comm).__module__ or ""
    if module.startswith("mpi4py"):
        return MPICommunicator(comm, timeout=timeout)
    if module.startswith("torch"):
        return TorchCommunicator(comm, timeout=timeout)
    msg = (
        f"{fn}: comm must be a steepest.distributed.Communicator, a torch "
        f"ProcessGroup, an mpi4py communicator, 'torch' or 'mpi', got "
        f"{type(comm).__name__}"
    )
    raise TypeError(msg)


__all__ = [
    "DEFAULT_TIMEOUT",
    "CommunicationError",
    "Communicator",
    "LocalCommunicator",
    "MPICommunicator",
    "TorchCommunicator",
    "as_communicator",
]
