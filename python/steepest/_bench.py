"""The optimizer benchmark behind ``python -m steepest bench`` and ``bench/run.py``.

For every optimizer and size it times one step of the native kernels through
the public classes (``nonfinite="ignore"``, and the default ``"raise"`` that
adds a read of the gradients), of the NumPy reference (``backend="reference"``)
and, when torch imports, of ``torch.optim`` (default, foreach, fused). Each is
set against a memory roofline measured in the same run at the same size: a
native pass with Adam's traffic and no arithmetic (``_core.traffic_pass``).
Above ~1e6 elements every rule is bandwidth-bound, so the figure of merit is
bytes moved per second relative to that roofline; below, per-call overhead.
Two optional sections break the per-call overhead down at 1e3 elements and
scan the parallel grain (the size below which a call stays on one thread).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

from . import _core, optim
from .functional import adam_step as functional_adam_step

# Calls faster than this are timed in batches, so that the clock's resolution
# and the loop's own cost stay below 0.1 % of a sample.
BATCH_SECONDS = 2e-4
MIN_SAMPLES, MAX_SAMPLES = 5, 100
# A call slower than the whole budget (the NumPy reference at 5e7) is timed
# twice after its warm-up: enough for a median, and the run stays short.
SLOW_SAMPLES = 2
DEFAULT_BUDGET, QUICK_BUDGET = 0.2, 0.02  # seconds of samples per figure
DEFAULT_SIZES = "1e3,1e5,1e6,1e7,5e7,100x1e4"
QUICK_SIZES = "1e3,1e5,1e6,10x1e4"
GRAIN_SIZES = (8192, 16384, 32768, 65536, 131072, 262144)
GRAINS = (8192, 16384, 32768, 65536, 131072, 262144, 524288)  # the last: all serial
OVERHEAD_ELEMENTS = 1000
DESCRIPTION = (
    "Time one step of every optimizer, native against the NumPy reference, "
    "torch.optim and a memory roofline, and print a Markdown table."
)
NATIVE, RAISE, REFERENCE = "native", "native raise", "reference"
TORCH_FLAGS: dict[str, dict[str, bool]] = {
    "torch": {},  # on CPU torch's default is the single-tensor for-loop
    "torch foreach": {"foreach": True},
    "torch fused": {"fused": True},
}
CONTENDERS = (NATIVE, RAISE, REFERENCE, *TORCH_FLAGS)

# Targets of the benchmark issue, float32.
ADAM_ROOFLINE_SHARE, OTHER_ROOFLINE_SHARE = 0.90, 0.85
ADAM_REFERENCE_SPEEDUP = 10.0
LIST_NS_PER_ELEMENT = 0.5
SMALL_MICROSECONDS = 3.0


@dataclass(frozen=True)
class Rule:
    """One optimizer configuration; the class and kwargs exist in torch.optim too."""

    key: str
    label: str
    cls: str
    kwargs: dict[str, Any]
    arrays: int  # arrays read plus arrays written per element and step


RULES = (
    Rule("sgd", "SGD", "SGD", {"lr": 1e-2}, 3),  # read p, g; write p
    Rule("momentum", "SGD momentum", "SGD", {"lr": 1e-2, "momentum": 0.9}, 5),  # + b
    Rule("nesterov", "SGD Nesterov", "SGD",
         {"lr": 1e-2, "momentum": 0.9, "nesterov": True}, 5),
    Rule("adagrad", "Adagrad", "Adagrad", {"lr": 1e-2}, 5),  # + state_sum
    Rule("rmsprop", "RMSprop", "RMSprop", {"lr": 1e-2}, 5),  # + square_avg
    Rule("rmsprop-centered", "RMSprop centered", "RMSprop",
         {"lr": 1e-2, "centered": True}, 7),  # + grad_avg
    Rule("adam", "Adam", "Adam", {"lr": 1e-3}, 7),  # + m, v
    Rule("adamw", "AdamW", "AdamW", {"lr": 1e-3}, 7),
    Rule("amsgrad", "Adam amsgrad", "Adam", {"lr": 1e-3, "amsgrad": True}, 9),  # + v_max
)  # fmt: skip
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
        return f"{self.count}x{_short(self.n)}" if self.count > 1 else _short(self.n)


def _short(n: int) -> str:
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


def _sizes(text: str) -> list[Size]:
    return [parse_size(s) for s in text.split(",")]


def _rules(text: str) -> list[Rule]:
    unknown = [k for k in text.split(",") if k not in RULES_BY_KEY]
    if unknown:
        msg = f"unknown optimizer(s) {unknown}; known: {','.join(RULES_BY_KEY)}"
        raise argparse.ArgumentTypeError(msg)
    return [RULES_BY_KEY[k] for k in text.split(",")]


def time_call(
    fn: Callable[[], object], budget: float, repeats: int | None = None
) -> tuple[float, int]:
    """Median wall time per call of ``fn``, and the number of timed calls.

    The first call is a warm-up, not timed: it takes the page faults of
    freshly allocated state and any first-step path. The garbage collector is
    off while timing, as in :mod:`timeit`.

    Parameters
    ----------
    fn : callable
        The call to time.
    budget : float
        Seconds of timed samples to aim for (between ``MIN_SAMPLES`` and
        ``MAX_SAMPLES``); a call slower than that gets ``SLOW_SAMPLES``.
    repeats : int, optional
        A fixed number of samples instead.
    """
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        fn()
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
        inner = max(1, int(BATCH_SECONDS / max(first, 1e-9)))
        if repeats is None:
            fits = min(MAX_SAMPLES, max(MIN_SAMPLES, int(budget / (first * inner))))
            repeats = SLOW_SAMPLES if first >= budget else fits
        samples = [first] if inner == 1 else []
        while len(samples) < repeats:
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            samples.append((time.perf_counter() - start) / inner)
    finally:
        if gc_enabled:
            gc.enable()
    return statistics.median(samples), len(samples) * inner


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

    The torch contenders wrap copies with ``torch.from_numpy`` and set
    ``.grad`` before every step, as a training loop's backward pass would.
    """
    ps = [p.copy() for p in params]
    if contender in (NATIVE, RAISE, REFERENCE):
        backend = "reference" if contender == REFERENCE else "native"
        nonfinite = "raise" if contender == RAISE else "ignore"
        cls = getattr(optim, rule.cls)
        opt = cls(ps, **rule.kwargs, nonfinite=nonfinite, backend=backend)
        gs = list(grads)
        return Stepper(lambda: opt.step(gs), ps)
    if torch is None:
        return None
    tp = [torch.from_numpy(p) for p in ps]
    tg = [torch.from_numpy(g.copy()) for g in grads]
    flags = TORCH_FLAGS[contender]
    try:
        topt = getattr(torch.optim, rule.cls)(tp, **rule.kwargs, **flags)
    except (TypeError, RuntimeError, ValueError):  # no such variant on CPU
        return None

    def step() -> None:
        for p, g in zip(tp, tg, strict=True):
            p.grad = g
        topt.step()

    def close() -> None:
        # torch's default path leaves a reference cycle (through __init__
        # frames); dropping the state frees it without a slow gc.collect().
        topt.state.clear()
        topt.param_groups.clear()

    return Stepper(step, ps, close)


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


