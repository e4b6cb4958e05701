"""Data-parallel MLP epoch: 1 process x 2 threads vs 2 processes x 1 thread.

    python bench/data_parallel.py [--rows 100000] [--batch 256] [--epochs 3] [--json]

The MLP case of issue 13 (100k x 100 -> 256, 128 -> 10, float32, Adam): one
epoch's throughput on one process with ``n_threads=2`` and batch B, then on
two gloo processes (launched here, one thread each) with batch B/2 each, so
both take the same steps. Each rank times its all-reduce calls (waiting for
the slower rank included) and, separately, a bare all-reduce of the same
buffer after a barrier (the interconnect alone). Prints a Markdown table and
the scaling model of the README's "Scaling out" section from these figures.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

import numpy as np

HIDDEN = (256, 128)


def data(rows: int, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, 100), dtype=np.float32)
    y = rng.integers(0, 10, rows)
    return X, y


def model(batch: int, threads: int) -> Any:
    import steepest

    return steepest.MLPClassifier(
        hidden_layer_sizes=HIDDEN, batch_size=batch, max_iter=1, tol=None,
        shuffle=True, random_state=0, dtype=np.float32, n_threads=threads,
        warm_start=True,
    )  # fmt: skip


def epochs(est: Any, X: Any, y: Any, n: int, comm: Any = None) -> list[float]:
    est.fit(X[:1000], y[:1000], comm=comm)  # warm-up: weights, imports, threads
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        est.fit(X, y, comm=comm)
        out.append(time.perf_counter() - t0)
    return out


def single(args: argparse.Namespace) -> dict[str, Any]:
    X, y = data(args.rows)
    two, one = [], []
    est2, est1 = model(args.batch, 2), model(args.batch, 1)
    for _ in range(args.epochs):  # interleaved: the machine's load drifts
        two += epochs(est2, X, y, 1)
        one += epochs(est1, X, y, 1)
    return {"epoch_s": min(two), "times": two, "epoch_1thread_s": min(one)}


def worker(args: argparse.Namespace) -> None:
    """One of the two ranks (run by :func:`parallel`)."""
    import torch.distributed as dist
    from steepest.distributed import TorchCommunicator

    rank, size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{os.environ['MASTER_PORT']}",
        rank=rank, world_size=size, timeout=timedelta(seconds=120),
    )  # fmt: skip

    class Timed(TorchCommunicator):
        seconds, calls = 0.0, 0

        def allreduce(self, buf: np.ndarray) -> None:
            t0 = time.perf_counter()
            super().allreduce(buf)
            Timed.seconds += time.perf_counter() - t0
            Timed.calls += 1

    comm = Timed()
    X, y = data(args.rows)
    shard = slice(rank * args.rows // size, (rank + 1) * args.rows // size)
    est = model(args.batch // size, 1)
    est.fit(X[:1000], y[:1000], comm=comm)
    times, reduce_s, calls = [], [], []
    for _ in range(args.epochs):
        Timed.seconds, Timed.calls = 0.0, 0
        t0 = time.perf_counter()
        est.fit(X[shard], y[shard], comm=comm)
        times.append(time.perf_counter() - t0)
        reduce_s.append(Timed.seconds)
        calls.append(Timed.calls)
    count = sum(p.size for p in est._params) + 1
    buf = np.zeros(count, dtype=np.float32)
    bare = []
    for _ in range(200):
        dist.barrier()
        t0 = time.perf_counter()
        comm.allreduce(buf)
        bare.append(time.perf_counter() - t0)
    tiny = []
    one = np.zeros(1, dtype=np.float32)
    for _ in range(200):
        dist.barrier()
        t0 = time.perf_counter()
        comm.allreduce(one)
        tiny.append(time.perf_counter() - t0)
    best = int(np.argmin(times))
    out = {
        "epoch_s": times[best], "times": times, "reduce_s": reduce_s[best],
        "steps": calls[best], "buffer_bytes": buf.nbytes,
        "bare_reduce_s": float(np.median(bare)), "latency_s": float(np.median(tiny)),
    }  # fmt: skip
    print(json.dumps(out), flush=True)
    os._exit(0)


def parallel(args: argparse.Namespace) -> list[dict[str, Any]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MASTER_PORT": str(port), "WORLD_SIZE": "2"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--worker", *sys.argv[1:]]
    procs = [
        subprocess.Popen(cmd, env={**env, "RANK": str(r)}, stdout=subprocess.PIPE)
        for r in range(2)
    ]
    return [
        json.loads(p.communicate()[0].decode().strip().splitlines()[-1]) for p in procs
    ]


def scaling(rows: int, batch: int, one: dict[str, Any], rank: dict[str, Any]) -> str:
    """Throughput of k machines from the measured compute per row and buffer size.

    Each machine keeps the measured per-process batch b (the global batch
    grows to k*b); a step is b rows of compute, t_c, plus one ring
    all-reduce of S bytes, ``t_r = 2(k-1) * alpha + 2(k-1)/k * S / beta``
    (alpha: latency, beta: bandwidth). Speed-up over one machine:
    ``k * t_c / (t_c + t_r)``.
    """
    b = batch // 2
    per_row = (rank["epoch_s"] - rank["reduce_s"]) / (rows / 2)  # one thread
    S = rank["buffer_bytes"]
    lines = [
        "| machines | interconnect | compute / step | all-reduce / step | share | speed-up |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for k in (8, 32, 128):
        for label, alpha, beta in (
            ("10 GbE (50 us, 1.25 GB/s)", 50e-6, 1.25e9),
            ("100 Gb IB (5 us, 12.5 GB/s)", 5e-6, 12.5e9),
        ):
            tc = per_row * b
            tr = 2 * (k - 1) * alpha + 2 * (k - 1) / k * S / beta
            lines.append(
                f"| {k} | {label} | {tc * 1e3:.2f} ms | {tr * 1e3:.2f} ms | "
                f"{tr / (tc + tr):.0%} | {k * tc / (tc + tr):.1f}x |"
            )
    head = (
        f"measured: {per_row * 1e6:.2f} us of compute per row on one thread, "
        f"{S / 1e3:.0f} KB buffer, {b} rows per machine and step; "
        f"one process x 2 threads {one['epoch_s']:.3f} s/epoch, "
        f"x 1 thread {one['epoch_1thread_s']:.3f} s/epoch"
    )
    return head + "\n\n" + "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=256, help="global batch")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
        return
    one = single(args)
    ranks = parallel(args)
    slow = max(ranks, key=lambda r: r["epoch_s"])
    if args.json:
        print(json.dumps({"single": one, "ranks": ranks}, indent=1))
        return
    print("| layout | epoch (s) | rows/s | all-reduce / step | all-reduce share |")
    print("|---|---:|---:|---:|---:|")
    for label, t in (
        ("2 threads", one["epoch_s"]),
        ("1 thread", one["epoch_1thread_s"]),
    ):
        print(f"| 1 process x {label} | {t:.3f} | {args.rows / t:.0f} | - | - |")
    per = slow["reduce_s"] / slow["steps"]
    print(
        f"| 2 processes x 1 thread | {slow['epoch_s']:.3f} | {args.rows / slow['epoch_s']:.0f} "
        f"| {per * 1e6:.0f} us | {slow['reduce_s'] / slow['epoch_s']:.0%} |"
    )
    print(
        f"\nbare all-reduce of {slow['buffer_bytes'] / 1e3:.0f} KB: "
        f"{slow['bare_reduce_s'] * 1e6:.0f} us; of 4 bytes: {slow['latency_s'] * 1e6:.0f} us "
        "(gloo over loopback, after a barrier)\n"
    )
    print(scaling(args.rows, args.batch, one, slow))


if __name__ == "__main__":
    main()
