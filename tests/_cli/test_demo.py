"""``python -m steepest demo`` end to end with a small budget (``_cli.demo``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from steepest.__main__ import main
from steepest._cli import demo

pytest.importorskip("matplotlib")


def test_demo_runs_and_writes_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--epochs", "2", "--steps", "20"]) == 0
    printed = capsys.readouterr().out
    rows = [line for line in printed.splitlines() if line.startswith("| digits")]
    rows += [
        line for line in printed.splitlines() if line.startswith("| breast_cancer")
    ]
    assert len(rows) == 2 * 2 * len(demo.LEARNING_RATES)  # data x model x optimizer
    for row in rows:
        accuracy_native, accuracy_reference = row.split("|")[4:6]
        assert 0.0 <= float(accuracy_native) <= 1.0
        # same seed, same batches: the backends agree to rounding
        assert abs(float(accuracy_native) - float(accuracy_reference)) < 0.02
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) == 4 + 1 + 2  # learning curves, schedules, trajectories
    for name in pngs:
        assert (out / name).stat().st_size > 10_000, name


def test_demo_refuses_a_zero_budget(tmp_path: Path) -> None:
    assert main(["demo", "--out", str(tmp_path), "--epochs", "0"]) == 2
