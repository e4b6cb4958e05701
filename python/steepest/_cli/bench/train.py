"""The ``train`` section of ``python -m steepest bench``: whole training epochs.

Every figure is the median wall time of an epoch (after one untimed warm-up
epoch) measured in one run, each contender drawing its own shuffle inside the
epoch:

* logistic regression (float64, SGD, L2): the native loop at batch 1 against
  scikit-learn's ``SGDClassifier.partial_fit``, and at batch 32 and 256
  against the NumPy reference;
* an MLP (float32, relu, softmax, Adam): native against torch (default and
  fused Adam, in a process of its own, :mod:`steepest._cli.bench.train_torch`),
  ``MLPClassifier.partial_fit`` and the reference, set against a float32 GEMM
  peak measured in the same run and against the time the epoch's GEMMs alone
  take through the same BLAS;
* the same native MLP epoch in a child process started with
  ``OMP_WAIT_POLICY=active``, against this process's (normally passive) one,
  and a "mixed" loop (batches not split: BLAS-threaded GEMMs alternating
  with an OpenMP-threaded update) under each policy.

:func:`measure_train` runs them all into a :class:`TrainReport`;
:func:`steepest._cli.bench.report.train_lines` prints it.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ... import _core, optim
from ...models._epoch import Network, run_epoch
from ...reference.models import logistic, mlp
from .torch_worker import time_call
from .train_torch import mlp_data, run_child, run_torch_child, time_epochs


@dataclass(frozen=True)
class TrainSizes:
    """Problem sizes of the section; :data:`DEFAULT` is the issue's."""

    logistic_rows: int = 100_000
    logistic_features: int = 100
    mlp_rows: int = 60_000
    gemm_n: int = 2048  # square float32 GEMM for the peak


DEFAULT, QUICK = TrainSizes(), TrainSizes(10_000, 100, 6_000, 1024)
LOGISTIC_BATCHES = (1, 32, 256)
MLP_FEATURES, MLP_HIDDEN, MLP_CLASSES, MLP_BATCH = 100, (256, 128), 10, 256
SGD_LR, ADAM_LR, ALPHA = 0.01, 1e-3, 1e-4
EPOCH_REPEATS = 3
GEMM_PEAK_REPEATS = 5
SEED = 0
NATIVE, REFERENCE, GEMMS = "native", "reference", "GEMMs only"
ACTIVE = "native, OMP_WAIT_POLICY=active (child)"
# the loop without split batches: BLAS-threaded GEMMs alternating with an
# OpenMP-threaded optimizer update every batch (the mix the wait policy is for)
MIXED_PASSIVE = "native mixed BLAS+OpenMP, passive (child)"
MIXED_ACTIVE = "native mixed BLAS+OpenMP, active (child)"
MIXED_GRAIN = 4096
SGD_CLASSIFIER, MLP_CLASSIFIER = "SGDClassifier", "MLPClassifier"
TORCH, TORCH_FUSED = "torch Adam", "torch Adam fused"

# Targets of the benchmark issue: (model, batch, other, least other/native).
# Batch 1 logistic asks native <= 1.0x SGDClassifier's time, i.e. ratio >= 1.
SPEED_TARGETS = (
    ("logistic", 1, SGD_CLASSIFIER, 1.0),
    ("logistic", 32, REFERENCE, 10.0),
    ("logistic", 256, REFERENCE, 5.0),
    ("mlp", MLP_BATCH, TORCH, 1.5),
    ("mlp", MLP_BATCH, TORCH_FUSED, 1.2),
    ("mlp", MLP_BATCH, MLP_CLASSIFIER, 3.0),
)
GEMM_PEAK_SHARE = 0.5


@dataclass
class TrainRow:
    """One contender's epoch time on one model and batch size."""

    model: str  # "logistic" or "mlp"
    batch: int
    contender: str
    seconds: float | None = None  # None: not measured, see note
    note: str = ""


@dataclass
class TrainReport:
    """Everything the section measured, as :func:`.report.train_lines` needs."""

    sizes: TrainSizes
    rows: list[TrainRow] = field(default_factory=list)
    threads: int = 0
    blas_threads: int = 0
    mlp_params: int = 0
    gemm_peak: float = math.nan  # FLOP/s
    info: dict[str, Any] = field(default_factory=dict)  # how the children ran

    def seconds(self, model: str, batch: int, contender: str) -> float | None:
        """The row's seconds per epoch; None when absent or not measured."""
        for r in self.rows:
            if (r.model, r.batch, r.contender) == (model, batch, contender):
                return r.seconds
        return None

    def mlp_flops(self) -> float:
        """6 flops per parameter and sample: forward, and two backward GEMMs."""
        return 6.0 * self.sizes.mlp_rows * self.mlp_params


