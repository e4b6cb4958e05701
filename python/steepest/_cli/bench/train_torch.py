"""torch's side of the training benchmark: MLP epochs in a process of its own.

For the reason given in :mod:`steepest._cli.bench.torch_worker` (steepest's
``OMP_WAIT_POLICY=passive`` would slow torch's parallel regions), the train
section runs torch in a child process started by path with ``python -P``, so
this file imports nothing of steepest: only numpy, and torch by name. The
child (``--serve``) keeps torch's Adam variants and times one epoch of one
of them per request, so that its turns interleave with the parent's
contenders (:func:`serve`; the parent's end: :class:`TorchTrainer`).

The parent imports this module as ``steepest._cli.bench.train_torch`` too, for
:func:`mlp_data` and :func:`time_epochs`, so that both processes train on
the same data and time an epoch alike.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")

# name: the keyword arguments of torch.optim.Adam besides lr
ADAM_VARIANTS: dict[str, dict[str, bool]] = {
    "torch Adam": {},  # on CPU torch's default is the single-tensor for-loop
    "torch Adam fused": {"fused": True},
}
# the epoch's GEMMs alone through torch's own BLAS: what its epoch is built on
TORCH_GEMMS = "torch GEMMs only"


def mlp_data(
    n: int, n_features: int, n_classes: int, seed: int
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    """``n`` standard-normal float32 rows and labels from a random linear teacher.

    A teacher (argmax of a random linear map) rather than random labels gives
    the network something to learn, so a diverging run would show in the loss.
    Deterministic in ``seed``: parent and torch process build the same data.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_features), dtype=np.float32)
    teacher = rng.standard_normal((n_features, n_classes), dtype=np.float32)
    y = np.argmax(X @ teacher, axis=1).astype(np.intp)
    return X, y


def time_epochs(
    epoch: Callable[[], T],
    repeats: int,
    warmup: Callable[[], object] | None = None,
) -> tuple[float, T]:
    """Median wall seconds of ``repeats`` calls of ``epoch``, and its last result.

    ``warmup`` (default: ``epoch`` itself) runs once, untimed: it takes the
    first touches of the data and workspaces and any one-off set-up, such as
    a first ``partial_fit`` that is told the classes. The garbage collector
    is off while timing, as in :mod:`timeit`.

    Parameters
    ----------
    epoch : callable
        One epoch; its result (a loss, a fitted estimator) is passed back.
    repeats : int
        Epochs timed (at least one).
    warmup : callable, optional
        The untimed first call.

    Returns
    -------
    seconds : float
        The median of the timed epochs.
    last
        What the last timed ``epoch()`` returned.
    """
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        (warmup or epoch)()
        samples = []
        for _ in range(max(1, repeats)):
            start = time.perf_counter()
            last = epoch()
            samples.append(time.perf_counter() - start)
    finally:
        if gc_enabled:
            gc.enable()
    return statistics.median(samples), last


# -- the child ---------------------------------------------------------------


def torch_epoch(
    torch: Any,
    flags: dict[str, bool],
    X: NDArray[np.float32],
    y: NDArray[np.intp],
    hidden: Sequence[int],
    n_classes: int,
    batch: int,
    lr: float,
    seed: int,
) -> Callable[[], float] | None:
    """One epoch of a fresh ``nn.Sequential`` MLP under ``torch.optim.Adam``.

    Batches come from ``torch.randperm``, drawn inside the epoch as the
    native loop's permutation is. None when torch has no such variant on CPU.
    """
    nn = torch.nn
    torch.manual_seed(seed)
    if X.dtype == np.float64:
        torch.set_default_dtype(torch.float64)  # the layers' params follow X
    layers: list[Any] = []
    fan_in = X.shape[1]
    for units in hidden:
        layers += [nn.Linear(fan_in, units), nn.ReLU()]
        fan_in = units
    model = nn.Sequential(*layers, nn.Linear(fan_in, n_classes))
    torch.set_default_dtype(torch.float32)
    try:
        opt = torch.optim.Adam(model.parameters(), lr=lr, **flags)
    except (TypeError, RuntimeError, ValueError):
        return None
    loss_fn = nn.CrossEntropyLoss()
    tX, ty = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    n = X.shape[0]

    def epoch() -> float:
        perm = torch.randperm(n)
        for start in range(0, n, batch):
            idx = perm[start : start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(tX[idx]), ty[idx])
            loss.backward()
            opt.step()
        # one .item() per epoch, not per batch: no extra sync inside the loop
        return float(loss.item())

    return epoch


