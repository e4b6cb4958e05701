"""What the benchmark measures: rules, sizes, contenders and their steppers.

A contender steps one optimizer: the native kernels through the public
classes (``nonfinite="ignore"``, and the default ``"raise"`` that adds a read
of the gradients), the NumPy reference (``backend="reference"``), both in this
process, and the ``torch.optim`` variants (default, foreach, fused) in a child
process (:mod:`steepest._cli.bench.torch_worker`) that never loads steepest's
extension, so that torch keeps its own OpenMP wait policy. How they are timed
against each other and a memory roofline is :mod:`steepest._cli.bench.table`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import optim
from ..._rules import OPTIMIZER_NAMES
from .torch_client import TorchWorker
from .torch_worker import make_arrays, torch_stepper

NATIVE, RAISE, REFERENCE = "native", "native raise", "reference"
TORCH_FLAGS: dict[str, dict[str, bool]] = {
    "torch": {},  # on CPU torch's default is the single-tensor for-loop
    "torch foreach": {"foreach": True},
    "torch fused": {"fused": True},
}
LOCAL_CONTENDERS = (NATIVE, RAISE, REFERENCE)
CONTENDERS = (*LOCAL_CONTENDERS, *TORCH_FLAGS)
# DeepSpeed's CPU Adam (ZeRO-Offload's optimizer, its kernels built on first
# use by torch's cpp_extension): an optional contender of the Adam and AdamW
# rows, timed in torch's process when deepspeed is installed there. It takes
# float32 params only (float64: "not supported on current hardware"). Checked
# once against torch.optim (deepspeed 0.19.8, 1e6 float32, lr 1e-3): after one
# step 99.9 % of params within 1 ulp of torch's fused Adam and AdamW, every
# difference below 0.05 % of the update (p's rounding); after 10 steps at most 7e-7 (Adam)
# and 5e-6 (AdamW, the decay rounded apart) from it: rounding, not a formula.
DEEPSPEED = "deepspeed"
DEEPSPEED_PEER = "deepspeed.ops.adam.DeepSpeedCPUAdam"


@dataclass(frozen=True)
class Rule:
    """One optimizer configuration; ``peer`` is the class the torch columns
    time with the same kwargs (``torch.optim.Adam``, a peer package's class on
    torch such as ``schedulefree.SGDScheduleFree``), None for none: the spec
    row's peer where that runs on torch."""

    key: str
    label: str
    cls: str
    kwargs: dict[str, Any]
    arrays: int  # arrays read plus arrays written per element and step
    peer: str | None = None
    # DeepSpeedCPUAdam's kwargs where it has the rule (:func:`deepspeed_kwargs`)
    deepspeed: dict[str, Any] | None = None

    @property
    def in_torch(self) -> bool:
        """Whether the torch columns time this row."""
        return self.peer is not None


def _row(key: str, label: str, name: str, **extra: Any) -> Rule:
    """A row for optimizer name ``name``: class, torch's lr and traffic from the spec."""
    spec, implied = OPTIMIZER_NAMES[name]
    kwargs = {"lr": spec.suggested_lr(), **implied, **extra}
    # p and g read and p written, then each state array read and written (a
    # per-param scalar is no traffic), and any a second pass reads again
    active = spec.active({**spec.defaults(), **kwargs})
    arrays = 3 + 2 * sum(1 for slot in active if not slot.scalar) + spec.rereads
    peer = spec.peer if spec.peer_on_torch else None
    ds = deepspeed_kwargs(spec.cls, {**spec.defaults(), **kwargs})
    return Rule(key, label, spec.cls, kwargs, arrays, peer, ds)


def deepspeed_kwargs(cls: str, hyper: dict[str, Any]) -> dict[str, Any] | None:
    """``DeepSpeedCPUAdam``'s kwargs for class ``cls`` with all its hyperparameters
    ``hyper``; None where it has no such rule (not Adam or AdamW, amsgrad,
    maximize). Its weight decay is Adam's L2 term or, with ``adamw_mode``,
    AdamW's decoupled one."""
    if cls not in ("Adam", "AdamW") or hyper.get("amsgrad") or hyper.get("maximize"):
        return None
    known = {"lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"}
    if set(hyper) - known:
        return None  # a hyperparameter it would silently ignore
    return {
        "lr": hyper["lr"], "betas": tuple(hyper["betas"]), "eps": hyper["eps"],
        "weight_decay": hyper["weight_decay"], "adamw_mode": cls == "AdamW",
    }  # fmt: skip


