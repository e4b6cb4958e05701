"""The ``train`` section of ``python -m steepest bench``: whole training epochs.

Contenders of one model, dtype and batch size take turns, one epoch each per
round (:mod:`steepest._cli.bench.rounds`: native, the others, native, ...),
after one untimed warm-up epoch each and a pause of
:data:`TRAIN_SETTLE_SECONDS` before every turn, so that no thread pool of
another contender still spins; each contender draws its own shuffle inside
the epoch. A row gives the median seconds per epoch over the rounds
and, for every contender but native, the median of its per-round time over
native's with the interquartile range:

* logistic regression (float64, SGD, L2): the native loop at batch 1 against
  scikit-learn's ``SGDClassifier.partial_fit``, and at batch 32 and 256
  against the NumPy reference; at 256 also native on the rows in order (no
  gather, no shuffle drawn), the epoch the shuffled one would be with free reads;
* an MLP (relu, softmax, Adam; float32 and float64, batch 256 and those of
  ``--train-batches``): native against torch (default and fused Adam, in a
  process of its own that takes its turns in the rounds,
  :class:`steepest._cli.bench.train_torch.TorchTrainer`),
  ``MLPClassifier.partial_fit``, the reference and the epoch's GEMMs alone
  through the same BLAS, and through torch's (in torch's process: what a
  torch epoch cannot go below); float32 also against a GEMM peak measured once;
* the same native MLP epoch in a child process started with
  ``OMP_WAIT_POLICY=active``, against this process's (normally passive) one,
  and a "mixed" loop (batches not split: BLAS-threaded GEMMs alternating
  with an OpenMP-threaded update) under each policy (medians of epochs in
  their own processes, not interleaved).

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
from .rounds import Spread, Turn, interleave, local_runner, per_round_ratios, spread
from .train_torch import TORCH_GEMMS, TorchTrainer, mlp_data, run_child, time_epochs


@dataclass(frozen=True)
class TrainSizes:
    """Problem sizes of the section; :data:`DEFAULT` is the issue's."""

    logistic_rows: int = 100_000
    logistic_features: int = 100
    mlp_rows: int = 60_000
    gemm_n: int = 2048  # square float32 GEMM for the peak


DEFAULT, QUICK = TrainSizes(), TrainSizes(10_000, 100, 6_000, 1024)
LOGISTIC_BATCHES = (1, 32, 256)
LOGISTIC_TARGET_BATCH = 256  # the batch of the reference target (SPEED_TARGETS)
MLP_FEATURES, MLP_HIDDEN, MLP_CLASSES, MLP_BATCH = 100, (256, 128), 10, 256
SGD_LR, ADAM_LR, ALPHA = 0.01, 1e-3, 1e-4
EPOCH_REPEATS = 3  # epochs per figure of the spin-wait children
EPOCH_ROUNDS = 5  # interleaved rounds of one epoch per contender
MLP_DTYPES = ("float32", "float64")
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
# native's logistic epoch on X's rows in order: no gather, no shuffle drawn
# (what the shuffled epoch would take if reading rows cost nothing extra)
IN_ORDER = "native, rows in order"
TORCH, TORCH_FUSED = "torch Adam", "torch Adam fused"
# Pause before every turn. After a call, an OpenBLAS thread pool spins 2^28
# cycles before it sleeps (THREAD_TIMEOUT): ~105 ms here, one whole vCPU.
# This process holds three pools (NumPy's, SciPy's, steepest's), so a turn
# that followed a BLAS-threaded one (the GEMMs-only epoch, the reference,
# MLPClassifier) ran on a machine half taken: the native MLP epoch at batch
# 256 took 119 ms right after a NumPy matmul and a 20 ms pause, 61 ms alone
# and 65 ms after a 150 ms pause. A user running one library never sees it.
TRAIN_SETTLE_SECONDS = 0.25

# Targets of the benchmark issue 14: (model, dtype, other, least median of
# other/native per round), at every batch measured. Batch 1 logistic asks
# native <= 0.8x SGDClassifier's time; the GEMMs alone at least 75 % of the
# epoch (an epoch at most 1.33x its GEMMs).
SPEED_TARGETS = (
    ("logistic", 1, SGD_CLASSIFIER, 1.25),
    ("logistic", LOGISTIC_TARGET_BATCH, REFERENCE, 8.0),
    ("mlp", None, TORCH, 3.0),
    ("mlp", None, TORCH_FUSED, 2.5),
    ("mlp", None, MLP_CLASSIFIER, 3.0),
    ("mlp", None, GEMMS, 0.75),
)
GEMM_PEAK_SHARE = 0.5