@dataclass
class Trainer:
    """One epoch per call of ``epoch`` (returns the mean loss) over ``params``.

    Shuffles come from a generator seeded with :data:`SEED`, so trainers of
    either backend see the same batches in the same order.
    """

    epoch: Callable[[], float]
    params: list[Any]


def trainer(
    backend: str,
    net: Network,
    params: list[Any],
    opt: optim.Optimizer,
    X: NDArray[Any],
    y: NDArray[np.intp],
    batch: int,
) -> Trainer:
    """Epochs of ``run_epoch`` on ``backend`` with the shuffle drawn inside.

    Parameters
    ----------
    backend : {"native", "reference"}
        As in :func:`steepest.models._epoch.run_epoch`.
    net, params, opt
        The model, its arrays (updated in place) and the optimizer built on them.
    X, y : ndarray
        Rows of the params' dtype and intp class indices.
    batch : int
        Rows per step.

    Returns
    -------
    Trainer
        Whose ``epoch()`` raises ``FloatingPointError`` if the loss is not finite.
    """
    rng = np.random.default_rng(SEED)
    threads = _core.get_num_threads()  # explicit: --threads must reach the loop

    def epoch() -> float:
        perm = rng.permutation(X.shape[0])
        loss = run_epoch(backend, net, params, opt, X, y, perm, batch,
                         n_threads=threads)[0]  # fmt: skip
        if not math.isfinite(loss):
            msg = f"{backend} epoch at batch {batch} diverged (loss {loss})"
            raise FloatingPointError(msg)
        return loss

    return Trainer(epoch, params)


def logistic_trainer(
    backend: str, X: NDArray[np.float64], y: NDArray[np.intp], batch: int
) -> Trainer:
    """Binary logistic regression from zeros, SGD with an L2 penalty."""
    params = logistic.init_params("zeros", X.shape[1], 2,
                                  rng=np.random.default_rng(SEED))  # fmt: skip
    opt = optim.SGD(params, lr=SGD_LR, nonfinite="ignore", backend=backend)
    net = Network("logistic", "log_loss", alpha=ALPHA)
    return trainer(backend, net, params, opt, X, y, batch)


def mlp_trainer(backend: str, X: NDArray[np.float32], y: NDArray[np.intp]) -> Trainer:
    """A fresh He-initialised float32 MLP under Adam."""
    params = mlp.init_params("he", MLP_FEATURES, MLP_HIDDEN, MLP_CLASSES,
                             rng=np.random.default_rng(SEED),
                             dtype=np.float32)  # fmt: skip
    opt = optim.Adam(params, lr=ADAM_LR, nonfinite="ignore", backend=backend)
    net = Network("mlp", "log_loss", activation="relu", alpha=ALPHA)
    return trainer(backend, net, params, opt, X, y, MLP_BATCH)


def logistic_data(n: int, d: int) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Standard-normal rows, binary labels from a noisy random linear model."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = (X @ w + rng.standard_normal(n) > 0).astype(np.intp)
    return X, y


def measure_logistic(sizes: TrainSizes, repeats: int) -> list[TrainRow]:
    """Logistic epochs: native at every batch, SGDClassifier at 1, reference else."""
    X, y = logistic_data(sizes.logistic_rows, sizes.logistic_features)
    rows = []
    for batch in LOGISTIC_BATCHES:
        # ~1e5 Python-level steps at batch 1 would take minutes: no reference
        backends = (NATIVE,) if batch == 1 else (NATIVE, REFERENCE)
        for backend in backends:
            epoch = logistic_trainer(backend, X, y, batch).epoch
            rows.append(TrainRow("logistic", batch, backend,
                                 time_epochs(epoch, repeats)[0]))  # fmt: skip
    rows.insert(1, _sgd_classifier(X, y, repeats))
    return rows


def _sgd_classifier(X: NDArray[Any], y: NDArray[np.intp], repeats: int) -> TrainRow:
    from sklearn.linear_model import SGDClassifier  # type: ignore[import-untyped]

    row = TrainRow("logistic", 1, SGD_CLASSIFIER)
    clf = SGDClassifier(loss="log_loss", penalty="l2", alpha=ALPHA,
                        learning_rate="constant", eta0=SGD_LR, max_iter=1,
                        tol=None, shuffle=True, random_state=SEED)  # fmt: skip
    # The first call, told the classes, does fit's set-up; each later
    # partial_fit is one epoch over the data.
    row.seconds = time_epochs(
        lambda: clf.partial_fit(X, y),
        repeats,
        warmup=lambda: clf.partial_fit(X, y, classes=np.array([0, 1])),
    )[0]
    return row