# every optimizer name of the spec rows (labelled by class unless named here),
# each followed by the variants that add a state array
_LABELS = {"momentum": "SGD momentum", "nesterov": "SGD Nesterov"}
_VARIANTS = {
    "rmsprop": (("rmsprop-centered", "RMSprop centered", {"centered": True}),),
    "adam": (("amsgrad", "Adam amsgrad", {"amsgrad": True}),),
}
RULES = tuple(
    row
    for name, (spec, _) in OPTIMIZER_NAMES.items()
    for row in (
        _row(name, _LABELS.get(name, spec.cls), name),
        *(_row(k, label, name, **extra) for k, label, extra in _VARIANTS.get(name, ())),
    )
)
RULES_BY_KEY = {r.key: r for r in RULES}


@dataclass(frozen=True)
class Size:
    """``count`` arrays of ``n`` elements each, stepped together in one call."""

    count: int
    n: int

    @property
    def total(self) -> int:
        return self.count * self.n

    @property
    def label(self) -> str:
        """``5e7`` or ``100x1e4``, the syntax :func:`parse_size` reads."""
        return f"{self.count}x{short(self.n)}" if self.count > 1 else short(self.n)


def short(n: int) -> str:
    """``1e+03`` style made short: ``1e3``; other numbers as they are."""
    mantissa, exponent = f"{n:.0e}".split("e")
    round_ = n >= 1000 and float(f"{n:.0e}") == n
    return f"{mantissa}e{int(exponent)}" if round_ else str(n)


def parse_size(text: str) -> Size:
    """``"1e7"`` is one array of 10**7 elements, ``"100x1e4"`` a list of 100."""
    count, _, n = text.strip().lower().rpartition("x")
    try:
        size = Size(int(float(count)) if count else 1, int(float(n)))
    except ValueError:
        size = Size(0, 0)
    if size.count < 1 or size.n < 1:
        msg = f"a size looks like 1e7 or 100x1e4, not {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return size


def arrays(size: Size, dtype: np.dtype[Any], k: int, seed: int) -> list[list[Any]]:
    """``k`` lists of ``size.count`` arrays, as the torch process builds them."""
    return make_arrays(size.count, size.n, dtype, k, seed)


@dataclass
class Stepper:
    """A contender's step, views of the params it updates, and how to free it."""

    step: Callable[[], None]
    params: list[np.ndarray]
    close: Callable[[], None] = lambda: None


def make_stepper(
    rule: Rule,
    contender: str,
    params: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    torch: Any = None,
) -> Stepper | None:
    """A fresh optimizer over copies of ``params``; None when it does not exist.

    A torch contender needs the ``torch`` module and runs in this process (as
    in ``bench/bench_optim.py``); :func:`run_table` measures torch in its own
    process instead.
    """
    ps = [p.copy() for p in params]
    if contender in LOCAL_CONTENDERS:
        backend = "reference" if contender == REFERENCE else "native"
        nonfinite = "raise" if contender == RAISE else "ignore"
        cls = getattr(optim, rule.cls)
        opt = cls(ps, **rule.kwargs, nonfinite=nonfinite, backend=backend)
        gs = list(grads)
        return Stepper(lambda: opt.step(gs), ps)
    if torch is None or rule.peer is None:
        return None
    made = torch_stepper(
        torch, rule.peer, rule.kwargs, TORCH_FLAGS[contender], ps, grads
    )
    return None if made is None else Stepper(made[0], ps, made[1])


def save_first_step(stepper: Stepper, path: str) -> None:
    """Step once and save the params, concatenated, for the torch process to check."""
    stepper.step()
    np.save(path, np.concatenate(stepper.params))


def measure_torch(
    worker: TorchWorker,
    rule: Rule,
    size: Size,
    dtype: np.dtype[Any],
    seed: int,
    expected: str,
    budget: float,
    repeats: int | None,
    variants: Sequence[str] = tuple(TORCH_FLAGS),
) -> dict[str, tuple[float | None, int]]:
    """``(seconds, calls)`` per torch variant, measured in the torch process.

    Its inputs are ``arrays(size, dtype, 2, seed)``; ``expected`` is the path
    :func:`save_first_step` wrote for the reference on the same inputs.
    """
    got = worker.measure(
        peer=rule.peer, kwargs=rule.kwargs,
        variants={v: TORCH_FLAGS[v] for v in variants},
        count=size.count, n=size.n, dtype=dtype.name, seed=seed,
        expected=expected, budget=budget, repeats=repeats,
    )  # fmt: skip
    return {v: (r["seconds"], r["calls"]) for v, r in got.items()}
