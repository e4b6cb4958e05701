"""Whether steepest's ``OMP_WAIT_POLICY`` default reached its OpenMP runtime.

libgomp reads ``OMP_WAIT_POLICY`` once, when the library loads. ``import
steepest`` sets ``passive`` as a default before its extension loads, but the
extension binds to whichever runtime of the same name (``libgomp.so.1``) the
process has already loaded: imported after torch, steepest shares torch's
runtime, which read the environment before the default was set, so steepest's
threads spin as torch's do and nothing says so. :func:`record` notes, at
``import steepest`` and before the default is set, the variable and the
runtimes already mapped; :func:`wait_policy` tells, once the extension is
loaded, whether the policy in the environment is the one its runtime runs.
Linux only (``/proc/self/maps``); elsewhere the answer is "unknown".

The policy concerns the training loops' OpenMP team only: the optimizer
steps run on steepest's own threads (``core/pool.hpp``: they spin a bounded
time after a step, then sleep), the same whatever the policy or the import
order; :func:`wait_policy` says so under ``"step_threads"``.
"""

from __future__ import annotations

import os
from typing import Any

RUNTIME_PREFIXES = ("libgomp", "libomp", "libiomp")
MAPS = "/proc/self/maps"

#: what the report says of the optimizer steps' threads, whatever the policy
STEP_THREADS = (
    "steepest's own (they spin a bounded time after a step, then sleep), whatever "
    "OMP_WAIT_POLICY and the import order; the policy applies to the training loops"
)

# the environment's value and the runtimes mapped when steepest was imported
_AT_IMPORT: dict[str, Any] = {"policy": None, "runtimes": None}


def loaded_runtimes(maps: str = MAPS) -> list[str] | None:
    """Real paths of the OpenMP runtimes mapped into this process, sorted;
    None where the process map cannot be read."""
    try:
        with open(maps, encoding="utf-8") as f:
            paths = {line.split(maxsplit=5)[-1].strip() for line in f}
    except OSError:
        return None
    return sorted(
        os.path.realpath(p)
        for p in paths
        if p.startswith("/") and os.path.basename(p).startswith(RUNTIME_PREFIXES)
    )


def record() -> None:
    """Called by ``steepest/__init__.py`` just before it sets its default."""
    _AT_IMPORT["policy"] = os.environ.get("OMP_WAIT_POLICY")
    _AT_IMPORT["runtimes"] = loaded_runtimes()


def wait_policy(runtime: str) -> dict[str, Any]:
    """What ``runtime`` (the library steepest's extension uses, from
    ``build_info()["openmp_runtime"]["library"]``) runs under.

    ``applied`` is True when the runtime loaded after ``import steepest`` (it
    read the environment with steepest's default in it) or the variable was
    set before that import, False when a runtime loaded earlier read no value
    (libgomp's default then: spin a while, then sleep), None when unknown.
    """
    before = _AT_IMPORT["runtimes"]
    user = _AT_IMPORT["policy"]
    shared = None
    if before is not None and runtime:
        shared = os.path.realpath(runtime) in before
    applied = None if shared is None else (not shared or user is not None)
    if shared is None:
        note = "unknown: no process map to say when the OpenMP runtime loaded"
    elif not shared:
        note = "the runtime loaded after import steepest"
    elif user is not None:
        note = f"the runtime loaded before import steepest, with {user} already set"
    else:
        note = (
            "NOT APPLIED: the runtime was loaded before import steepest (by another "
            "library, e.g. torch) and read no OMP_WAIT_POLICY; set it before "
            "starting Python to choose"
        )
    return {
        "step_threads": STEP_THREADS,
        "policy": os.environ.get("OMP_WAIT_POLICY"),
        "set_at_import": user,
        "runtime": runtime,
        "loaded_before_import": shared,
        "applied": applied,
        "note": note,
    }