def _arrays(size: Size, dtype: np.dtype[Any], k: int, seed: int) -> list[list[Any]]:
    rng = np.random.default_rng(seed)
    return [
        [rng.standard_normal(size.n, dtype) for _ in range(size.count)]
        for _ in range(k)
    ]


def measure_roofline(
    size: Size, dtype: np.dtype[Any], budget: float, repeats: int | None
) -> Measurement:
    """``_core.traffic_pass``: read param, grad, m, v and write param, m, v."""
    p, g, m, v = _arrays(size, dtype, 4, seed=1)
    nbytes = 7 * dtype.itemsize * size.total
    out = Measurement("roofline", size.label, size.total, NATIVE, nbytes)
    out.seconds, out.calls = time_call(
        lambda: _core.traffic_pass(p, g, m, v), budget, repeats
    )
    return out


def run_table(
    rules: Sequence[Rule],
    sizes: Sequence[Size],
    dtype: np.dtype[Any],
    budget: float,
    repeats: int | None,
    torch: Any,
) -> list[Measurement]:
    """Every contender of every rule at every size, plus the roofline per size.

    The roofline is measured before and after a size's optimizers and the
    faster kept, so that a moment of load from elsewhere does not lower it.
    """
    out: list[Measurement] = []
    for size in sizes:
        params, grads = _arrays(size, dtype, 2, seed=0)
        before = measure_roofline(size, dtype, budget, repeats)
        for rule in rules:
            nbytes = rule.arrays * dtype.itemsize * size.total
            done = []
            for contender in CONTENDERS:
                m = Measurement(rule.key, size.label, size.total, contender, nbytes)
                stepper = make_stepper(rule, contender, params, grads, torch)
                if stepper is not None:
                    m.seconds, m.calls = time_call(stepper.step, budget, repeats)
                    done.append(f"{contender} {m.ns_per_element:.3g}")
                    stepper.close()
                del stepper  # its state goes before the next contender's comes
                out.append(m)
            progress = f"[bench] {size.label} {rule.label}: {', '.join(done)} ns/el"
            print(progress, file=sys.stderr, flush=True)
        after = measure_roofline(size, dtype, budget, repeats)
        out.append(min(before, after, key=lambda r: r.seconds or math.inf))
    return out


