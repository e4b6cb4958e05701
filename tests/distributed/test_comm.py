"""The communicator layer on one process: interface, checks, global batches.

Twins: ``python/steepest/distributed/``. The collectives across processes
are tested in ``test_data_parallel.py``.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import steepest
from steepest import reference
from steepest.distributed import (
    Communicator,
    LocalCommunicator,
    allreduce_grads,
    as_communicator,
    broadcast_params,
    global_batches,
    reference_epoch,
)
from steepest.nn import mlp
from steepest.reference.train import run_epoch


class Doubling(Communicator):
    """Two identical processes, simulated: the sum is twice the buffer."""

    rank, size, timeout = 0, 2, 1.0

    def allreduce(self, buf: np.ndarray) -> None:
        buf *= 2


def test_importing_steepest_imports_no_engine() -> None:
    code = (
        "import sys, steepest, steepest.distributed, steepest.models; "
        "print(sorted(m for m in ('torch', 'mpi4py') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_as_communicator() -> None:
    local = LocalCommunicator()
    assert as_communicator(local) is local
    with pytest.raises(TypeError, match="as_communicator: comm must be a steepest"):
        as_communicator(3)
    with pytest.raises(
        ValueError, match="as_communicator: comm must be 'torch' or 'mpi', got 'nccl'"
    ):
        as_communicator("nccl")
    assert repr(local) == "LocalCommunicator(rank=0, size=1)"


def test_allgather_is_built_on_allreduce() -> None:
    class Two(Communicator):
        # rank 0 of two: the other process contributes what rank 1 would
        rank, size, timeout = 0, 2, 1.0

        def allreduce(self, buf: np.ndarray) -> None:
            other = np.zeros_like(buf)
            if buf.dtype == np.int64:
                other[1] = len(b"\x80\x05K\x07.")  # pickle of 7
            else:
                other[-len(b"\x80\x05K\x07.") :] = np.frombuffer(
                    b"\x80\x05K\x07.", dtype=np.uint8
                )
            buf += other

    assert Two().allgather({"a": [1, 2]}) == [{"a": [1, 2]}, 7]


def test_allreduce_grads() -> None:
    g = [np.array([1.0, 2.0]), np.array([[3.0]])]
    allreduce_grads(g, Doubling())  # (g + g) / 2
    np.testing.assert_array_equal(g[0], [1.0, 2.0])
    allreduce_grads(g, Doubling(), weight=3)  # (3g + 3g) / (3 + 3)
    np.testing.assert_array_equal(g[1], [[3.0]])
    with pytest.raises(TypeError, match=r"allreduce_grads: grads\[1\] must be float32"):
        allreduce_grads([np.zeros(2), np.zeros(2, np.float32)], Doubling())
    with pytest.raises(
        ValueError, match="allreduce_grads: weight must be a finite number > 0"
    ):
        allreduce_grads(g, Doubling(), weight=0)
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\[0\] must be writeable"):
        allreduce_grads([frozen], Doubling())


def test_broadcast_params() -> None:
    p = [np.array([1.0, -1.0])]
    broadcast_params(p, Doubling())  # rank 0's params, plus zeros from rank 1... twice
    np.testing.assert_array_equal(p[0], [2.0, -2.0])
    with pytest.raises(ValueError, match="broadcast_params: root must be a rank below"):
        broadcast_params(p, Doubling(), root=2)


@pytest.mark.parametrize(
    ("sizes", "batch", "want"),
    [
        ([40, 40], 8, [16] * 5),
        ([30, 20], 10, [20, 20, 10]),
        ([30, 5], 10, [15, 10, 10]),
        ([37, 23], None, [60]),
        ([3, 30], 10, [13, 10, 10]),  # batch above a shard: the whole shard
    ],
)
def test_global_batches(sizes: list[int], batch: int | None, want: list[int]) -> None:
    got = global_batches(sizes, batch)
    assert got.dtype == np.int64
    assert got.tolist() == want


def _mlp_problem(dtype: Any) -> tuple[Any, ...]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 4)).astype(dtype)
    y = rng.integers(0, 3, 50).astype(np.intp)
    params = mlp.init_params("xavier", 4, [5], 3, rng=rng, dtype=dtype)
    return X, y, params, functools.partial(mlp.loss_and_grad, activation="tanh")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_reference_epoch_on_one_process_is_the_plain_epoch(dtype: Any) -> None:
    X, y, params, lag = _mlp_problem(dtype)
    mine = [p.copy() for p in params]
    perm = np.random.default_rng(1).permutation(50)
    want = run_epoch(
        lag, params, X, y, perm, 16, reference.Adam(params, lr=0.01).step,
        alpha=1e-2, l1_ratio=0.3,
    )  # fmt: skip
    got = reference_epoch(
        lag, mine, X, y, perm, 16, reference.Adam(mine, lr=0.01).step,
        LocalCommunicator(), global_batches([50], 16), alpha=1e-2, l1_ratio=0.3,
    )  # fmt: skip
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    assert got == pytest.approx(want, rel=rtol)
    for a, b in zip(mine, params, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)


class Broken(LocalCommunicator):
    """Raises in the n-th all-reduce (as a peer's failure would)."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def allreduce(self, buf: np.ndarray) -> None:
        self.n -= 1
        if self.n == 0:
            msg = "the network went away"
            raise ConnectionError(msg)


@pytest.mark.parametrize("backend", ["native", "reference"])
def test_a_failing_allreduce_propagates_and_undoes_the_fit(backend: str) -> None:
    X, y = _mlp_problem(np.float64)[:2]
    est = steepest.MLPClassifier(
        hidden_layer_sizes=(5,), batch_size=8, max_iter=3, backend=backend,
        random_state=0, tol=None,
    )  # fmt: skip
    # the 7th all-reduce, the 6th batch's of the first epoch: before the
    # batches, only the weights' broadcast all-reduces (the allgathers of a
    # LocalCommunicator do not)
    with pytest.raises(ConnectionError, match="the network went away"):
        est.fit(X, y, comm=Broken(7))
    assert not hasattr(est, "n_iter_")


def _native_args(reduce: Any, batches: Any) -> list[Any]:
    from steepest.models._epoch import native_rule

    params = [np.zeros((3, 1)), np.zeros(1)]
    opt = steepest.SGD(params, lr=0.1)
    X = np.ones((10, 3))
    return [
        params, native_rule(opt), 0, None, 0.1, 1.0, X, np.ones(10),
        np.arange(10, dtype=np.int64), 4, "squared_error", "identity", 0.0, 0.0, 1,
        None, 0.0, -1, None, True, reduce, batches,  # no EMA, no sample weights
    ]  # fmt: skip


def test_native_epoch_checks_its_data_parallel_arguments() -> None:
    from steepest import _core

    with pytest.raises(TypeError, match="train_epoch: reduce must be callable or None"):
        _core.train_epoch(*_native_args(3, np.array([8, 8, 4])))
    with pytest.raises(ValueError, match="train_epoch: batches has shape"):
        _core.train_epoch(*_native_args(print, np.array([8, 8])))
    with pytest.raises(ValueError, match=r"batches\[2\] = 1 is below this process's 2"):
        _core.train_epoch(*_native_args(print, np.array([8, 8, 1])))
    seen: list[int] = []
    _, steps = _core.train_epoch(
        *_native_args(lambda buf: seen.append(buf.shape[0]), np.array([8, 8, 2, 2]))
    )
    # one flat buffer per global step (4 weights + the loss), a step with no
    # rows of this process included
    assert (steps, seen) == (4, [5, 5, 5, 5])
