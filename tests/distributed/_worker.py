"""One process of a data-parallel test run (launched k times by ``_launch.py``).

Usage: ``python _worker.py ENGINE MODE OUTDIR`` with ENGINE ``torch`` (rank
and size from the environment, gloo over localhost) or ``mpi`` (under
``mpiexec``). Writes ``OUTDIR/rank<r>.pkl``: a dict of what the test checks.
Twins: ``python/steepest/distributed/``, ``python/steepest/models/_data_parallel.py``.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import _cases as cs
import _sgd_cases as sc
import steepest
from steepest import distributed as sd
from steepest.models import _data_parallel as dp

BACKENDS = ("native", "reference")
CLASS_DICT = {0: 2.0, 2: 0.5}


def connect(engine: str, timeout: float) -> sd.Communicator:
    if engine == "torch":
        import torch.distributed as dist

        dist.init_process_group(
            "gloo",
            init_method=f"tcp://127.0.0.1:{os.environ['MASTER_PORT']}",
            rank=int(os.environ["RANK"]),
            world_size=int(os.environ["WORLD_SIZE"]),
            timeout=timedelta(seconds=60),
        )
        return sd.TorchCommunicator(timeout=timeout)
    return sd.MPICommunicator(timeout=timeout)


def result_of(est: Any) -> dict[str, Any]:
    return {
        "params": [p.copy() for p in est._params],
        "public": [p.copy() for p in est._public_params()],  # e.g. the EMA
        "loss_curve": list(est.loss_curve_),
        "scores": est.validation_scores_,
        "n_iter": est.n_iter_,
        "t": est.t_,
        "state": {k: [a.copy() for a in v] for k, v in est._optimizer.state.items()},
    }


def run_cases(comm: sd.Communicator) -> dict[str, Any]:
    out: dict[str, Any] = {}
    k, r = comm.size, comm.rank
    for case in cs.CASES:
        X, y = cs.shards(case, k)[r]
        val = cs.validation(case, k)[r] if case.validation else None
        sw = cs.weights(case, k)[r]
        for backend in BACKENDS:
            est = cs.estimator(case, backend=backend)
            est.fit(X, y, sw, validation_data=val, comm=comm)
            out[f"{case.name}/{backend}"] = result_of(est)
        if case.weighted:
            # the weighted validation score of shards of the seed-1 rows
            Xv, yv = cs.shards(case, k, seed=1)[r]
            dt = est._params[0].dtype
            Xv, yv = est._training_data(Xv, yv, dt, reset=False)
            yv = cs.encoded(est, yv)
            out[f"score/{case.name}"] = dp.score(est, comm, est._params, Xv, yv, sw)
            out[f"score_params/{case.name}"] = [p.copy() for p in est._params]
    # weighted partial_fit, and class weights of a dict
    for key, name, more in (
        ("weighted_partial", "weighted_linear", {}),
        ("class_dict_partial", "l1_prox", {"classes": [0, 1, 2]}),
    ):
        case = cs.BY_NAME[name]
        X, y = cs.shards(case, k)[r]
        sw = cs.weights(case, k)[r]
        for backend in BACKENDS:
            kw = {"class_weight": CLASS_DICT} if more else {}
            est = cs.estimator(case, backend=backend, **kw)
            for _ in range(2):
                est.partial_fit(X, y, sample_weight=sw, comm=comm, **more)
            out[f"{key}/{backend}"] = result_of(est)
    # divergence: every process stops at the same epoch with the same error
    case = cs.BY_NAME["linear"]
    X, y = cs.shards(case, k)[r]
    for backend in BACKENDS:
        est = cs.estimator(
            case, backend=backend, learning_rate=1e3, optimizer="sgd", max_iter=50
        )
        try:
            est.fit(X, y, comm=comm)
            out[f"diverge/{backend}"] = "no error"
        except steepest.DivergenceError as err:
            out[f"diverge/{backend}"] = (str(err), est.n_iter_, est.coef_.copy())
    # partial_fit, and a checkpoint written by rank 0 resumed on every process
    case = cs.BY_NAME["softmax"]
    X, y = cs.shards(case, k)[r]
    classes = [0, 1, 2]
    for backend in BACKENDS:
        straight = cs.estimator(case, backend=backend)
        for _ in range(4):
            straight.partial_fit(X, y, classes=classes, comm=comm)
        first = cs.estimator(case, backend=backend)
        for _ in range(2):
            first.partial_fit(X, y, classes=classes, comm=comm)
        path = Path(os.environ["STEEPEST_DP_OUT"]) / f"checkpoint-{backend}.pkl"
        if r == 0:
            path.write_bytes(pickle.dumps(first))
        comm.allgather(None)  # the file is written
        resumed = pickle.loads(path.read_bytes())
        for _ in range(2):
            resumed.partial_fit(X, y, comm=comm)
        out[f"partial/{backend}"] = result_of(straight)
        out[f"resumed/{backend}"] = result_of(resumed)
    # the functional helpers
    rng = np.random.default_rng(r)
    params = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    sd.broadcast_params(params, comm)
    grads = [np.full((3, 2), float(r + 1)), np.full(2, -float(r + 1))]
    sd.allreduce_grads(grads, comm, weight=r + 1)
    mean = [np.full((2,), float(r + 1), dtype=np.float32)]
    sd.allreduce_grads(mean, comm)
    out["functional"] = {"params": params, "grads": grads, "mean": mean}
    return out


def run_sgd(comm: sd.Communicator) -> dict[str, Any]:
    """SGDClassifier / SGDRegressor with comm, and a rank whose weights are all 0."""
    out: dict[str, Any] = {}
    k, r = comm.size, comm.rank
    for case in sc.SGD_CASES:
        X, y, sw = sc.sgd_shard(case, k, r)
        for backend in BACKENDS:
            est = sc.sgd_estimator(case, backend=backend)
            est.fit(X, y, sample_weight=sw, comm=comm)
            out[f"{case.name}/{backend}"] = sc.sgd_result(est)
    # partial_fit over 2 calls, then a checkpoint of rank 0 resumed everywhere
    for name, more in (("log_ovr", {"classes": [0, 1, 2]}), ("huber", {})):
        case = sc.SGD_BY_NAME[name]
        X, y, sw = sc.sgd_shard(case, k, r)
        # partial_fit takes no "balanced"
        kw = {"class_weight": None} if more else {}
        for backend in BACKENDS:
            est = sc.sgd_estimator(case, backend=backend, **kw)
            for _ in range(2):
                est.partial_fit(X, y, sample_weight=sw, comm=comm, **more)
            out[f"partial/{name}/{backend}"] = sc.sgd_result(est)
            path = Path(os.environ["STEEPEST_DP_OUT"]) / f"sgd-{name}-{backend}.pkl"
            if r == 0:
                path.write_bytes(pickle.dumps(est))
            comm.allgather(None)  # the file is written
            resumed = pickle.loads(path.read_bytes())
            for _ in range(2):
                resumed.partial_fit(X, y, sample_weight=sw, comm=comm)
                est.partial_fit(X, y, sample_weight=sw, comm=comm)
            out[f"resumed/{name}/{backend}"] = sc.sgd_result(resumed)
            out[f"straight/{name}/{backend}"] = sc.sgd_result(est)
    # rank 0's weights all 0: it trains and adds nothing; all 0 everywhere:
    # the same error on every process
    for case in sc.ZERO_CASES:
        X, y = cs.shards(case, k)[r]
        sw = sc.zero_weights(case, k)[r]
        for backend in BACKENDS:
            est = sc.sgd_estimator(case, backend=backend)
            est.fit(X, y, sample_weight=sw, comm=comm)
            out[f"{case.name}/{backend}"] = sc.sgd_result(est)
        try:
            sc.sgd_estimator(case).fit(X, y, sample_weight=0 * sw, comm=comm)
            out[f"{case.name}/all_zero"] = "no error"
        except ValueError as err:
            out[f"{case.name}/all_zero"] = str(err)
    # fit's classes_: the union, though rank 0's shard lacks class 2
    case = sc.SGD_BY_NAME["log_ovr"]
    X, y, _ = sc.sgd_shard(case, k, r)
    if r == 0:
        X, y = X[y != 2], y[y != 2]
    est = sc.sgd_estimator(case, class_weight=None).fit(X, y, comm=comm)
    out["union"] = (sorted(np.unique(y).tolist()), sc.sgd_result(est))
    # partial_fit's classes must agree; a label outside them fails everywhere
    case = sc.SGD_BY_NAME["log_ovr"]
    X, y, _ = sc.sgd_shard(case, k, r)
    last = r == k - 1
    for key, classes in (("classes_differ", [0, 1, 2, 3][: 3 + last]),
                         ("label_outside", [0, 1, 2])):  # fmt: skip
        if key == "label_outside" and last:
            y = np.where(np.arange(y.shape[0]) == 0, 5, y)
        try:
            sc.sgd_estimator(case, class_weight=None).partial_fit(
                X, y, classes=classes, comm=comm
            )
            out[key] = "no error"
        except ValueError as err:
            out[key] = str(err)
    return out


class FailingComm(sd.Communicator):
    """Passes collectives on until the n-th all-reduce, which raises (or dies)."""

    def __init__(self, inner: sd.Communicator, n: int, die: bool) -> None:
        self.inner, self.n, self.die = inner, n, die
        self.rank, self.size, self.timeout = inner.rank, inner.size, inner.timeout

    def allreduce(self, buf: np.ndarray) -> None:
        self.n -= 1
        if self.n == 0:
            if self.die:
                os._exit(3)
            msg = "this process failed mid-epoch"
            raise ArithmeticError(msg)
        self.inner.allreduce(buf)

    def allgather(self, obj: Any) -> list[Any]:
        return self.inner.allgather(obj)


class ReadyComm(sd.Communicator):
    """Passes collectives on; at the n-th all-reduce writes ``ready`` (this
    process's pid), for the test to send it SIGINT (Ctrl-C) mid-fit."""

    def __init__(self, inner: sd.Communicator, n: int) -> None:
        self.inner, self.n = inner, n
        self.rank, self.size, self.timeout = inner.rank, inner.size, inner.timeout

    def allreduce(self, buf: np.ndarray) -> None:
        self.n -= 1
        if self.n == 0:
            ready = Path(os.environ["STEEPEST_DP_OUT"], "ready")
            ready.with_suffix(".tmp").write_text(str(os.getpid()))
            ready.with_suffix(".tmp").rename(ready)
        self.inner.allreduce(buf)

    def allgather(self, obj: Any) -> list[Any]:
        return self.inner.allgather(obj)


def run_failure(comm: sd.Communicator, mode: str) -> dict[str, Any]:
    """Rank size-1 fails (``fail_start``: NaN in X; ``fail_features``: one
    more column in X; ``fail_mid``: raises in the 40th all-reduce, past the
    setup; ``die``: exits there; ``sigint``: gets SIGINT from the test
    mid-fit); every rank reports what it raised. A ``_sgd`` suffix trains an
    SGDClassifier instead of an MLPClassifier."""
    sgd = mode.endswith("_sgd")
    mode = mode.removesuffix("_sgd")
    case = cs.BY_NAME["mlp_classifier"]
    X, y = cs.shards(case, comm.size)[comm.rank]
    me: sd.Communicator = comm
    last = comm.rank == comm.size - 1
    if last and mode == "fail_start":
        X = X.copy()
        X[0, 0] = np.nan
    if last and mode == "fail_features":
        X = np.hstack([X, X[:, :1]])
    if last and mode in ("fail_mid", "die"):
        me = FailingComm(comm, 40, die=mode == "die")
    # long enough that SIGINT arrives mid-fit
    epochs = 5000 if mode == "sigint" else 50
    if last and mode == "sigint":
        me = ReadyComm(comm, 20)
    if sgd:
        est = steepest.SGDClassifier(loss="log_loss", batch_size=8, max_iter=epochs,
                                     tol=None, shuffle=False)  # fmt: skip
    else:
        est = cs.estimator(case, backend="native", max_iter=epochs)
    t0 = time.monotonic()
    try:
        est.fit(X, y, comm=me)
        got: Any = "no error"
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - the test reads which one
        got = (type(err).__name__, str(err))
    # SGD*: a failed fit leaves the estimator unfitted, on every process
    return {"error": got, "seconds": time.monotonic() - t0,
            "fitted": hasattr(est, "coef_") if sgd else None}  # fmt: skip


def main() -> None:
    engine, mode, outdir = sys.argv[1:4]
    os.environ["STEEPEST_DP_OUT"] = outdir
    # a bad input on one rank must fail the others at once: a timeout long
    # past the setup's seconds tells "at once" from "at the timeout"
    bad_input = mode.removesuffix("_sgd") in ("fail_start", "fail_features")
    timeout = 60.0 if mode in ("cases", "sgd") else 30.0 if bad_input else 3.0
    comm = connect(engine, timeout)
    if mode.startswith("sigint"):
        # a Ctrl-C reaches Python as KeyboardInterrupt (mpiexec may have
        # set SIGINT to be ignored in the processes it starts)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if mode == "cases":
            out = run_cases(comm)
        elif mode == "sgd":
            out = run_sgd(comm)
        else:
            out = run_failure(comm, mode)
    except Exception:  # noqa: BLE001 - reported to the test, which fails on it
        out = {"crash": traceback.format_exc()}
    out["rank"], out["size"] = comm.rank, comm.size
    Path(outdir, f"rank{comm.rank}.pkl").write_bytes(pickle.dumps(out))
    if mode not in ("cases", "sgd"):
        # the failed process stays alive past the others' timeout (a process
        # that exits early makes the engine, not the timeout, stop the rest)
        # (bad input: the agreement is over when it raises; a short grace
        # lets the engine deliver its last message before the exit)
        stay = 2.0 if bad_input else comm.timeout + 2.0
        time.sleep(stay if comm.rank == comm.size - 1 else 0.0)
    sys.stdout.flush()
    os._exit(0)  # no engine finalisation: a broken group could hang in it


if __name__ == "__main__":
    main()
