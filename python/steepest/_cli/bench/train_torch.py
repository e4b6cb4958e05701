"""torch's side of the training benchmark: MLP epochs in a process of its own.

For the reason given in :mod:`steepest._cli.bench.torch_worker` (steepest's
``OMP_WAIT_POLICY=passive`` would slow torch's parallel regions), the train
section runs torch in a child process started by path with ``python -P``, so
this file imports nothing of steepest: only numpy, and torch by name. One
request (JSON, the only argument) in, one JSON line out: how torch ran and,
per Adam variant, the median seconds of an epoch and its last batch's loss.

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
    layers: list[Any] = []
    fan_in = X.shape[1]
    for units in hidden:
        layers += [nn.Linear(fan_in, units), nn.ReLU()]
        fan_in = units
    model = nn.Sequential(*layers, nn.Linear(fan_in, n_classes))
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


def measure(req: dict[str, Any]) -> dict[str, Any]:
    """Answer one request: ``torch_module`` (normally "torch"), ``threads``,
    ``n``, ``features``, ``hidden``, ``classes``, ``batch``, ``lr``, ``seed``,
    ``repeats``."""
    try:
        torch = importlib.import_module(req["torch_module"])
    except ImportError as err:
        return {"error": f"torch does not import: {err}", "missing": True}
    torch.set_num_threads(req["threads"])
    X, y = mlp_data(req["n"], req["features"], req["classes"], req["seed"])
    results: dict[str, Any] = {}
    for name, flags in ADAM_VARIANTS.items():
        epoch = torch_epoch(torch, flags, X, y, req["hidden"], req["classes"],
                            req["batch"], req["lr"], req["seed"])  # fmt: skip
        if epoch is None:
            results[name] = {"seconds": None, "loss": None}
            continue
        seconds, loss = time_epochs(epoch, req["repeats"])
        results[name] = {"seconds": seconds, "loss": loss}
        del epoch  # the model and its state go before the next variant's come
    return {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "steepest_modules": sorted(
            m for m in sys.modules if m.partition(".")[0] == "steepest"
        ),  # must stay empty
        "results": results,
    }


# -- the parent's side ------------------------------------------------------


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


def run_torch_child(req: dict[str, Any]) -> dict[str, Any]:
    """:func:`measure` in a child process, with the user's wait policy if any.

    Called in the parent only, which imported this module from the package;
    the child runs this file by path and must not import steepest.
    """
    from .torch_worker import launch_wait_policy

    policy, how = launch_wait_policy()
    reply = run_child([os.path.abspath(__file__), json.dumps(req)], policy)
    reply["wait_policy_source"] = how
    return reply


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(json.dumps(measure(json.loads(args[0]))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
