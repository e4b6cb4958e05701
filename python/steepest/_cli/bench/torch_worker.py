"""torch.optim's side of the benchmark, measured in a process of its own.

steepest sets ``OMP_WAIT_POLICY=passive`` before its extension loads, and torch
uses the same libgomp when both live in one process: every torch parallel
region would then pay the passive wake-up (50-250 µs here), which torch's own
users do not. So the benchmark starts this file as a child process, by path
(``python -P .../torch_worker.py --threads N``): ``import steepest.anything``
would run ``steepest/__init__.py``, load ``_core`` and set the variable, hence
this module imports nothing of steepest and needs only numpy and torch, and
``-P`` keeps its own folder off ``sys.path``, so that none of its sibling
modules (``train.py``, ``measure.py``, ...) can stand in for a module of the
same name that torch or numpy imports. The parent drops ``OMP_WAIT_POLICY``
from the child's environment unless the user had set it
(:func:`~steepest._cli.bench.torch_client.launch_wait_policy`).

The parent imports this module as ``steepest._cli.bench.torch_worker`` too, for
:func:`time_call`, :func:`make_arrays` and :func:`torch_stepper`, so that both
processes time and build arrays alike; its handle on the child is
:class:`~steepest._cli.bench.torch_client.TorchWorker`.

Protocol: the child prints one JSON line describing itself, then answers each
JSON request line on stdin with one JSON line, or an error. A ``measure``
request (one optimizer at one size, some torch variants) is answered with
seconds per step and calls timed per variant. The interleaved table instead
``open`` s a cell (builds the variants and keeps them), asks to ``run`` one
variant for a block of steps at each of its turns, and ``close`` s it.
Before timing, each variant's first step is compared with the reference's
(an ``.npy`` file the parent wrote, all arrays concatenated).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

# Calls faster than this are timed in batches, so that the clock's resolution
# and the loop's own cost stay below 0.1 % of a sample.
BATCH_SECONDS = 2e-4
MIN_SAMPLES, MAX_SAMPLES = 5, 100
# A call slower than the whole budget (the NumPy reference at 5e7) is timed
# twice after its warm-up: enough for a median, and the run stays short.
SLOW_SAMPLES = 2
# torch's kernels round differently from the reference (operation order,
# fused multiply-add): its first step must match to these tolerances.
TORCH_RTOL, TORCH_ATOL = 1e-6, 1e-6
CHECK_CHUNK = 1 << 20  # elements compared at a time, to bound temporaries
# evict_caches() reads at least this much (twice a 32 MB L3) and at most
# MAX_EVICT_BYTES: a VM's sysfs reports the host socket's whole L3 (480 MB
# seen), shared with other tenants, and reading twice that took ~120 ms per
# turn, minutes over a table. Every turn is treated alike either way.
MIN_EVICT_BYTES = 64 << 20
MAX_EVICT_BYTES = 256 << 20


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


def make_arrays(
    count: int, n: int, dtype: np.dtype[Any], k: int, seed: int
) -> list[list[Any]]:
    """``k`` lists of ``count`` standard-normal arrays of ``n`` elements.

    Deterministic in ``seed``: parent and child build the same inputs.
    """
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(n, dtype) for _ in range(count)] for _ in range(k)]


def _peer_class(peer: str) -> Any:
    """The class ``peer`` names (``torch.optim.Adam``, ``schedulefree.SGDScheduleFree``),
    None where its package is not installed or has no such class."""
    module, _, name = peer.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def torch_stepper(
    torch: Any,
    peer: str,
    kwargs: dict[str, Any],
    flags: dict[str, bool],
    params: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    strict: bool = False,
) -> tuple[Callable[[], None], Callable[[], None]] | None:
    """``(step, close)`` of the torch optimizer ``peer`` over ``params``, updated
    in place: ``torch.optim.<cls>``, or for a rule torch.optim lacks its peer
    package's class (the spec row's ``peer``, which the parent sends).

    ``params`` are wrapped with ``torch.from_numpy`` (shared memory) and
    ``.grad`` is set before every step, as a training loop's backward pass
    would. None when torch has no such variant on CPU, or the peer's package
    is not installed; with ``strict``, the class's error is raised instead
    (so that the caller can say why an optional peer is absent).
    """
    make = _peer_class(peer)
    if make is None:
        if strict:
            msg = f"{peer} does not import"
            raise ImportError(msg)
        return None
    tp = [torch.from_numpy(p) for p in params]
    tg = [torch.from_numpy(g.copy()) for g in grads]
    try:
        topt = make(tp, **kwargs, **flags)
    except (TypeError, RuntimeError, ValueError):
        if strict:
            raise
        return None
    if hasattr(topt, "train"):  # torch.optim's classes have no train()
        topt.train()  # schedulefree refuses a step before train()

    def step() -> None:
        for p, g in zip(tp, tg, strict=True):
            p.grad = g
        topt.step()

    def close() -> None:
        # torch's default path leaves a reference cycle (through __init__
        # frames); dropping the state frees it without a slow gc.collect().
        topt.state.clear()
        topt.param_groups.clear()

    return step, close


def _chunk_errors(
    got: Sequence[np.ndarray], expected: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, |got - expected| / (atol + rtol |expected|))`` chunk by chunk,
    ``start`` indexing the arrays concatenated (no full-size temporaries); a
    NaN counts as infinitely far."""
    offset = 0
    for a in got:
        for lo in range(0, a.size, CHECK_CHUNK):
            x = a[lo : lo + CHECK_CHUNK].astype(np.float64)
            y = np.asarray(expected[offset + lo : offset + lo + x.size], np.float64)
            err = np.abs(x - y) / (TORCH_ATOL + TORCH_RTOL * np.abs(y))
            err[np.isnan(err)] = np.inf  # a NaN is out of any tolerance
            yield offset + lo, err
        offset += a.size