# -- reporting ---------------------------------------------------------------


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(torch: Any) -> dict[str, Any]:
    """What every figure depends on: build, ISA, threads, versions, CPU."""
    try:
        pools = importlib.import_module("threadpoolctl").threadpool_info()
    except ImportError:
        pools = "threadpoolctl not installed"
    return {
        "cpu": f"{_cpu_model()} ({os.cpu_count()} logical CPUs)",
        "threads": _core.get_num_threads(),
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
        "build_info": dict(_core.build_info()),
        "versions": f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {'not installed' if torch is None else torch.__version__}",
        "threadpools": pools,
    }


def header_lines(env: dict[str, Any], dtype: np.dtype[Any]) -> list[str]:
    pools = env["threadpools"]
    if not isinstance(pools, str):
        pools = "; ".join(
            f"{d.get('internal_api')} {d.get('version')} "
            f"threads={d.get('num_threads')} ({os.path.basename(d.get('filepath', ''))})"
            for d in pools
        )
    build = ", ".join(f"{k}={v}" for k, v in env["build_info"].items())
    return [
        "# steepest optimizer benchmark",
        "",
        f"- CPU: {env['cpu']}; {env['versions']}",
        f"- threads: steepest {env['threads']}, torch {env['torch_threads']}; "
        + f"OMP_WAIT_POLICY={env['omp_wait_policy']} (for every user of the process's "
        + "libgomp, torch's included when it shares it)",
        f"- build_info: {build}",
        f"- threadpoolctl: {pools}",
        f"- {dtype.name}; each figure: median over repeated steps after a warm-up",
        # other processes on the machine are the main source of noise
        "- load average (1 min) before, after: {:.2f}, {:.2f}".format(*env["load"]),
    ]


def _cell(m: Measurement | None) -> str:
    if m is None or m.seconds is None:
        return "n/a"
    return f"{m.ns_per_element:.3g} ({m.gbps:.3g})"


def _ratio(slow: Measurement | None, fast: Measurement | None) -> str:
    if slow is None or fast is None or not slow.seconds or not fast.seconds:
        return "n/a"
    return f"{slow.seconds / fast.seconds:.3g}x"


