"""The main job, ``python -m steepest demo [--out DIR]``: real data, every optimizer.

On two data sets shipped with scikit-learn (handwritten digits: 1,797
images of 8 x 8 pixels, 10 classes; breast cancer: 569 samples of 30
features, 2 classes), standardised and split 75/25, it trains logistic
regression and a one-hidden-layer MLP with each optimizer, once on the
native loop and once on the NumPy reference, and prints a Markdown table:
test accuracy, epochs, seconds of ``fit`` and the native speed-up. Then it
writes into ``--out`` the learning curves of every optimizer, a figure of
learning-rate schedules and the paths of the optimizers on two-parameter
test functions (the pictures used to explain momentum, Adam and saddle
points). Needs the ``demo`` extra (matplotlib, tqdm).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._rules import OPTIMIZER_NAMES

DESCRIPTION = (
    "Train logistic regression and an MLP with every optimizer on scikit-learn's "
    "digits and breast-cancer data, native against the NumPy reference; print a "
    "table and write learning-curve, schedule and trajectory PNGs."
)

# Learning rates that suit standardised inputs for each optimizer name of the
# spec rows (plain SGD takes the largest steps, the adaptive rules scale their
# own); a name tuned for nothing here runs at torch's default.
_TUNED = {"sgd": 0.05, "adagrad": 0.05, "rmsprop": 0.002, "adam": 0.002, "adamw": 0.002,
          # Rules that scored clearly below the rest at their default: each lr
          # the best of a sweep over 0.1x..30x the default, by mean accuracy on
          # a quarter of each training part held out (both data sets, both
          # models, seed 0, 30 epochs), so the test accuracy stays unseen.
          # ASGD is SGD here (t0 = 1e6 never starts the average): SGD's lr.
          "radam": 0.005, "adamax": 0.006, "asgd": 0.05, "lamb": 0.005,
          "lion": 3e-4,
          # Schedule-Free, by the same sweep (SGD's over 1x..100x the tools' 1e-2)
          "sgd_schedulefree": 0.3, "adamw_schedulefree": 0.0075}  # fmt: skip
LEARNING_RATES = {
    name: _TUNED.get(name, rule.suggested_lr())
    for name, (rule, _) in OPTIMIZER_NAMES.items()
}


@dataclass
class Run:
    """One fitted estimator of the table."""

    data: str
    model: str
    optimizer: str
    backend: str
    accuracy: float
    epochs: int
    seconds: float
    estimator: Any


def load_datasets(seed: int) -> dict[str, tuple[Any, Any, Any, Any]]:
    """``name -> (X_train, X_test, y_train, y_test)``, standardised on the train part."""
    from sklearn.datasets import (  # type: ignore[import-untyped]
        load_breast_cancer,
        load_digits,
    )
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
    from sklearn.preprocessing import StandardScaler  # type: ignore[import-untyped]

    out = {}
    for name, loader in (
        ("digits", load_digits),
        ("breast_cancer", load_breast_cancer),
    ):
        X, y = loader(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y
        )
        scaler = StandardScaler().fit(X_tr)
        out[name] = (scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te)
    return out


def make_estimator(
    model: str, optimizer: str, backend: str, epochs: int, seed: int
) -> Any:
    """A classifier with the demo's settings (tol=None: every run takes ``epochs``)."""
    from ..models import LogisticRegression, MLPClassifier

    # a rule meant for full batches (Rprop) gets one per epoch
    batch = None if OPTIMIZER_NAMES[optimizer][0].full_batch else 32
    common: dict[str, Any] = {
        "optimizer": optimizer, "learning_rate": LEARNING_RATES[optimizer],
        "batch_size": batch, "max_iter": epochs, "tol": None, "random_state": seed,
        "backend": backend,
    }  # fmt: skip
    if model == "logistic":
        return LogisticRegression(**common)
    return MLPClassifier(hidden_layer_sizes=(64,), **common)