def measure_mlp(sizes: TrainSizes, repeats: int) -> tuple[list[TrainRow], int]:
    """MLP epochs (native, reference, MLPClassifier) and the parameter count."""
    X, y = mlp_data(sizes.mlp_rows, MLP_FEATURES, MLP_CLASSES, SEED)
    rows, n_params = [], 0
    # native first, before NumPy's BLAS threads have been woken by the others
    for backend in (NATIVE, REFERENCE):
        model = mlp_trainer(backend, X, y)
        n_params = sum(p.size for p in model.params)
        seconds = time_epochs(model.epoch, repeats)[0]
        rows.append(TrainRow("mlp", MLP_BATCH, backend, seconds))
        del model  # its state goes before the next contender's comes
    rows.append(_mlp_classifier(X, y, repeats))
    return rows, n_params


def _mlp_classifier(X: NDArray[Any], y: NDArray[np.intp], repeats: int) -> TrainRow:
    from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

    row = TrainRow("mlp", MLP_BATCH, MLP_CLASSIFIER)
    # float32 X keeps MLPClassifier in float32; a batch above the row count
    # would make it warn and clip
    clf = MLPClassifier(hidden_layer_sizes=MLP_HIDDEN, activation="relu",
                        solver="adam", alpha=ALPHA, learning_rate_init=ADAM_LR,
                        batch_size=min(MLP_BATCH, X.shape[0]), max_iter=1,
                        shuffle=True, random_state=SEED)  # fmt: skip
    row.seconds = time_epochs(
        lambda: clf.partial_fit(X, y),
        repeats,
        warmup=lambda: clf.partial_fit(X, y, classes=np.arange(MLP_CLASSES)),
    )[0]
    return row


def gemm_peak(n: int) -> float:
    """Best float32 FLOP/s of ``_core._gemm`` on an ``n`` x ``n`` square product."""
    A = np.random.default_rng(SEED).standard_normal((n, n), dtype=np.float32)
    best = min(time_epochs(lambda: _core._gemm(A, A), 1)[0]
               for _ in range(GEMM_PEAK_REPEATS))  # fmt: skip
    return 2.0 * n**3 / best


def gemm_epoch_seconds(rows: int, budget: float) -> float:
    """Seconds the MLP epoch's GEMMs alone take through ``_core._gemm``.

    Per batch of n rows and layer (in, out): the forward ``A @ W`` and the
    weight gradient ``A^T @ D``, and except for the first layer the input
    gradient ``D @ W^T``: 8 GEMMs for 3 layers. ``_gemm`` computes only
    ``a @ b``, so the transposed operands are made contiguous beforehand.
    """
    rng = np.random.default_rng(SEED)
    units = (MLP_FEATURES, *MLP_HIDDEN, MLP_CLASSES)

    def per_batch(n: int) -> float:
        def f32(*shape: int) -> NDArray[np.float32]:
            return rng.standard_normal(shape, dtype=np.float32)

        pairs = []
        for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(units)):
            pairs += [(f32(n, fan_in), f32(fan_in, fan_out)),
                      (f32(fan_in, n), f32(n, fan_out))]  # fmt: skip
            if layer > 0:
                pairs.append((f32(n, fan_out), f32(fan_out, fan_in)))

        def gemms() -> None:
            for a, b in pairs:
                _core._gemm(a, b)

        return time_call(gemms, budget)[0]

    full, tail = divmod(rows, MLP_BATCH)
    return full * per_batch(MLP_BATCH) + (per_batch(tail) if tail else 0.0)


