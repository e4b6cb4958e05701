"""Optimizer benchmark as a script: ``python bench/run.py [--quick] [options]``.

The same as ``python -m steepest bench``; the logic lives in
:mod:`steepest._cli.bench` and the modules beside it, so that an installed
package can run it without this folder. ``--help`` lists the options.
"""

from __future__ import annotations

from steepest._cli.bench import main

if __name__ == "__main__":
    raise SystemExit(main())