def train_all(
    datasets: dict[str, Any], epochs: int, seed: int, progress: Callable[[str], None]
) -> list[Run]:
    """Fits every data set x model x optimizer x backend; ``progress`` after each."""
    runs = []
    for data, (X_tr, X_te, y_tr, y_te) in datasets.items():
        for model in ("logistic", "mlp"):
            for optimizer in LEARNING_RATES:
                for backend in ("native", "reference"):
                    est = make_estimator(model, optimizer, backend, epochs, seed)
                    start = time.perf_counter()
                    est.fit(X_tr, y_tr)
                    seconds = time.perf_counter() - start
                    progress(f"{data} {model} {optimizer} {backend}")
                    runs.append(Run(data, model, optimizer, backend,
                                    float(est.score(X_te, y_te)), int(est.n_iter_),
                                    seconds, est))  # fmt: skip
    return runs


def table_lines(runs: list[Run]) -> list[str]:
    """Markdown table: one row per data set x model x optimizer, both backends."""
    lines = [
        (
            "| data | model | optimizer | accuracy native | accuracy reference | epochs "
            "| native s | reference s | speed-up |"
        ),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    native = [r for r in runs if r.backend == "native"]
    reference = {
        (r.data, r.model, r.optimizer): r for r in runs if r.backend == "reference"
    }
    for r in native:
        ref = reference[(r.data, r.model, r.optimizer)]
        lines.append(
            f"| {r.data} | {r.model} | {r.optimizer} | {r.accuracy:.3f} | "
            f"{ref.accuracy:.3f} | {r.epochs} | {r.seconds:.3f} | {ref.seconds:.3f} | "
            f"{ref.seconds / r.seconds:.1f}x |"
        )
    return lines


def write_figures(runs: list[Run], out: Path, steps: int) -> list[Path]:
    """Learning curves per data set and model, schedules, trajectories."""
    import functools

    import steepest
    from steepest import plot, tools
    from steepest.schedules import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR

    written = []
    for data in sorted({r.data for r in runs}):
        for model in ("logistic", "mlp"):
            curves = {r.optimizer: r.estimator for r in runs
                      if r.data == data and r.model == model and r.backend == "native"}  # fmt: skip
            path = out / f"learning_curve_{data}_{model}.png"
            plot.learning_curve(curves, path=path)
            written.append(path)
    schedules: dict[str, Any] = {
        "one-cycle": OneCycleLR(max_lr=0.1, total_steps=400),
        "cosine warm restarts": CosineAnnealingWarmRestarts(lr=0.1, T_0=50, T_mult=2),
        "cyclic triangular2": CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=50,
                                       mode="triangular2"),
    }  # fmt: skip
    path = out / "schedules.png"
    plot.schedule(schedules, 400, path)
    written.append(path)
    optimizers = {
        "sgd": functools.partial(steepest.SGD, lr=0.001),
        "momentum": functools.partial(steepest.SGD, lr=0.001, momentum=0.9),
        "nesterov": functools.partial(
            steepest.SGD, lr=0.001, momentum=0.9, nesterov=True
        ),
        "rmsprop": functools.partial(steepest.RMSprop, lr=0.01),
        "adam": functools.partial(steepest.Adam, lr=0.05),
    }
    for name, start in (("rosenbrock", [-1.5, 2.0]), ("saddle", [-1.0, 0.01])):
        fun = getattr(tools, name)()
        path = out / f"trajectories_{name}.png"
        plot.trajectories(fun, optimizers, np.array(start), steps=steps, path=path)
        written.append(path)
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="steepest-demo", help="folder for the PNGs "
                        "(default: ./steepest-demo)")  # fmt: skip
    parser.add_argument("--epochs", type=int, default=30,
                        help="epochs per fit (default 30)")  # fmt: skip
    parser.add_argument("--steps", type=int, default=300,
                        help="optimizer steps per trajectory (default 300)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """Runs the demo; returns the exit status."""
    from .._progress import progress_bar

    if args.epochs < 1 or args.steps < 1:
        print("--epochs and --steps must be >= 1", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    datasets = load_datasets(args.seed)
    n_fits = len(datasets) * 2 * len(LEARNING_RATES) * 2
    with progress_bar(total=n_fits, desc="fits", enabled=True) as bar:

        def advance(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update(1)

        runs = train_all(datasets, args.epochs, args.seed, advance)
    print()
    print(f"# steepest demo: {args.epochs} epochs per fit, batch 32, "
          f"threads={_threads()}")  # fmt: skip
    print()
    print("\n".join(table_lines(runs)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow far off the paths
        written = write_figures(runs, out, args.steps)
    print()
    for path in written:
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0


def _threads() -> int:
    import steepest

    return int(steepest.get_num_threads())
