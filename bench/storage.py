"""Adam with float16/bfloat16 params (float32 state) against float32 params
and against torch's CPU Adam on bfloat16 params, timed in interleaved rounds.

``python bench/storage.py N [ROUNDS]`` prints, per variant, the median and
best time of one step over N elements, the thread counts, the ISA and the
load average. Not part of ``python -m steepest bench``: it needs torch and
ml_dtypes. torch keeps bfloat16 state for bfloat16 params (half the state
traffic of steepest's float32 state, and less precision).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import ml_dtypes
import numpy as np
import steepest
import torch
from steepest import _core


def _native(base: np.ndarray, grad: np.ndarray, dtype: Any) -> Callable[[], None]:
    p, g = base.astype(dtype), grad.astype(dtype)
    m, v = np.zeros(p.shape, np.float32), np.zeros(p.shape, np.float32)
    t = [0]

    def step() -> None:
        t[0] += 1
        steepest.functional.adam_step(p, g, m, v, step=t[0], lr=1e-3)

    return step


def _torch(
    base: np.ndarray, grad: np.ndarray, dtype: Any, **flags: Any
) -> Callable[[], Any]:
    p = torch.from_numpy(base).to(dtype).requires_grad_()
    p.grad = torch.from_numpy(grad).to(dtype)
    return torch.optim.Adam([p], lr=1e-3, **flags).step


def main(n: int, rounds: int) -> None:
    rng = np.random.default_rng(0)
    base = rng.standard_normal(n).astype(np.float32)
    grad = (rng.standard_normal(n) * 0.1).astype(np.float32)
    variants = {
        "steepest float32": _native(base, grad, np.float32),
        "steepest bfloat16": _native(base, grad, ml_dtypes.bfloat16),
        "steepest float16": _native(base, grad, np.float16),
        "torch bf16 fused": _torch(base, grad, torch.bfloat16, fused=True),
        "torch bf16 foreach": _torch(base, grad, torch.bfloat16, foreach=True),
        "torch bf16 default": _torch(base, grad, torch.bfloat16),
        "torch f32 fused": _torch(base, grad, torch.float32, fused=True),
    }
    reps = max(1, int(2e7 // n))
    times: dict[str, list[float]] = {k: [] for k in variants}
    for fn in variants.values():
        fn()
    load = [os.getloadavg()[0]]
    for _ in range(rounds):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            for _ in range(reps):
                fn()
            times[name].append((time.perf_counter() - t0) / reps)
        load.append(os.getloadavg()[0])
    print(
        f"n={n:.0e} threads steepest {_core.get_num_threads()} torch "
        f"{torch.get_num_threads()} isa={_core.get_isa()} rounds={rounds} reps={reps} "
        f"loadavg {min(load):.2f}-{max(load):.2f}"
    )
    ref = float(np.median(times["steepest bfloat16"]))
    for name, ts in times.items():
        med = float(np.median(ts))
        print(
            f"  {name:20s} median {med * 1e3:9.3f} ms  best {min(ts) * 1e3:9.3f} ms  "
            f"{med / ref:5.2f}x the median of steepest bfloat16"
        )


if __name__ == "__main__":
    main(int(float(sys.argv[1])), int(sys.argv[2]) if len(sys.argv) > 2 else 7)