def max_mismatch(got: Sequence[np.ndarray], expected: np.ndarray) -> float:
    """Largest ``|got - expected| / (atol + rtol |expected|)``: above 1 fails."""
    return max((float(np.max(err, initial=0.0)) for _, err in _chunk_errors(got, expected)),
               default=0.0)  # fmt: skip


def mismatch_detail(
    got: Sequence[np.ndarray],
    expected: np.ndarray,
    params: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
) -> str:
    """Where a failed check failed: how many elements are out of tolerance, and
    at the worst one (flat index over the arrays concatenated) both results and
    the step's inputs, so that a rare failure says enough to be understood."""
    worst, at, count = -1.0, 0, 0
    for start, err in _chunk_errors(got, expected):
        count += int(np.count_nonzero(err > 1.0))
        if err.size and float(err.max()) > worst:
            worst, at = float(err.max()), start + int(err.argmax())
    offset = sum(a.size for a in got)
    got_at, param_at, grad_at = (
        float(np.concatenate([np.ravel(a) for a in arrays])[at])
        for arrays in (got, params, grads)
    )
    return (
        f"{count} of {offset} elements out of tolerance; worst at {at}: "
        f"got {got_at!r}, expected {float(expected[at])!r} (param {param_at!r}, "
        f"grad {grad_at!r})"
    )


# -- the child ---------------------------------------------------------------


_LAST_INPUTS: dict[tuple[int, int, str, int], list[list[Any]]] = {}


def _inputs(count: int, n: int, dtype: np.dtype[Any], seed: int) -> list[list[Any]]:
    """``make_arrays(count, n, dtype, 2, seed)``, kept for the next request: the
    table asks for the same inputs once per rule (seconds to draw at 5e7)."""
    key = (count, n, dtype.name, seed)
    if key not in _LAST_INPUTS:
        _LAST_INPUTS.clear()  # one size at a time in memory
        _LAST_INPUTS[key] = make_arrays(count, n, dtype, 2, seed)
    return _LAST_INPUTS[key]


