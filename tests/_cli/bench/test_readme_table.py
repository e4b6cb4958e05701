"""bench/readme_table.py: the README's step table from the bench's --json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).parents[3] / "bench" / "readme_table.py"


def load() -> Any:
    spec = importlib.util.spec_from_file_location("readme_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ratio(median: float, low: float, high: float) -> dict[str, float]:
    return {"median": median, "low": low, "high": high, "rounds": 3}


def cell(
    rule: str, size: str, seconds: dict[str, list[float]], **ratios: Any
) -> dict[str, Any]:
    return {"rule": rule, "size": size, "seconds": seconds,
            "ratios": {k.replace("_", " "): v for k, v in ratios.items()}}  # fmt: skip


def write(path: Path, cells: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps({"table": {"cells": cells}}), encoding="utf-8")
    return str(path)


def test_cells_name_the_fastest_torch_path_and_mark_unclear_spreads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = cell("adam", "1e6",
               {"native": [1.0] * 3, "torch": [9.0] * 3, "torch fused": [2.0, 2.0, 3.0]},
               x_torch=ratio(9.0, 8.5, 9.5), x_torch_fused=ratio(1.1, 0.9, 1.3),
               x_reference=ratio(121.4, 119.0, 125.0))  # fmt: skip
    small = cell("adam", "1e3", {"native": [1.4e-6, 1.5e-6, 9.0e-6]})
    load().main(
        [write(tmp_path / "a.json", [big]), write(tmp_path / "b.json", [small])]
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    cols = [c.strip() for c in lines[2].strip("|").split("|")]
    # rule label; 1e4 absent; fused fastest, its spread crosses 1; 5e7, 100x1e4
    # absent; default and reference (whole from 100, not 1.2e+02); the median
    # native time of the small run
    assert cols == ["Adam", "—", "1.1x † (fused)", "—", "—", "9x", "121x", "1.50"]
