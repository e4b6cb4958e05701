"""``python -m steepest bench --sections torch``: steepest.torch.Adam against torch.optim.Adam.

Both are ``torch.optim.Optimizer`` s stepping the same CPU tensors, so they
are timed in one process, a child of the benchmark started by path with
``python -P`` (as :mod:`steepest._cli.bench.torch_worker`, for the same reason): it
imports torch *first* and steepest after. libgomp reads ``OMP_WAIT_POLICY``
once, when it loads, so torch's OpenMP runtime starts under the policy the
user launched with (the parent drops steepest's ``passive`` from the child's
environment unless the user set it), while steepest's ``setdefault`` applies
only to a runtime loaded after it. The child reports the policy at both
imports, the OpenMP runtimes it mapped and :func:`steepest._openmp.wait_policy`,
and the table header says so.

Before timing, one step of every torch variant from the same start must match
steepest's to ``rtol = atol = 1e-6``; then the four take turns in interleaved
rounds (:mod:`steepest._cli.bench.rounds`) and each ratio is formed per round.
The parent imports this module as
``steepest._cli.bench.torch_optim`` for :func:`measure` and :func:`report_lines`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

# (label, number of tensors, elements each), float32
SIZES = [("10x1e5", 10, 100_000), ("1x1e7", 1, 10_000_000)]
QUICK_SIZES = [("10x1e4", 10, 10_000), ("1x1e6", 1, 1_000_000)]
STEEPEST = "steepest.torch"
# label: keyword arguments of torch.optim.Adam
TORCH_VARIANTS: dict[str, dict[str, bool]] = {
    "torch default": {},  # on CPU the single-tensor for-loop
    "torch foreach": {"foreach": True},
    "torch fused": {"fused": True},
}
BYTES_PER_ELEMENT = 7 * 4  # Adam reads p, g, m, v and writes p, m, v (float32)
RTOL = ATOL = 1e-6


# -- the child (torch imported before steepest) ---------------------------------


def _child(threads: int, quick: bool, rounds: int, block: int | None) -> dict[str, Any]:
    policy_at_torch = os.environ.get("OMP_WAIT_POLICY")
    import torch  # first, on purpose: see the module docstring

    torch.set_num_threads(threads)
    torch.ones(1 << 16).add_(1)  # a parallel op, so torch's runtime is up

    import steepest
    import steepest.torch
    from steepest import _openmp
    from steepest._cli.bench.rounds import Turn, interleave, local_runner, plan_blocks

    steepest.set_num_threads(threads)
    runtimes = _openmp.loaded_runtimes()
    info = {
        "torch": torch.__version__,
        "threads": threads,
        "omp_wait_policy_at_torch_import": policy_at_torch,
        "omp_wait_policy_at_steepest_import": os.environ.get("OMP_WAIT_POLICY"),
        "openmp_runtimes": [os.path.basename(p) for p in runtimes or ()],
        "wait_policy": _openmp.wait_policy(
            steepest.build_info()["openmp_runtime"]["library"]
        ),
        "rounds": rounds,
        "block": block,
    }
    gen = torch.Generator().manual_seed(0)
    rows = []
    for label, count, n in QUICK_SIZES if quick else SIZES:
        start = [torch.randn(n, generator=gen) for _ in range(count)]
        grads = [torch.randn(n, generator=gen) for _ in range(count)]
        makers: dict[str, Any] = {STEEPEST: lambda ps: steepest.torch.Adam(ps)}
        for name, flags in TORCH_VARIANTS.items():
            makers[name] = lambda ps, flags=flags: torch.optim.Adam(ps, **flags)
        steps: dict[str, Any] = {}
        expected: list[torch.Tensor] = []
        for name, make in makers.items():
            params = [torch.nn.Parameter(s.clone()) for s in start]
            for p, g in zip(params, grads, strict=True):
                p.grad = g
            opt = make(params)
            opt.step()  # the check's step is every contender's warm-up too
            got = [p.detach() for p in params]
            if not expected:
                expected = [t.clone() for t in got]
            for a, b in zip(got, expected, strict=True):
                if not torch.allclose(a, b, rtol=RTOL, atol=ATOL):
                    worst = (a - b).abs().max().item()
                    msg = (
                        f"{name} differs from {STEEPEST} after one step by {worst:.3g}"
                    )
                    raise RuntimeError(msg)
            steps[name] = opt.step
        # all four alive, their turns interleaved round by round
        runners = {name: local_runner(step) for name, step in steps.items()}
        plan = plan_blocks({c: run(1) for c, run in runners.items()}, block, rounds)
        turns = [Turn(c, run, "here", *plan[c]) for c, run in runners.items()]
        seconds = interleave(turns, rounds)
        rows.append({"size": label, "elements": count * n, "seconds": seconds,
                     "block": {c: k for c, (k, _) in plan.items()}})  # fmt: skip
        del steps, runners, turns  # state goes before the next size's comes
    return {"info": info, "rows": rows}


# -- the parent --------------------------------------------------------------------


def measure(
    threads: int, *, quick: bool, rounds: int, block: int | None
) -> dict[str, Any]:
    """Run the child and return its report (``{"error": ...}`` without torch)."""
    # Here, not at the top: the child runs this file by path, outside the package.
    from .torch_client import launch_wait_policy

    policy, how = launch_wait_policy()
    env = dict(os.environ)
    env.pop("OMP_WAIT_POLICY", None)
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    cmd = [sys.executable, "-P", os.path.abspath(__file__), "--threads", str(threads),
           "--rounds", str(rounds)]  # fmt: skip
    if quick:
        cmd.append("--quick")
    if block is not None:
        cmd += ["--block", str(block)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        msg = f"the torch process failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    report: dict[str, Any] = json.loads(lines[-1])
    report.setdefault("info", {})["wait_policy_source"] = how
    return report


def report_lines(report: dict[str, Any]) -> list[str]:
    """The section's header and Markdown table."""
    from .rounds import SPREAD, per_round_ratios, ratio_text, spread

    if "error" in report:
        return ["", "## steepest.torch.Adam vs torch.optim.Adam", "", report["error"]]
    info = report["info"]
    at_torch = info["omp_wait_policy_at_torch_import"] or "(unset)"
    at_steepest = info["omp_wait_policy_at_steepest_import"] or "(unset)"
    runtimes = info["openmp_runtimes"]
    status = info["wait_policy"]
    if status["loaded_before_import"]:
        # libgomp read the variable once, at torch's import: steepest's
        # setdefault came later and changed the environment only
        lib = os.path.basename(status["runtime"])
        policy = (
            f"steepest's extension runs on the OpenMP runtime torch loaded ({lib}), "
            f"started with OMP_WAIT_POLICY={at_torch} ({info['wait_policy_source']}); "
            f"steepest's import set {at_steepest}: {status['note']}"
        )
    else:
        policy = (
            f"OMP_WAIT_POLICY={at_torch} when torch's OpenMP runtime started "
            f"({info['wait_policy_source']}), {at_steepest} when steepest's did "
            f"({status['note']}); OpenMP runtimes mapped: {', '.join(runtimes) or 'none'}"
        )
    head = [
        (
            f"torch {info['torch']}, {info['threads']} threads for both, float32, "
            "one process: torch imported first, then steepest"
        ),
        policy,
        (
            f"{info['rounds']} interleaved rounds (the four take turns, blocks of "
            f"{info['block'] or 'auto'} steps), .grad set once as after backward; "
            "each figure: median µs per step() over rounds; every torch variant's "
            f"first step matched steepest's (rtol {RTOL}, atol {ATOL}) before timing"
        ),
        (
            "GB/s: 28 bytes per element (Adam reads p, g, m, v and writes p, m, "
            "v); `x V`: V's time over steepest's per round (above 1: steepest is "
            f"faster), median [{SPREAD}], † where the spread crosses 1.0 or is "
            "wider than the effect"
        ),
    ]
    names = [STEEPEST, *TORCH_VARIANTS]
    cols = [
        "params",
        *names,
        *(f"x {n.removeprefix('torch ')}" for n in TORCH_VARIANTS),
    ]
    lines = [
        "",
        "## steepest.torch.Adam vs torch.optim.Adam",
        "",
        *(f"- {h}" for h in head),
    ]
    lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in report["rows"]:
        sec = row["seconds"]
        cells = [row["size"]]
        for name in names:
            got = spread(sec[name])
            if got is None:
                cells.append("n/a")
                continue
            gbps = row["elements"] * BYTES_PER_ELEMENT / got.median / 1e9
            cells.append(f"{got.median * 1e6:.4g} ({gbps:.3g} GB/s)")
        cells += [
            ratio_text(spread(per_round_ratios(sec[name], sec[STEEPEST])))
            for name in TORCH_VARIANTS
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="steepest.torch vs torch.optim (child)"
    )
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--block", type=int)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    try:
        out = _child(args.threads, args.quick, args.rounds, args.block)
    except ImportError as err:
        out = {"error": f"torch not measured: {err}"}
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