def _open(torch: Any, req: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Build every variant of ``req``, step each once and check it.

    Returns ``(reply, steppers)``: the reply maps each variant to its mismatch
    and the seconds of that first step (None: torch has no such variant) or is
    ``{"error": ...}``; ``steppers`` maps the available ones to ``(step, close)``.
    """
    dtype = np.dtype(req["dtype"])
    params, grads = _inputs(req["count"], req["n"], dtype, req["seed"])
    expected = np.load(req["expected"], mmap_mode="r")
    reply: dict[str, Any] = {}
    steppers: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {}
    builds = [(name, req["peer"], req["kwargs"], flags)
              for name, flags in req["variants"].items()]  # fmt: skip
    builds += [(name, o["peer"], o["kwargs"], {})
               for name, o in req.get("others", {}).items()]  # fmt: skip
    for name, peer, kwargs, flags in builds:
        optional = name in req.get("others", {})
        if optional and name in _NOTES:
            reply[name] = None  # failed before: its build is not tried again
            continue
        ps = [p.copy() for p in params]
        try:
            made = torch_stepper(torch, peer, kwargs, flags, ps, grads, optional)
            start = time.perf_counter()
            if made is not None:
                made[0]()
        except Exception as err:
            if not optional:
                raise
            # an optional peer that does not build or run here (DeepSpeed's
            # CPU Adam takes float32 only): absent, with the reason
            made, _NOTES[name] = None, _why(err)
        if made is None:
            reply[name] = None
            continue
        first = time.perf_counter() - start
        worst = max_mismatch(ps, expected)
        if not worst <= 1.0:  # NaN fails too
            for _, close in steppers.values():
                close()
            msg = (
                f"{name} {peer}({kwargs}) after one step differs from "
                f"the reference by {worst:.3g} x (atol {TORCH_ATOL} + rtol "
                f"{TORCH_RTOL} |reference|): "
                + mismatch_detail(ps, expected, params, grads)
            )
            return {"error": msg}, {}
        steppers[name] = made
        reply[name] = {"mismatch": worst, "first": first}
    return {"variants": reply, "notes": dict(_NOTES)}, steppers


# Why an optional peer ("others" of a request) is absent, by variant name: the
# first line of its error and of the error that caused it (DeepSpeed wraps a
# failed build of its op in a RuntimeError of its own).
_NOTES: dict[str, str] = {}


def _why(err: BaseException) -> str:
    parts = [err, *([err.__cause__] if err.__cause__ is not None else [])]
    return "; ".join(f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"
                     for e in parts)  # fmt: skip


def _measure(torch: Any, req: dict[str, Any]) -> dict[str, Any]:
    """Check, then time, every variant of ``req`` (see :meth:`.torch_client.TorchWorker.measure`)."""
    reply, steppers = _open(torch, req)
    if "error" in reply:
        return reply
    out: dict[str, Any] = {}
    for name, got in reply["variants"].items():
        if name not in steppers:
            out[name] = {"seconds": None, "calls": 0}
            continue
        step, close = steppers.pop(name)
        seconds, calls = time_call(step, req["budget"], req["repeats"])
        close()
        del step, close  # state goes before the next variant's comes
        out[name] = {"seconds": seconds, "calls": calls, "mismatch": got["mismatch"]}
    return {"results": out}


def _l3_bytes() -> int:
    """The L3 size the C library reports, else Linux's sysfs (a ``sysconf``
    may lack the name or answer 0), else 0."""
    try:
        if (got := os.sysconf("SC_LEVEL3_CACHE_SIZE")) > 0:
            return got
    except (ValueError, OSError, AttributeError):
        pass
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = os.listdir(base)
    except OSError:
        return 0
    for index in entries:
        try:
            with open(os.path.join(base, index, "level")) as f:
                if f.read().strip() != "3":
                    continue
            with open(os.path.join(base, index, "size")) as f:
                text = f.read().strip().upper()
            scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
            return int(text.rstrip("KM")) * scale
        except (OSError, ValueError):
            continue  # not a cache's folder (sysfs lists "uevent" too)
    return 0


def evict_bytes() -> int:
    """Bytes :func:`evict_caches` reads: twice the L3, at least
    :data:`MIN_EVICT_BYTES` (the size is not known everywhere) and at most
    :data:`MAX_EVICT_BYTES`."""
    return min(MAX_EVICT_BYTES, max(MIN_EVICT_BYTES, 2 * _l3_bytes()))


_EVICT: list[np.ndarray] = []


def evict_caches() -> None:
    """Read a buffer twice the size of the last-level cache, so that the next
    step finds its arrays in memory, not in a cache. Read, not written: the
    buffer's lines are clean, and the step that displaces them pays no
    write-back for them."""
    if not _EVICT:
        _EVICT.append(np.ones(evict_bytes() // 8, np.float64))
    float(_EVICT[0].sum())


def run_steps(step: Callable[[], object], k: int, evict: bool = False) -> float:
    """Seconds for ``k`` consecutive calls of ``step``, the garbage collector
    off while timing, as in :mod:`timeit` (both processes time turns with it);
    with ``evict``, :func:`evict_caches` first (not timed)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        if evict:
            evict_caches()
        start = time.perf_counter()
        for _ in range(k):
            step()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