def measure_torch(
    sizes: TrainSizes, repeats: int, torch_module: str | None
) -> tuple[list[TrainRow], dict[str, Any] | None]:
    """torch's MLP epochs from a child process that never imports steepest.

    ``torch_module`` is what the child imports as torch; None leaves torch
    out (``--no-torch``).
    """
    rows = [TrainRow("mlp", MLP_BATCH, name) for name in (TORCH, TORCH_FUSED)]
    if torch_module is None:
        for row in rows:
            row.note = "not measured (--no-torch)"
        return rows, None
    req = {"torch_module": torch_module, "threads": _core.get_num_threads(),
           "n": sizes.mlp_rows, "features": MLP_FEATURES, "hidden": MLP_HIDDEN,
           "classes": MLP_CLASSES, "batch": MLP_BATCH, "lr": ADAM_LR, "seed": SEED,
           "repeats": repeats}  # fmt: skip
    reply = run_torch_child(req)
    if reply.get("missing"):
        for row in rows:
            row.note = "torch not installed"
        return rows, None
    if "error" in reply or reply["steepest_modules"]:
        msg = f"the torch process failed: {reply.get('error', reply)}"
        raise RuntimeError(msg)
    for row in rows:
        got = reply["results"][row.contender]
        row.seconds = got["seconds"]
        row.note = "" if got["seconds"] is not None else "no such variant on CPU"
        if got["loss"] is not None and not math.isfinite(got["loss"]):
            msg = f"{row.contender} diverged (loss {got['loss']})"
            raise FloatingPointError(msg)
    return rows, {k: v for k, v in reply.items() if k != "results"}


SPIN_CHILD = (
    "import json, sys; from steepest._cli.bench.train import spin_child; "
    "print(json.dumps(spin_child(json.loads(sys.argv[1]))))"
)


def spin_child(req: dict[str, Any]) -> dict[str, Any]:
    """In the child: the native MLP epoch of ``req["rows"]`` rows, timed.

    With ``req["mixed"]`` batches are not split over threads and the parallel
    grain is lowered so that every batch's Adam update runs on OpenMP threads
    between the BLAS's threaded GEMMs.
    """
    _core.set_num_threads(req["threads"])
    if req.get("mixed"):
        _core._set_split_work(math.inf)
        _core.set_parallel_grain(MIXED_GRAIN)
    X, y = mlp_data(req["rows"], MLP_FEATURES, MLP_CLASSES, SEED)
    seconds = time_epochs(mlp_trainer(NATIVE, X, y).epoch, req["repeats"])[0]
    return {"seconds": seconds, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "threads": _core.get_num_threads()}  # fmt: skip


def measure_spin(
    sizes: TrainSizes, repeats: int
) -> tuple[list[TrainRow], dict[str, Any]]:
    """The native MLP epoch in children started with ``OMP_WAIT_POLICY`` set.

    The variable is in each child's environment from the start, so it is set
    before steepest's ``__init__`` (which keeps a value already there) and
    before libgomp reads it. Three children: the normal loop under
    ``active``, and the mixed loop (see :func:`spin_child`) under each policy.
    """
    rows, info = [], {}
    cases = ((ACTIVE, "active", False), (MIXED_PASSIVE, "passive", True),
             (MIXED_ACTIVE, "active", True))  # fmt: skip
    for label, policy, mixed in cases:
        req = {"rows": sizes.mlp_rows, "threads": _core.get_num_threads(),
               "repeats": repeats, "mixed": mixed}  # fmt: skip
        reply = run_child(["-c", SPIN_CHILD, json.dumps(req)], policy)
        rows.append(TrainRow("mlp", MLP_BATCH, label, reply.pop("seconds")))
        info[label] = reply
    return rows, info


def measure_train(
    sizes: TrainSizes, repeats: int, budget: float, torch_module: str | None = "torch"
) -> TrainReport:
    """Every figure of the section, in one run (see the module docstring).

    Parameters
    ----------
    sizes : TrainSizes
        :data:`DEFAULT` or :data:`QUICK` (or smaller, in tests).
    repeats : int
        Epochs timed per figure, after one warm-up epoch.
    budget : float
        Seconds of samples for the per-batch GEMM timing (``time_call``).
    torch_module : str or None
        What the torch process imports as torch; None leaves torch out.

    Returns
    -------
    TrainReport
    """
    blas = _core.build_info()["blas"]
    report = TrainReport(sizes, threads=_core.get_num_threads(),
                         blas_threads=int(blas["threads"]))  # fmt: skip
    report.rows += measure_logistic(sizes, repeats)
    print("[bench] train: logistic done", file=sys.stderr, flush=True)
    mlp_rows, report.mlp_params = measure_mlp(sizes, repeats)
    report.gemm_peak = gemm_peak(sizes.gemm_n)
    gemms = TrainRow(
        "mlp", MLP_BATCH, GEMMS, gemm_epoch_seconds(sizes.mlp_rows, budget)
    )
    torch_rows, report.info["torch"] = measure_torch(sizes, repeats, torch_module)
    spin, report.info["spin"] = measure_spin(sizes, repeats)
    report.rows += [mlp_rows[0], *torch_rows, *mlp_rows[1:], gemms, *spin]
    print("[bench] train: MLP done", file=sys.stderr, flush=True)
    return report