@dataclass
class TrainRow:
    """One contender's epoch time on one model and batch size."""

    model: str  # "logistic" or "mlp"
    batch: int
    contender: str
    seconds: float | None = None  # median over rounds; None: not measured, see note
    note: str = ""
    dtype: str = "float32"
    ratio: Spread | None = None  # per round: this row's seconds over native's
    per_round: list[float | None] = field(default_factory=list)


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

    def row(
        self, model: str, batch: int, contender: str, dtype: str | None = None
    ) -> TrainRow | None:
        """The row (of any dtype when None); None when absent."""
        for r in self.rows:
            if (r.model, r.batch, r.contender) == (model, batch, contender) and (
                dtype is None or r.dtype == dtype
            ):
                return r
        return None

    def seconds(
        self, model: str, batch: int, contender: str, dtype: str | None = None
    ) -> float | None:
        """The row's seconds per epoch; None when absent or not measured."""
        r = self.row(model, batch, contender, dtype)
        return None if r is None else r.seconds

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
    shuffle: bool = True,
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
    shuffle : bool
        False: every epoch takes the rows in order (no permutation drawn).

    Returns
    -------
    Trainer
        Whose ``epoch()`` raises ``FloatingPointError`` if the loss is not finite.
    """
    rng = np.random.default_rng(SEED)
    threads = _core.get_num_threads()  # explicit: --threads must reach the loop
    in_order = np.arange(X.shape[0])

    def epoch() -> float:
        perm = rng.permutation(X.shape[0]) if shuffle else in_order
        loss = run_epoch(backend, net, params, opt, X, y, perm, batch,
                         n_threads=threads)[0]  # fmt: skip
        if not math.isfinite(loss):
            msg = f"{backend} epoch at batch {batch} diverged (loss {loss})"
            raise FloatingPointError(msg)
        return loss

    return Trainer(epoch, params)


def logistic_trainer(
    backend: str,
    X: NDArray[np.float64],
    y: NDArray[np.intp],
    batch: int,
    shuffle: bool = True,
) -> Trainer:
    """Binary logistic regression from zeros, SGD with an L2 penalty."""
    params = logistic.init_params("zeros", X.shape[1], 2,
                                  rng=np.random.default_rng(SEED))  # fmt: skip
    opt = optim.SGD(params, lr=SGD_LR, nonfinite="ignore", backend=backend)
    net = Network("logistic", "log_loss", alpha=ALPHA)
    return trainer(backend, net, params, opt, X, y, batch, shuffle)


def mlp_trainer(
    backend: str, X: NDArray[Any], y: NDArray[np.intp], batch: int = MLP_BATCH
) -> Trainer:
    """A fresh He-initialised MLP of ``X``'s dtype under Adam."""
    params = mlp.init_params("he", MLP_FEATURES, MLP_HIDDEN, MLP_CLASSES,
                             rng=np.random.default_rng(SEED),
                             dtype=X.dtype)  # fmt: skip
    opt = optim.Adam(params, lr=ADAM_LR, nonfinite="ignore", backend=backend)
    net = Network("mlp", "log_loss", activation="relu", alpha=ALPHA)
    return trainer(backend, net, params, opt, X, y, batch)


def logistic_data(n: int, d: int) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Standard-normal rows, binary labels from a noisy random linear model."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    y = (X @ w + rng.standard_normal(n) > 0).astype(np.intp)
    return X, y


def warmed(
    epoch: Callable[[], object], warmup: Callable[[], object] | None = None
) -> Turn:
    """A turn of one epoch per round (named later), after one untimed call."""
    (warmup or epoch)()
    return Turn("", local_runner(epoch))


def interleaved_rows(
    model: str, batch: int, dtype: str, turns: dict[str, Turn], rounds: int
) -> list[TrainRow]:
    """Rows of one cell from ``rounds`` rounds of ``turns`` (native's first)."""
    named = [Turn(name, t.run, t.process) for name, t in turns.items()]
    series = interleave(named, rounds, settle=TRAIN_SETTLE_SECONDS, lead_in=True)
    rows = []
    for name, seconds in series.items():
        row = TrainRow(model, batch, name, dtype=dtype, per_round=seconds)
        middle = spread(seconds)
        row.seconds = None if middle is None else middle.median
        if name != NATIVE:
            row.ratio = spread(per_round_ratios(seconds, series[NATIVE]))
        rows.append(row)
    return rows


