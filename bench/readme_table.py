"""The README's step table, reduced from ``python -m steepest bench --json``.

Usage::

    python bench/readme_table.py TABLE.json [SMALL.json]

``TABLE.json`` comes from ``--sizes all --sections table --json`` (torch
installed), ``SMALL.json`` from ``--sizes 1e3 --no-torch --rounds 15
--sections table --json`` (the "µs per 1e3 step" column: a torch process
taking turns slows the first contender after it, so that column is timed
without one). Each cell is the median of the per-round ratios the bench
computed; † marks a spread that crosses 1 or is wider than the effect
(``Spread.unclear``), as in the bench's own tables.
"""

from __future__ import annotations

import json
import statistics
import sys
from typing import Any

from steepest._cli.bench.measure import RULES_BY_KEY
from steepest._cli.bench.rounds import Spread

# torch's paths as the bench names them, and as the README names them
TORCH = {"torch": "default", "torch foreach": "foreach", "torch fused": "fused"}
PEER_SIZES = ("1e4", "1e6", "5e7", "100x1e4")


def by_rule(path: str) -> dict[str, dict[str, dict[str, Any]]]:
    """rule -> size label -> cell, from one ``--json`` file."""
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for cell in raw["table"]["cells"]:
        out.setdefault(cell["rule"], {})[cell["size"]] = cell
    return out


def text(ratio: dict[str, Any] | None, path: str = "") -> str:
    if ratio is None:
        return "—"
    s = Spread(**ratio)
    mark = " †" if s.unclear else ""
    named = f" ({path})" if path else ""
    # two significant digits, whole numbers from 100 (not "1.2e+02x")
    figure = f"{s.median:.0f}" if s.median >= 100 else f"{s.median:.2g}"
    return f"{figure}x{mark}{named}"


def fastest_torch(cell: dict[str, Any] | None) -> str:
    """The ratio against the torch path with the smallest median time."""
    if cell is None:
        return "—"
    medians = {}
    for name in TORCH:
        got = [s for s in cell["seconds"].get(name, []) if s is not None]
        if got:
            medians[name] = statistics.median(got)
    if not medians:
        return "—"
    best = min(medians, key=medians.__getitem__)
    return text(cell["ratios"].get(f"x {best}"), TORCH[best])


def main(argv: list[str]) -> None:
    table = by_rule(argv[0])
    small = by_rule(argv[1]) if len(argv) > 1 else {}
    times = " \N{MULTIPLICATION SIGN} "
    head = [f"vs torch's fastest, {s.replace('x', times)}" for s in PEER_SIZES]
    head += ["vs torch default, 1e6", "vs NumPy reference, 1e6", "µs per 1e3 step"]
    print("| step | " + " | ".join(head) + " |")
    print("|---" * (len(head) + 1) + "|")
    for rule, cells in table.items():
        row = [fastest_torch(cells.get(s)) for s in PEER_SIZES]
        mid = cells.get("1e6", {}).get("ratios", {})
        row += [text(mid.get("x torch")), text(mid.get("x reference"))]
        tiny = small.get(rule, {}).get("1e3")
        if tiny is None:
            row.append("—")
        else:
            got = [s for s in tiny["seconds"]["native"] if s is not None]
            row.append(f"{statistics.median(got) * 1e6:.2f}")
        print(f"| {RULES_BY_KEY[rule].label} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