def torch_gemm_epoch(
    torch: Any,
    dtype: str,
    n: int,
    units: Sequence[int],
    batch: int,
    seed: int,
) -> Callable[[], float]:
    """An epoch of the MLP's GEMMs alone, as ``nn.Linear`` and autograd run them.

    Per batch of b rows and layer (in, out), with W stored out x in: the
    forward ``addmm(bias, A, W^T)``, the weight gradient ``D^T @ A`` and,
    except for the first layer, the input gradient ``D @ W`` (8 calls for 3
    layers), into preallocated outputs so that only the products are timed.
    The twin of :func:`steepest._cli.bench.train.gemm_epoch` on torch's side.
    """
    gen = torch.Generator().manual_seed(seed)
    kind = getattr(torch, dtype)

    def batch_calls(b: int) -> Callable[[], None]:
        def a(*shape: int) -> Any:
            return torch.randn(*shape, generator=gen, dtype=kind)

        acts = [a(b, u) for u in units]
        layers = range(len(units) - 1)
        w = [a(units[i + 1], units[i]) for i in layers]
        bias = [a(units[i + 1]) for i in layers]
        d = [a(b, units[i + 1]) for i in layers]
        dw = [torch.empty_like(x) for x in w]
        dx = [torch.empty_like(x) for x in acts]

        def run() -> None:
            for i in layers:
                torch.addmm(bias[i], acts[i], w[i].t(), out=acts[i + 1])
            for i in reversed(layers):
                torch.mm(d[i].t(), acts[i], out=dw[i])
                if i > 0:
                    torch.mm(d[i], w[i], out=dx[i])

        return run

    full, tail = divmod(n, batch)
    plan = [(full, batch_calls(batch))] + ([(1, batch_calls(tail))] if tail else [])

    def epoch() -> float:
        for count, run in plan:
            for _ in range(count):
                run()
        return 0.0

    return epoch


def serve(torch_module: str, threads: int) -> int:
    """Answer JSON lines on stdin, one JSON line each, until ``close``.

    The interleaved section's protocol: ``{"op": "open", ...}`` with
    ``n``, ``features``, ``hidden``, ``classes``, ``batch``, ``lr``, ``seed``
    and ``dtype`` builds every variant and the GEMMs-only epoch
    (:data:`TORCH_GEMMS`) and runs each one untimed epoch; ``{"op": "run", "variant": name}`` times
    one epoch of it (``seconds``, ``loss``); ``{"op": "close"}`` ends. The
    first line out says how torch runs, or that it does not import.
    """
    try:
        torch = importlib.import_module(torch_module)
    except ImportError as err:
        print(json.dumps({"error": f"torch does not import: {err}", "missing": True}))
        return 0
    torch.set_num_threads(threads)
    print(json.dumps({"version": torch.__version__, "threads": torch.get_num_threads(),
                      "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}),
          flush=True)  # fmt: skip
    epochs: dict[str, Callable[[], float]] = {}
    for line in sys.stdin:
        req = json.loads(line)
        reply: dict[str, Any] = {}
        if req["op"] == "open":
            epochs.clear()
            X, y = mlp_data(req["n"], req["features"], req["classes"], req["seed"])
            X = X.astype(req["dtype"])
            for name, flags in ADAM_VARIANTS.items():
                epoch = torch_epoch(torch, flags, X, y, req["hidden"], req["classes"],
                                    req["batch"], req["lr"], req["seed"])  # fmt: skip
                reply[name] = epoch is not None
                if epoch is not None:
                    epoch()  # the warm-up
                    epochs[name] = epoch
            units = (req["features"], *req["hidden"], req["classes"])
            epochs[TORCH_GEMMS] = torch_gemm_epoch(torch, req["dtype"], req["n"], units,
                                                   req["batch"], req["seed"])  # fmt: skip
            epochs[TORCH_GEMMS]()
            reply[TORCH_GEMMS] = True
        elif req["op"] == "run":
            gc.disable()
            start = time.perf_counter()
            loss = epochs[req["variant"]]()
            reply = {"seconds": time.perf_counter() - start, "loss": loss}
            gc.enable()
        else:
            print(json.dumps({"closed": True}), flush=True)
            return 0
        print(json.dumps(reply), flush=True)
    return 0


# -- the parent's side ------------------------------------------------------


class TorchTrainer:
    """The parent's end of :func:`serve`: a child that keeps torch's epochs.

    ``info`` is the child's first line (``missing`` when torch does not
    import). The child gets the user's wait policy, as in
    :func:`run_child`.
    """

    def __init__(self, torch_module: str, threads: int) -> None:
        from .torch_client import launch_wait_policy

        policy, how = launch_wait_policy()
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy is not None:
            env["OMP_WAIT_POLICY"] = policy
        self.proc = subprocess.Popen(
            [sys.executable, "-P", os.path.abspath(__file__), "--serve",
             torch_module, str(threads)],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.info = self._read()
        self.info["wait_policy_source"] = how

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            msg = "the torch process ended without an answer"
            raise RuntimeError(msg)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def ask(self, **req: Any) -> dict[str, Any]:
        """One request, its answer."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        """Ends the child (after a ``close`` request if it still runs)."""
        if self.proc.poll() is None and not self.info.get("missing"):
            self.ask(op="close")
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.proc.wait()


def run_child(args: Sequence[str], wait_policy: str | None) -> dict[str, Any]:
    """The last stdout line, as JSON, of ``python -P *args`` run to its end.

    The child's ``OMP_WAIT_POLICY`` is ``wait_policy`` (None: unset), fixed
    in its environment before it starts, so before libgomp reads it. ``-P``
    keeps the script's folder, where ``steepest/typing.py`` lives, off
    ``sys.path``.
    """
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    if wait_policy is not None:
        env["OMP_WAIT_POLICY"] = wait_policy
    done = subprocess.run([sys.executable, "-P", *args], env=env, check=True,
                          stdout=subprocess.PIPE, text=True)  # fmt: skip
    reply: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return reply


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[0] != "--serve":
        msg = f"train_torch: argument 1 expected '--serve', got {args[0]!r}"
        raise SystemExit(msg)
    return serve(args[1], int(args[2]))


if __name__ == "__main__":
    raise SystemExit(main())