def measure_logistic(sizes: TrainSizes, rounds: int) -> list[TrainRow]:
    """Logistic epochs: native at every batch, SGDClassifier at 1, reference else."""
    X, y = logistic_data(sizes.logistic_rows, sizes.logistic_features)
    rows = []
    for batch in LOGISTIC_BATCHES:
        turns = {NATIVE: warmed(logistic_trainer(NATIVE, X, y, batch).epoch)}
        if batch == 1:
            # ~1e5 Python-level steps at batch 1 would take minutes: no reference
            turns[SGD_CLASSIFIER] = _sgd_classifier(X, y)
        else:
            turns[REFERENCE] = warmed(logistic_trainer(REFERENCE, X, y, batch).epoch)
        if batch == LOGISTIC_TARGET_BATCH:
            in_order = logistic_trainer(NATIVE, X, y, batch, shuffle=False)
            turns[IN_ORDER] = warmed(in_order.epoch)
        rows += interleaved_rows("logistic", batch, "float64", turns, rounds)
    return rows


def _sgd_classifier(X: NDArray[Any], y: NDArray[np.intp]) -> Turn:
    from sklearn.linear_model import SGDClassifier  # type: ignore[import-untyped]

    clf = SGDClassifier(loss="log_loss", penalty="l2", alpha=ALPHA,
                        learning_rate="constant", eta0=SGD_LR, max_iter=1,
                        tol=None, shuffle=True, random_state=SEED)  # fmt: skip
    # The first call, told the classes, does fit's set-up; each later
    # partial_fit is one epoch over the data.
    return warmed(lambda: clf.partial_fit(X, y),
                  lambda: clf.partial_fit(X, y, classes=np.array([0, 1])))  # fmt: skip


def measure_mlp(
    sizes: TrainSizes, rounds: int, dtype: str, batch: int, torch: TorchTrainer | None
) -> tuple[list[TrainRow], int]:
    """One MLP cell, interleaved (see the module docstring); the parameter count.

    ``torch`` None or without torch: its rows say why they are not measured.
    """
    X32, y = mlp_data(sizes.mlp_rows, MLP_FEATURES, MLP_CLASSES, SEED)
    X = X32.astype(dtype)
    native = mlp_trainer(NATIVE, X, y, batch)
    n_params = sum(p.size for p in native.params)
    turns = {NATIVE: warmed(native.epoch)}
    missing: dict[str, str] = {}
    if torch is None or torch.info.get("missing"):
        note = "not measured (--no-torch)" if torch is None else "torch not installed"
        missing = {TORCH: note, TORCH_FUSED: note, TORCH_GEMMS: note}
    else:
        have = torch.ask(op="open", n=sizes.mlp_rows, features=MLP_FEATURES,
                         hidden=MLP_HIDDEN, classes=MLP_CLASSES, batch=batch,
                         lr=ADAM_LR, seed=SEED, dtype=dtype)  # fmt: skip
        for name in (TORCH, TORCH_FUSED, TORCH_GEMMS):
            if not have[name]:
                missing[name] = "no such variant on CPU"
                continue
            turns[name] = Turn(name, _torch_runner(torch, name), "torch")
    turns[REFERENCE] = warmed(mlp_trainer(REFERENCE, X, y, batch).epoch)
    turns[MLP_CLASSIFIER] = _mlp_classifier(X, y, batch)
    turns[GEMMS] = warmed(gemm_epoch(sizes.mlp_rows, batch, X.dtype))
    rows = interleaved_rows("mlp", batch, dtype, turns, rounds)
    order = (NATIVE, TORCH, TORCH_FUSED, REFERENCE, MLP_CLASSIFIER, GEMMS, TORCH_GEMMS)
    for name, note in missing.items():
        rows.append(TrainRow("mlp", batch, name, note=note, dtype=dtype))
    rows.sort(key=lambda r: order.index(r.contender))
    return rows, n_params


def _torch_runner(torch: TorchTrainer, variant: str) -> Callable[[int], float]:
    def run(k: int) -> float:
        total = 0.0
        for _ in range(k):
            got = torch.ask(op="run", variant=variant)
            if not math.isfinite(got["loss"]):
                msg = f"{variant} diverged (loss {got['loss']})"
                raise FloatingPointError(msg)
            total += got["seconds"]
        return total

    return run


