"""steepest.plot.schedule: one or several schedules drawn against the step, written as PNG."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import steepest
from steepest import schedules as nat
from steepest.reference import schedules as ref

pytest.importorskip("matplotlib")


def test_single_schedule_to_png(tmp_path: Path) -> None:
    sched = nat.CosineAnnealingWarmRestarts(lr=0.1, T_0=20, T_mult=2)
    path = tmp_path / "restarts.png"
    fig = steepest.plot.schedule(sched, 200, path)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(200))
    np.testing.assert_array_equal(line.get_ydata(), sched.values(200))
    assert line.get_label() == "CosineAnnealingWarmRestarts"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_several_schedules_on_one_figure(tmp_path: Path) -> None:
    scheds = {
        "cosine": nat.CosineAnnealingLR(lr=0.1, T_max=100),
        "step": ref.StepLR(lr=0.1, step_size=30),
        "one-cycle": nat.OneCycleLR(max_lr=0.1, total_steps=100),
    }
    fig = steepest.plot.schedule(
        scheds, 100, str(tmp_path / "all.png"), log=True, title="lrs"
    )
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == list(scheds)
    for line, sched in zip(ax.get_lines(), scheds.values(), strict=True):
        np.testing.assert_array_equal(line.get_ydata(), sched.values(100))
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "lrs"
    assert (tmp_path / "all.png").stat().st_size > 1000


def test_no_path_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fig = steepest.plot.schedule(nat.Constant(lr=0.1), 5)
    assert len(fig.axes[0].get_lines()) == 1
    assert not list(tmp_path.iterdir())


def test_bad_arguments() -> None:
    sched = nat.Constant(lr=0.1)
    with pytest.raises(
        ValueError, match=r"^steepest\.plot\.schedule: n must be an int >= 1"
    ):
        steepest.plot.schedule(sched, 0)
    with pytest.raises(
        TypeError, match=r"^steepest\.plot\.schedule: n must be an int >= 1"
    ):
        steepest.plot.schedule(sched, 2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sched is an empty dict"):
        steepest.plot.schedule({}, 10)
    with pytest.raises(
        TypeError, match=r"sched\['x'\] has no values\(n\) method \(float\)"
    ):
        steepest.plot.schedule({"x": 0.1}, 10)  # type: ignore[dict-item]


def test_import_is_lazy() -> None:
    code = (
        "import sys, steepest\n"
        "assert 'matplotlib' not in sys.modules\n"
        "steepest.plot.schedule(steepest.schedules.Constant(lr=1.0), 3)\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