class _Cell:
    """The requests of the interleaved table: ``open`` a cell's variants, ``run``
    one of them for a block of steps (the coordinator's turn), ``close``."""

    def __init__(self, torch: Any) -> None:
        self.torch = torch
        self.steppers: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {}

    def close(self) -> dict[str, Any]:
        for _, close in self.steppers.values():
            close()
        self.steppers.clear()
        gc.collect()
        return {"closed": True}

    def answer(self, req: dict[str, Any]) -> dict[str, Any]:
        op = req.get("op", "measure")
        if op == "measure":
            return _measure(self.torch, req)
        if op == "open":
            self.close()
            reply, self.steppers = _open(self.torch, req)
            return reply
        if op == "run":
            step = self.steppers[req["variant"]][0]
            steps, evict = int(req["steps"]), bool(req.get("evict", False))
            return {"seconds": run_steps(step, steps, evict)}
        if op == "close":
            return self.close()
        return {"error": f"unknown request {op!r}"}


def _version(package: str) -> str | None:
    """``package``'s installed version, None if it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def serve(threads: int) -> int:
    """The child's main loop: describe itself, then answer requests until EOF.

    The replies go to a copy of the original stdout; file descriptor 1 then
    points at stderr, so that whatever a peer prints (DeepSpeed's logs, the
    compiler's output of its first build) cannot break a reply line.
    """
    replies = os.fdopen(os.dup(1), "w")
    sys.stdout.flush()
    os.dup2(2, 1)

    def reply(obj: dict[str, Any]) -> None:
        print(json.dumps(obj), file=replies, flush=True)

    try:
        torch = importlib.import_module("torch")
    except ImportError as err:
        reply({"error": f"torch does not import: {err}"})
        return 0
    torch.set_num_threads(threads)
    steepest = sorted(m for m in sys.modules if m.partition(".")[0] == "steepest")
    hello = {
        "version": torch.__version__,
        "deepspeed": _version("deepspeed"),  # not imported until a row needs it
        "threads": torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "steepest_modules": steepest,  # must stay empty
        "parallel_info": torch.__config__.parallel_info(),
    }
    reply(hello)
    cell = _Cell(torch)
    for line in sys.stdin:
        # an exception ends the child: its traceback goes to the shared stderr
        # and the parent, reading EOF, raises
        reply(cell.answer(json.loads(line)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="torch side of steepest's benchmark")
    parser.add_argument("--threads", type=int, required=True)
    return serve(parser.parse_args(argv).threads)


if __name__ == "__main__":
    raise SystemExit(main())
