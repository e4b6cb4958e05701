"""The benchmark's ``ema`` section: fused EMA, separate pass, step alone.

Twin: ``steepest._cli.bench.ema``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from steepest._cli import bench
from steepest._cli.bench import ema
from steepest._cli.bench.measure import parse_size


def test_fused_and_separate_are_the_same_work() -> None:
    """Same params and averages bit for bit: the section times one result two ways."""
    c = ema.Contenders(parse_size("3x1e3"), np.dtype(np.float32))
    for _ in range(3):
        for step in c.steps.values():
            step()
    assert c.fused.updates == 3
    for alone, fused, apart in zip(c.alone.params, c.fused.params, c.apart.params,
                                   strict=True):  # fmt: skip
        np.testing.assert_array_equal(fused, alone)
        np.testing.assert_array_equal(apart, alone)
    for fused, apart, p in zip(c.fused.ema_params, c.average, c.alone.params,
                               strict=True):  # fmt: skip
        np.testing.assert_array_equal(fused, apart)
        assert not np.array_equal(fused, p)


def test_section_times_every_contender_each_round(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out = tmp_path / "raw.json"
    args = parser.parse_args(["--sections", "ema", "--sizes", "1e3,2x1e3", "--rounds", "3",
                              "--block", "2", "--no-torch", "--json", str(out)])  # fmt: skip
    assert bench.run(args) == 0
    text = capsys.readouterr().out
    assert "### Moving average of the params (Adam, float32, decay 0.999)" in text
    rows = [
        line for line in text.splitlines() if line.startswith(("| 1e3 ", "| 2x1e3 "))
    ]
    assert len(rows) == 2
    raw = json.loads(out.read_text())["ema"]
    assert set(raw) == {"1e3", "2x1e3"}
    for seconds in raw.values():
        assert set(seconds) == set(ema.CONTENDERS)
        assert all(len(v) == 3 and all(s > 0 for s in v) for v in seconds.values())
