"""Command line of the package: ``python -m steepest COMMAND [options]``.

Commands
--------
demo
    Train logistic regression and an MLP with every optimizer on two real data
    sets shipped with scikit-learn, native against the NumPy reference; print a
    table and write learning-curve, schedule and trajectory PNGs (see
    :mod:`steepest._demo`).
bench
    Time every optimizer against the NumPy reference, torch.optim (in a
    process of its own) and a memory roofline, and print a Markdown table
    (see :mod:`steepest._bench`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import _bench, _demo


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return its status."""
    parser = argparse.ArgumentParser(prog="python -m steepest")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="train on real data with every optimizer",
        description=_demo.DESCRIPTION,
    )
    _demo.add_arguments(demo)
    demo.set_defaults(run=_demo.run)
    bench = commands.add_parser(
        "bench",
        help="benchmark the optimizer steps",
        description=_bench.DESCRIPTION,
    )
    _bench.add_arguments(bench)
    bench.set_defaults(run=_bench.run)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