def _mlp_classifier(X: NDArray[Any], y: NDArray[np.intp], batch: int) -> Turn:
    from sklearn.neural_network import MLPClassifier  # type: ignore[import-untyped]

    # X's dtype is MLPClassifier's; a batch above the row count would make
    # it warn and clip
    clf = MLPClassifier(hidden_layer_sizes=MLP_HIDDEN, activation="relu",
                        solver="adam", alpha=ALPHA, learning_rate_init=ADAM_LR,
                        batch_size=min(batch, X.shape[0]), max_iter=1,
                        shuffle=True, random_state=SEED)  # fmt: skip
    return warmed(lambda: clf.partial_fit(X, y),
                  lambda: clf.partial_fit(X, y, classes=np.arange(MLP_CLASSES)))  # fmt: skip


def gemm_peak(n: int) -> float:
    """Best float32 FLOP/s of ``_core._gemm`` on an ``n`` x ``n`` square product."""
    A = np.random.default_rng(SEED).standard_normal((n, n), dtype=np.float32)
    best = min(time_epochs(lambda: _core._gemm(A, A), 1)[0]
               for _ in range(GEMM_PEAK_REPEATS))  # fmt: skip
    return 2.0 * n**3 / best


def gemm_epoch(rows: int, batch: int, dtype: np.dtype[Any]) -> Callable[[], None]:
    """An epoch of the MLP's GEMMs alone, through ``_core._gemm``.

    Per batch of n rows and layer (in, out): the forward ``A @ W`` and the
    weight gradient ``A^T @ D``, and except for the first layer the input
    gradient ``D @ W^T``: 8 GEMMs for 3 layers. ``_gemm`` computes only
    ``a @ b``, so the transposed operands are made contiguous beforehand.
    """
    rng = np.random.default_rng(SEED)
    units = (MLP_FEATURES, *MLP_HIDDEN, MLP_CLASSES)

    def operands(n: int) -> list[tuple[NDArray[Any], NDArray[Any]]]:
        def a(*shape: int) -> NDArray[Any]:
            return rng.standard_normal(shape).astype(dtype)

        pairs = []
        for layer, (fan_in, fan_out) in enumerate(itertools.pairwise(units)):
            pairs += [(a(n, fan_in), a(fan_in, fan_out)), (a(fan_in, n), a(n, fan_out))]
            if layer > 0:
                pairs.append((a(n, fan_out), a(fan_out, fan_in)))
        return pairs

    full, tail = divmod(rows, batch)
    plan = [(full, operands(batch))] + ([(1, operands(tail))] if tail else [])

    def epoch() -> None:
        for count, pairs in plan:
            for _ in range(count):
                for a, b in pairs:
                    _core._gemm(a, b)

    return epoch


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
    sizes: TrainSizes,
    rounds: int,
    torch_module: str | None = "torch",
    mlp_batches: tuple[int, ...] = (MLP_BATCH,),
    repeats: int = EPOCH_REPEATS,
) -> TrainReport:
    """Every figure of the section, in one run (see the module docstring).

    Parameters
    ----------
    sizes : TrainSizes
        :data:`DEFAULT` or :data:`QUICK` (or smaller, in tests).
    rounds : int
        Interleaved rounds (one epoch per contender each), after a warm-up.
    torch_module : str or None
        What the torch process imports as torch; None leaves torch out.
    mlp_batches : tuple of int
        The MLP's batch sizes (each in float32 and float64).
    repeats : int
        Epochs per figure of the spin-wait children.

    Returns
    -------
    TrainReport
    """
    blas = _core.build_info()["blas"]
    report = TrainReport(sizes, threads=_core.get_num_threads(),
                         blas_threads=int(blas["threads"]))  # fmt: skip
    report.rows += measure_logistic(sizes, rounds)
    print("[bench] train: logistic done", file=sys.stderr, flush=True)
    report.gemm_peak = gemm_peak(sizes.gemm_n)
    torch = None if torch_module is None else TorchTrainer(torch_module, report.threads)
    try:
        report.info["torch"] = (
            None if torch is None or torch.info.get("missing") else torch.info
        )
        for batch in mlp_batches:
            for dtype in MLP_DTYPES:
                rows, report.mlp_params = measure_mlp(
                    sizes, rounds, dtype, batch, torch
                )
                report.rows += rows
    finally:
        if torch is not None:
            torch.close()
    spin, report.info["spin"] = measure_spin(sizes, repeats)
    report.rows += spin
    print("[bench] train: MLP done", file=sys.stderr, flush=True)
    return report