def table_lines(
    results: Sequence[Measurement], rules: Sequence[Rule], sizes: Sequence[Size]
) -> list[str]:
    """The Markdown table: one row per rule and size."""
    find = {(m.rule, m.size, m.contender): m for m in results}
    cols = ["optimizer", "size", "roofline GB/s", NATIVE, "% roofline", "µs/step",
            *CONTENDERS[1:], "x reference", "x torch", "x torch fused"]  # fmt: skip
    lines = [
        "",
        "Cells: ns per element (GB/s moved). All but `native raise` use nonfinite="
        + "'ignore'; `x C` is C's time over native's (above 1: native is faster).",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for rule in rules:
        for size in sizes:
            roof = find.get(("roofline", size.label, NATIVE))
            nat = find[(rule.key, size.label, NATIVE)]
            share = f"{nat.gbps / roof.gbps:.0%}" if roof else "n/a"
            row = [rule.label, size.label, f"{roof.gbps:.3g}" if roof else "n/a",
                   _cell(nat), share, f"{(nat.seconds or math.nan) * 1e6:.3g}"]  # fmt: skip
            row += [_cell(find.get((rule.key, size.label, c))) for c in CONTENDERS[1:]]
            row += [_ratio(find.get((rule.key, size.label, c)), nat)
                    for c in (REFERENCE, "torch", "torch fused")]  # fmt: skip
            lines.append("| " + " | ".join(row) + " |")
    return lines


def target_lines(results: Sequence[Measurement]) -> list[str]:
    """The issue's targets, checked on whatever this run measured."""
    get = {(m.rule, m.size, m.contender): m for m in results if m.seconds}
    checks: list[tuple[bool, str]] = []
    roof = get.get(("roofline", "5e7", NATIVE))
    for rule in RULES:
        if roof and (m := get.get((rule.key, "5e7", NATIVE))):
            goal = ADAM_ROOFLINE_SHARE if rule.key == "adam" else OTHER_ROOFLINE_SHARE
            got = m.gbps / roof.gbps
            text = (
                f"{rule.label} at 5e7: {got:.1%} of the roofline (target ≥ {goal:.0%})"
            )
            checks.append((got >= goal, text))
    ratios = [("5e7", "torch fused", 1.0), ("1e7", REFERENCE, ADAM_REFERENCE_SPEEDUP)]
    for size, other, goal in ratios:
        m, o = get.get(("adam", size, NATIVE)), get.get(("adam", size, other))
        if m and o and m.seconds and o.seconds:
            r = o.seconds / m.seconds
            text = f"Adam at {size}: {r:.2f}x the speed of {other} (target ≥ {goal:g}x)"
            checks.append((r >= goal, text))
    if m := get.get(("adam", "100x1e4", NATIVE)):
        ns, goal = m.ns_per_element, LIST_NS_PER_ELEMENT
        text = f"Adam on 100x1e4: {ns:.3g} ns/element (target ≤ {goal})"
        checks.append((ns <= goal, text))
    if m := get.get(("adam", "1e3", NATIVE)):
        us, goal = (m.seconds or math.nan) * 1e6, SMALL_MICROSECONDS
        checks.append((us <= goal, f"Adam at 1e3: {us:.3g} µs/step (target ≤ {goal})"))
    lines = ["", "Targets of the benchmark issue:", ""] if checks else []
    return lines + [f"- {'PASS' if ok else 'FAIL'} {text}" for ok, text in checks]


# -- per-call overhead and the parallel grain --------------------------------


def overhead_rows(
    budget: float, repeats: int | None, torch: Any
) -> list[tuple[str, float]]:
    """Microseconds per call at ``OVERHEAD_ELEMENTS`` float32 elements, by layer."""
    size, f32 = Size(1, OVERHEAD_ELEMENTS), np.dtype(np.float32)
    p, g, m, v = _arrays(size, f32, 4, seed=2)
    tp, tg, tm, tv = (a[0] for a in _arrays(size, f32, 4, seed=2))  # gets scribbled on
    e0, e1, e2, e3 = (np.zeros(0, f32) for _ in range(4))
    hyper = (1e-3, 0.9, 0.999, 1e-8, 0.0, False, False, "ignore")
    opt = optim.Adam([p[0].copy()], nonfinite="ignore")
    opt_raise = optim.Adam([p[0].copy()])
    calls: list[tuple[str, Callable[[], object]]] = [
        ("pybind11 call without work (_core.get_num_threads)", _core.get_num_threads),
        ("_core.adam_step, 0 elements (checks and driver only)",
         lambda: _core.adam_step(e0, e1, e2, e3, None, 2, *hyper)),
        ("_core.traffic_pass, single arrays", lambda: _core.traffic_pass(tp, tg, tm, tv)),
        ("_core.adam_step, single arrays",
         lambda: _core.adam_step(p[0], g[0], m[0], v[0], None, 2, *hyper)),
        ("_core.adam_step, lists of one array",
         lambda: _core.adam_step(p, g, m, v, None, 2, *hyper)),
        ("functional.adam_step (keywords), lists",
         lambda: functional_adam_step(p, g, m, v, step=2, nonfinite="ignore")),
        ("Adam.step([g]), nonfinite='ignore'", lambda: opt.step(g)),
        ("Adam.step([g]), nonfinite='raise'", lambda: opt_raise.step(g)),
    ]  # fmt: skip
    fused = make_stepper(RULES_BY_KEY["adam"], "torch fused", p, g, torch)
    if fused is not None:
        calls.append(("torch.optim.Adam(fused=True), .grad + step()", fused.step))
    return [(name, time_call(fn, budget, repeats)[0] * 1e6) for name, fn in calls]


def overhead_lines(rows: Sequence[tuple[str, float]]) -> list[str]:
    n = _short(OVERHEAD_ELEMENTS)
    lines = ["", f"Per-call cost, Adam float32, {n} elements:", ""]
    lines += ["| call | µs/call |", "|---|---|"]
    return lines + [f"| {name} | {us:.3g} |" for name, us in rows]


def grain_scan(budget: float, repeats: int | None) -> dict[int, dict[int, float]]:
    """Seconds per Adam step (float32, through the class) by size and grain."""
    old = _core.get_parallel_grain()
    out: dict[int, dict[int, float]] = {}
    try:
        for n in GRAIN_SIZES:
            p, g = _arrays(Size(1, n), np.dtype(np.float32), 2, seed=3)
            opt = optim.Adam(p, nonfinite="ignore")
            out[n] = {}
            for grain in GRAINS:
                _core.set_parallel_grain(grain)
                out[n][grain] = time_call(partial(opt.step, g), budget, repeats)[0]
    finally:
        _core.set_parallel_grain(old)
    return out


def grain_lines(scan: dict[int, dict[int, float]], threads: int) -> list[str]:
    """µs per step by size (rows) and grain (columns), each row's best in bold.

    Sizes at or above the grain run on all threads. The last row is each
    grain's geometric-mean slowdown over the per-size best: pick the lowest.
    """
    head = " | ".join(f"grain {g}" for g in GRAINS)
    policy = os.environ.get("OMP_WAIT_POLICY", "(unset)")
    title = f"Adam float32, {threads} threads, OMP_WAIT_POLICY={policy} (µs per step)"
    lines = ["", f"Parallel grain, {title}:", ""]
    lines += [f"| size | {head} |", "|---|" + "---|" * len(GRAINS)]
    for n, row in scan.items():
        best = min(row.values())
        cells = (
            f"**{t * 1e6:.3g}**" if t == best else f"{t * 1e6:.3g}"
            for t in row.values()
        )
        lines.append(f"| {n} | {' | '.join(cells)} |")
    logs = [[math.log(r[g] / min(r.values())) for r in scan.values()] for g in GRAINS]
    slow = " | ".join(f"{math.exp(statistics.fmean(x)):.3f}" for x in logs)
    return [*lines, f"| slowdown (geomean) | {slow} |"]


# -- command line ------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m steepest bench`` and ``bench/run.py``."""
    add = parser.add_argument
    add("--sizes", type=_sizes, help="comma-separated, like 1e7 or 100x1e4 (a list "
        f"of arrays); default {DEFAULT_SIZES}, with --quick {QUICK_SIZES}")  # fmt: skip
    add("--optimizers", type=_rules, default=RULES, metavar="NAMES",
        help=f"comma-separated subset of {','.join(RULES_BY_KEY)}")  # fmt: skip
    add("--threads", type=int, help="steepest.set_num_threads (torch gets the same)")
    add("--dtype", choices=["float32", "float64"], default="float32")
    add("--quick", action="store_true", help="small sizes, short timings (smoke run)")
    add("--repeats", type=int, help="timed samples per figure (default: adaptive)")
    add("--sections", nargs="+", choices=["table", "overhead", "grain"],
        default=["table"], help="what to measure (default: table)")  # fmt: skip
    add("--no-torch", action="store_true", help="leave torch out even if installed")
    add("--json", metavar="PATH", help="also write the raw results to PATH")


def run(args: argparse.Namespace) -> int:
    """Measure and print what ``args`` asks for; returns the exit status."""
    rules = args.optimizers
    sizes = args.sizes or _sizes(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    budget = QUICK_BUDGET if args.quick else DEFAULT_BUDGET
    torch = None
    if not args.no_torch:
        try:
            torch = importlib.import_module("torch")
        except ImportError:
            pass
    if args.threads is not None:
        _core.set_num_threads(args.threads)
    if torch is not None:  # the same thread count for both, whatever the defaults
        torch.set_num_threads(_core.get_num_threads())
    dtype = np.dtype(args.dtype)
    env = environment(torch)
    load_before = os.getloadavg()[0]
    lines: list[str] = []
    raw: dict[str, Any] = {"environment": env}
    if "table" in args.sections:
        results = run_table(rules, sizes, dtype, budget, args.repeats, torch)
        lines += table_lines(results, rules, sizes) + target_lines(results)
        raw["results"] = [asdict(m) for m in results]
    if "overhead" in args.sections:
        rows = overhead_rows(budget, args.repeats, torch)
        lines += overhead_lines(rows)
        raw["overhead_us"] = dict(rows)
    if "grain" in args.sections:
        scan = grain_scan(budget, args.repeats)
        lines += grain_lines(scan, _core.get_num_threads())
        raw["grain_seconds"] = {str(n): row for n, row in scan.items()}
    env["load"] = (load_before, os.getloadavg()[0])
    print("\n".join(header_lines(env, dtype) + lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(raw, f, indent=1, default=str)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bench/run.py``: parse ``argv``, then :func:`run`."""
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
