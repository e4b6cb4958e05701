"""What the benchmark measures and how: rules, sizes, steppers, the roofline.

:func:`run_table` times, for every optimizer and size, one step of the native
kernels through the public classes (``nonfinite="ignore"``, and the default
``"raise"`` that adds a read of the gradients) and of the NumPy reference
(``backend="reference"``) in this process, and the ``torch.optim`` variants
(default, foreach, fused) in a child process (:mod:`steepest._cli.bench.torch_worker`)
that never loads steepest's extension, so that torch keeps its own OpenMP wait
policy. Each size is set against a memory roofline measured in the same run:
a native pass with Adam's traffic and no arithmetic (``_core.traffic_pass``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ... import _core, optim
from ..._rules import OPTIMIZER_NAMES
from .torch_worker import PEERS, TorchWorker, make_arrays, time_call, torch_stepper

NATIVE, RAISE, REFERENCE = "native", "native raise", "reference"
TORCH_FLAGS: dict[str, dict[str, bool]] = {
    "torch": {},  # on CPU torch's default is the single-tensor for-loop
    "torch foreach": {"foreach": True},
    "torch fused": {"fused": True},
}
LOCAL_CONTENDERS = (NATIVE, RAISE, REFERENCE)
CONTENDERS = (*LOCAL_CONTENDERS, *TORCH_FLAGS)


@dataclass(frozen=True)
class Rule:
    """One optimizer configuration; the class and kwargs exist in torch.optim
    too where ``in_torch`` (or in a peer package on torch: ``torch_worker.PEERS``)."""

    key: str
    label: str
    cls: str
    kwargs: dict[str, Any]
    arrays: int  # arrays read plus arrays written per element and step
    in_torch: bool = True


def _row(key: str, label: str, name: str, **extra: Any) -> Rule:
    """A row for optimizer name ``name``: class, torch's lr and traffic from the spec."""
    spec, implied = OPTIMIZER_NAMES[name]
    kwargs = {"lr": spec.suggested_lr(), **implied, **extra}
    # p and g read and p written, then each state array read and written (a
    # per-param scalar is no traffic), and any a second pass reads again
    active = spec.active({**spec.defaults(), **kwargs})
    arrays = 3 + 2 * sum(1 for slot in active if not slot.scalar) + spec.rereads
    return Rule(
        key, label, spec.cls, kwargs, arrays, spec.in_torch or spec.cls in PEERS
    )


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
    if torch is None:
        return None
    made = torch_stepper(
        torch, rule.cls, rule.kwargs, TORCH_FLAGS[contender], ps, grads
    )
    return None if made is None else Stepper(made[0], ps, made[1])


@dataclass
class Measurement:
    rule: str
    size: str
    elements: int
    contender: str
    bytes_per_step: int
    seconds: float | None = None  # None: contender not available
    calls: int = 0

    @property
    def ns_per_element(self) -> float:
        return math.nan if self.seconds is None else self.seconds / self.elements * 1e9

    @property
    def gbps(self) -> float:
        s = self.seconds
        return math.nan if s is None else self.bytes_per_step / s / 1e9


def measure_roofline(
    size: Size, dtype: np.dtype[Any], budget: float, repeats: int | None
) -> Measurement:
    """``_core.traffic_pass``: read param, grad, m, v and write param, m, v."""
    p, g, m, v = arrays(size, dtype, 4, seed=1)
    nbytes = 7 * dtype.itemsize * size.total
    out = Measurement("roofline", size.label, size.total, NATIVE, nbytes)
    out.seconds, out.calls = time_call(
        lambda: _core.traffic_pass(p, g, m, v), budget, repeats
    )
    return out


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
        cls=rule.cls, kwargs=rule.kwargs,
        variants={v: TORCH_FLAGS[v] for v in variants},
        count=size.count, n=size.n, dtype=dtype.name, seed=seed,
        expected=expected, budget=budget, repeats=repeats,
    )  # fmt: skip
    return {v: (r["seconds"], r["calls"]) for v, r in got.items()}


def run_table(
    rules: Sequence[Rule],
    sizes: Sequence[Size],
    dtype: np.dtype[Any],
    budget: float,
    repeats: int | None,
    worker: TorchWorker | None,
) -> list[Measurement]:
    """Every contender of every rule at every size, plus the roofline per size.

    The reference's first step is saved for the torch process to check its
    own against. The roofline is measured before and after a size's
    optimizers and the faster kept, so that a moment of load from elsewhere
    does not lower it.
    """
    out: list[Measurement] = []
    with tempfile.TemporaryDirectory(prefix="steepest-bench-") as tmp:
        expected = os.path.join(tmp, "expected.npy")
        for size in sizes:
            params, grads = arrays(size, dtype, 2, seed=0)
            before = measure_roofline(size, dtype, budget, repeats)
            for rule in rules:
                nbytes = rule.arrays * dtype.itemsize * size.total
                row = {c: Measurement(rule.key, size.label, size.total, c, nbytes)
                       for c in CONTENDERS}  # fmt: skip
                for contender in LOCAL_CONTENDERS:
                    stepper = make_stepper(rule, contender, params, grads)
                    assert stepper is not None
                    if contender == REFERENCE and worker is not None:
                        save_first_step(stepper, expected)
                    m = row[contender]
                    m.seconds, m.calls = time_call(stepper.step, budget, repeats)
                    del stepper  # its state goes before the next contender's comes
                if worker is not None and rule.in_torch:
                    got = measure_torch(
                        worker, rule, size, dtype, 0, expected, budget, repeats
                    )
                    for contender, (seconds, calls) in got.items():
                        row[contender].seconds, row[contender].calls = seconds, calls
                out += row.values()
                done = ", ".join(
                    f"{c} {m.ns_per_element:.3g}" for c, m in row.items() if m.seconds
                )
                print(f"[bench] {size.label} {rule.label}: {done} ns/el",
                      file=sys.stderr, flush=True)  # fmt: skip
            after = measure_roofline(size, dtype, budget, repeats)
            out.append(min(before, after, key=lambda r: r.seconds or math.inf))
    return out
