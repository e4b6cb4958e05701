"""Command line of the package: ``python -m steepest COMMAND [options]``.

Commands
--------
demo
    Train logistic regression and an MLP with every optimizer on two real data
    sets shipped with scikit-learn, native against the NumPy reference; print a
    table and write learning-curve, schedule and trajectory PNGs (see
    :mod:`steepest._cli.demo`).
bench
    Time every optimizer against the NumPy reference, torch.optim (in a
    process of its own) and a memory roofline, and print a Markdown table
    (see :mod:`steepest._cli.bench`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ._cli import bench, demo


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return its status."""
    parser = argparse.ArgumentParser(prog="python -m steepest")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command, help_ in (
        ("demo", demo, "train on real data with every optimizer"),
        ("bench", bench, "benchmark the optimizer steps"),
    ):
        sub = commands.add_parser(name, help=help_, description=command.DESCRIPTION)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
