"""The interleaved table's measurement code (``_cli.bench.rounds``, ``.table``,
``.figure``): per-round ratios, their median and spread, the marking rule, the
turn order, ``--plot`` and ``--json``. Figures are made up or from a tiny run
without torch; nothing here asserts how fast anything is.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest
from steepest._cli import bench
from steepest._cli.bench import table, torch_worker
from steepest._cli.bench.figure import ROOFLINE, plot_cells
from steepest._cli.bench.measure import DEEPSPEED, NATIVE, REFERENCE, RULES_BY_KEY, Size
from steepest._cli.bench.report import _deepspeed_lines, table_lines
from steepest._cli.bench.rounds import (
    SLOW_ROUNDS,
    SLOW_SECONDS,
    Spread,
    Turn,
    interleave,
    local_runner,
    per_round_ratios,
    plan_blocks,
    ratio_text,
    spread,
    step_seconds,
)
from steepest._cli.bench.table import PROBE, PROBE_ARRAYS, Cell


def make_cell(seconds: dict[str, list[float | None]], arrays: int = 7) -> Cell:
    cell = Cell("adam", "1e6", 10**6, arrays, 4)
    cell.seconds = seconds
    return cell


# -- per-round ratios -----------------------------------------------------------


def test_ratio_is_the_median_of_per_round_ratios() -> None:
    # per round: 2, 0.5, 4 -> median 2; the ratio of the medians would be 2/4
    cell = make_cell({NATIVE: [1.0, 4.0, 5.0], "torch": [2.0, 2.0, 20.0]})
    got = cell.ratio("torch")
    assert got is not None
    assert got.median == 2.0
    assert got.rounds == 3


def test_ratio_skips_rounds_where_either_was_not_timed() -> None:
    cell = make_cell({NATIVE: [1.0, 1.0, 1.0, 1.0], REFERENCE: [3.0, None, 5.0, None]})
    assert per_round_ratios(cell.seconds[REFERENCE], cell.seconds[NATIVE]) == [
        3.0,
        None,
        5.0,
        None,
    ]
    got = cell.ratio(REFERENCE)
    assert got == Spread(4.0, 3.5, 4.5, 2)


def test_ratio_of_an_absent_contender_is_none() -> None:
    cell = make_cell({NATIVE: [1.0]})
    assert cell.ratio("torch fused") is None
    assert cell.roofline_share() is None
    assert ratio_text(None) == "n/a"


def test_roofline_share_is_per_round_and_scaled_by_traffic() -> None:
    # a 3-array rule (SGD) against the 7-array probe: share = 3/7 * probe / native
    cell = make_cell({NATIVE: [3.0, 6.0, 1.0], PROBE: [7.0, 7.0, 7.0]}, arrays=3)
    got = cell.roofline_share()
    assert got is not None
    assert got.median == pytest.approx(1.0)  # rounds: 1, 0.5, 3
    assert cell.bytes_per_step(PROBE) == PROBE_ARRAYS * 4 * 10**6
    assert cell.bytes_per_step(NATIVE) == 3 * 4 * 10**6


# -- median, spread, marking -----------------------------------------------------


def test_spread_quartiles() -> None:
    assert spread([5.0, 1.0, 4.0, 2.0, 3.0]) == Spread(3.0, 2.0, 4.0, 5)
    assert spread([1.0, 3.0]) == Spread(2.0, 1.5, 2.5, 2)
    assert spread([2.0]) == Spread(2.0, 2.0, 2.0, 1)
    assert spread([None, math.nan, 1.0]) == Spread(1.0, 1.0, 1.0, 1)
    assert spread([]) is None
    assert spread([None, None]) is None


@pytest.mark.parametrize(
    ("s", "unclear"),
    [
        (Spread(2.0, 1.8, 2.3, 7), False),  # clearly faster
        (Spread(0.6, 0.55, 0.7, 7), False),  # clearly slower
        (Spread(1.1, 0.9, 1.2, 7), True),  # crosses 1.0
        (Spread(0.95, 0.9, 1.0, 7), True),  # touches 1.0
        (Spread(1.5, 1.2, 2.0, 7), True),  # log widths: 0.51 wide, 0.41 from 1
        (Spread(1.5, 1.3, 1.7, 7), False),  # 0.27 wide, 0.41 from 1
        (Spread(0.7, 0.5, 0.9, 7), True),  # 0.59 wide, 0.36 from 1
        (Spread(22.0, 21.7, 87.0, 7), False),  # 1.39 wide, 3.09 from 1
    ],
)
def test_marking_rule(s: Spread, unclear: bool) -> None:
    assert s.unclear is unclear
    assert ratio_text(s).endswith("†") is unclear


def test_ratio_text() -> None:
    assert ratio_text(Spread(2.0, 1.8, 2.25, 7)) == "2x [1.8, 2.25]"
    assert ratio_text(Spread(0.97, 0.95, 0.99, 7), percent=True) == "97% [95, 99]"


# -- the turns -----------------------------------------------------------------


def test_interleave_takes_turns_round_by_round() -> None:
    log: list[str] = []

    def runner(name: str, seconds: float) -> Turn:
        def run(k: int) -> float:
            log.append(f"{name}{k}")
            return seconds * k

        return Turn(name, run)

    turns = [runner("a", 1.0), runner("b", 2.0), runner("p", 0.5)]
    turns[1].block = 3
    turns[2].process = "other"
    sleeps: list[float] = []
    got = interleave(turns, 2, settle=0.01, sleep=sleeps.append)
    assert log == ["a1", "b3", "p1", "a1", "b3", "p1"]
    assert got == {"a": [1.0, 1.0], "b": [2.0, 2.0], "p": [0.5, 0.5]}
    # b -> p, p -> a (next round), b -> p: every change of process pauses
    assert sleeps == [0.01, 0.01, 0.01]


def test_interleave_with_lead_in_pauses_before_every_turn() -> None:
    # the table's turns start alike: a pause only where the process changes
    # gave steepest's first contender a pause and torch's fused turn none
    turns = [Turn("a", lambda k: 1.0), Turn("b", lambda k: 2.0, process="other")]
    sleeps: list[float] = []
    interleave(turns, 3, settle=0.01, sleep=sleeps.append, lead_in=True)
    assert sleeps == [0.01] * 6


def test_runners_empty_the_caches_before_the_clock_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log: list[str] = []
    monkeypatch.setattr(torch_worker, "evict_caches", lambda: log.append("evict"))
    run = local_runner(lambda: log.append("step"), evict=True)
    run(2)
    assert log == ["evict", "step", "step"]
    local_runner(lambda: log.append("step"))(1)
    assert log[3:] == ["step"]
    torch_worker.evict_caches()  # the real one runs (and allocates once)
    # twice the last-level cache, whatever the machine says of it, capped
    l3 = torch_worker._l3_bytes()
    want = min(torch_worker.MAX_EVICT_BYTES, max(torch_worker.MIN_EVICT_BYTES, 2 * l3))
    assert torch_worker.evict_bytes() == want
    for said, read in ((0, 64 << 20), (48 << 20, 96 << 20), (480 << 20, 256 << 20)):
        monkeypatch.setattr(torch_worker, "_l3_bytes", lambda said=said: said)
        assert torch_worker.evict_bytes() == read


def test_interleave_times_a_slow_contender_in_its_rounds_only() -> None:
    turns = [Turn("fast", lambda k: 1.0), Turn("slow", lambda k: 9.0, rounds=2)]
    got = interleave(turns, 4, settle=0.0)
    assert got["slow"] == [9.0, 9.0, None, None]
    assert got["fast"] == [1.0] * 4


def test_step_seconds_spares_a_clearly_slow_contender_a_step() -> None:
    calls: list[int] = []

    def run(k: int) -> float:
        calls.append(k)
        return 0.5

    assert step_seconds(3 * SLOW_SECONDS, run) == 3 * SLOW_SECONDS
    assert calls == []
    assert step_seconds(1e-3, run) == 0.5  # a warm-up with page faults in it
    assert calls == [1]


def test_step_seconds_sizes_blocks_from_warm_steps_not_a_cold_one() -> None:
    # a runner that empties the caches: 40 us for the cold first step, 2 us
    # for each following one (a 1e3 step)
    calls: list[int] = []

    def run(k: int) -> float:
        calls.append(k)
        return 40e-6 + 2e-6 * (k - 1)

    got = step_seconds(1e-3, run)
    # three cold steps, then 2 ms / 40 us, then 2 ms / the refined 2.76 us
    assert calls == [1, 1, 1, 50, 725]
    assert got < 2.1e-6
    assert plan_blocks({"native": got}, None, rounds=7)["native"][0] > 900


def test_step_seconds_is_not_sized_by_one_hiccup() -> None:
    # the first cold step caught a 3.3 ms stall of the machine; the others
    # are the same 40 us cold, 2 us warm steps
    calls: list[int] = []

    def run(k: int) -> float:
        calls.append(k)
        cold = 3.3e-3 if len(calls) == 1 else 40e-6
        return cold + 2e-6 * (k - 1)

    got = step_seconds(1e-3, run)
    assert got < 2.1e-6
    assert plan_blocks({"native": got}, None, rounds=7)["native"][0] > 900


def test_plan_blocks() -> None:
    one = {"fast": 1e-5, "mid": 1e-3, "slow": 1.0}
    fixed = plan_blocks(one, 5, rounds=7)
    assert fixed == {"fast": (5, None), "mid": (5, None), "slow": (5, SLOW_ROUNDS)}
    auto = plan_blocks(one, None, rounds=7)
    assert auto["fast"] == (200, None)  # 2 ms of the fastest
    assert auto["mid"] == (50, None)  # cut to 50 ms
    assert plan_blocks(one, None, 7, max_seconds=0.02)["mid"] == (20, None)
    assert auto["slow"] == (1, SLOW_ROUNDS)
    # with no more rounds than SLOW_ROUNDS nobody is left out
    assert plan_blocks(one, 1, rounds=SLOW_ROUNDS)["slow"] == (1, None)


# -- report, plot, --json ------------------------------------------------------------


def test_table_marks_unclear_cells() -> None:
    cell = make_cell({
        NATIVE: [1.0, 1.0, 1.0], PROBE: [1.0, 1.0, 1.0],
        "torch": [3.0, 3.0, 3.0], "torch fused": [0.9, 1.2, 1.0],
    })  # fmt: skip
    rule = RULES_BY_KEY["adam"]
    lines = table_lines([cell], [rule], [Size(1, 10**6)])
    row = lines[-1].split(" | ")
    assert row[-2] == "3x [3, 3]"
    assert row[-1].endswith("† |")
    assert row[4] == "100% [100, 100]"


def test_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    sizes = [Size(1, 1000), Size(1, 10**5), Size(10, 1000)]
    cells = []
    for size in sizes:
        cell = make_cell({NATIVE: [1e-6 * size.total], PROBE: [5e-7 * size.total],
                          "torch fused": [2e-6 * size.total, None]})  # fmt: skip
        cell.size, cell.elements = size.label, size.total
        cells.append(cell)
    rules = [RULES_BY_KEY["adam"], RULES_BY_KEY["sgd"]]  # sgd: no cells, empty panel
    path = tmp_path / "bench.png"
    fig = plot_cells(cells, rules, sizes, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["Adam", "SGD"]
    assert panels[0].get_xscale() == panels[0].get_yscale() == "log"
    labels = [line.get_label() for line in panels[0].get_lines()]
    assert {NATIVE, "torch fused"} <= set(labels)


def test_plot_legend_has_every_contender_drawn_in_any_panel() -> None:
    pytest.importorskip("matplotlib")
    sizes = [Size(1, 1000), Size(1, 10**5)]
    cells = []
    for key in ("sgd", "adam"):
        for size in sizes:
            times = {NATIVE: [1e-6 * size.total], PROBE: [5e-7 * size.total],
                     "torch fused": [2e-6 * size.total]}  # fmt: skip
            if key == "adam":
                # DeepSpeedCPUAdam: a line in the second panel only
                times[DEEPSPEED] = [3e-6 * size.total]
            cell = make_cell(times)
            cell.rule, cell.size, cell.elements = key, size.label, size.total
            cells.append(cell)
    rules = [RULES_BY_KEY["sgd"], RULES_BY_KEY["adam"]]
    fig = plot_cells(cells, rules, sizes)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert DEEPSPEED not in [line.get_label() for line in panels[0].get_lines()]
    assert DEEPSPEED in [line.get_label() for line in panels[1].get_lines()]
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [NATIVE, "torch fused", DEEPSPEED, ROOFLINE]


def test_cli_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    args = parser.parse_args([
        "--sizes", "1e3,3x1e3", "--optimizers", "sgd,adam", "--rounds", "3",
        "--block", "2", "--no-torch", "--json", str(out), "--plot", str(png),
    ])  # fmt: skip
    assert bench.run(args) == 0
    assert "| Adam | 3x1e3 |" in capsys.readouterr().out
    assert png.stat().st_size > 0
    table = json.loads(out.read_text())["table"]
    assert table["rounds"] == 3
    assert table["block"] == 2
    assert table["spread"].startswith("interquartile")
    assert [(c["rule"], c["size"]) for c in table["cells"]] == [
        ("sgd", "1e3"), ("adam", "1e3"), ("sgd", "3x1e3"), ("adam", "3x1e3"),
    ]  # fmt: skip
    for cell in table["cells"]:
        assert set(cell["seconds"]) == {NATIVE, "native raise", REFERENCE, PROBE}
        assert all(len(v) == 3 for v in cell["seconds"].values())
        assert all(k == 2 for k in cell["block"].values())
        per_round = [r / n for r, n in zip(cell["seconds"][REFERENCE],
                                           cell["seconds"][NATIVE], strict=True)]  # fmt: skip
        ratio = cell["ratios"]["x reference"]
        assert ratio["median"] == pytest.approx(sorted(per_round)[1])
        assert ratio["rounds"] == 3
        assert set(cell["ratios"]["% roofline"]) == {"median", "low", "high", "rounds"}
        assert cell["bytes_per_step"][PROBE] == 7 * 4 * cell["elements"]


def test_plot_needs_the_table() -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--sections", "overhead", "--plot", "x.png"])
    with pytest.raises(SystemExit, match="--plot"):
        bench.run(args)


def test_deepspeed_columns_only_where_it_ran() -> None:
    rule, size = RULES_BY_KEY["adam"], Size(1, 10**6)
    plain = make_cell({NATIVE: [1.0, 1.0, 1.0], "torch fused": [2.0, 2.0, 2.0]})
    header = table_lines([plain], [rule], [size])[3]
    assert DEEPSPEED not in header
    ds = make_cell({NATIVE: [1.0, 1.0, 1.0], DEEPSPEED: [1.5, 1.6, 1.4]})
    lines = table_lines([ds], [rule], [size])
    cols = lines[3].strip("| ").split(" | ")
    row = lines[-1].strip("| ").split(" | ")
    assert cols[-1] == f"x {DEEPSPEED}"
    assert row[-1] == "1.5x [1.45, 1.55]"
    assert row[cols.index(DEEPSPEED)].startswith("1.5e+03 (")  # ns/element


def test_deepspeed_header_line() -> None:
    assert _deepspeed_lines(None, {}) == []  # no torch, no deepspeed either
    (missing,) = _deepspeed_lines({"deepspeed": None}, {})
    assert "not installed" in missing
    (ran,) = _deepspeed_lines({"deepspeed": "0.19.8"}, {})
    assert ran.startswith("- deepspeed 0.19.8: DeepSpeedCPUAdam")
    assert "absent" not in ran
    (failed,) = _deepspeed_lines(
        {"deepspeed": "0.19.8"}, {DEEPSPEED: "RuntimeError: x"}
    )
    assert failed.endswith("absent from this run: RuntimeError: x")


def test_sizes_all_and_the_shorter_default() -> None:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    every = parser.parse_args(["--sizes", "all"]).sizes
    assert [s.label for s in every] == bench.ALL_SIZES.split(",")
    assert "5e7" in bench.ALL_SIZES.split(",")
    default = bench._sizes(bench.DEFAULT_SIZES)
    # a subset of all, one size per regime: overhead, cache, memory, a list
    assert {s.label for s in default} < {s.label for s in every}
    assert [s.label for s in default] == ["1e3", "1e5", "1e7", "100x1e4"]
    assert parser.parse_args([]).sizes is None  # run() picks the default
    assert [s.label for s in parser.parse_args(["--sizes", "1e4,2x1e3"]).sizes] == [
        "1e4", "2x1e3",
    ]  # fmt: skip


def test_the_probe_takes_a_turn_in_every_round_of_every_cell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the % roofline column is a per-round ratio only if the probe is timed in
    # the same rounds as the rule: A, B, probe, A, B, probe, ...
    seen: list[list[Turn]] = []
    real = table.interleave

    def spy(
        turns: list[Turn], rounds: int, lead_in: bool = False
    ) -> dict[str, list[float | None]]:
        seen.append(list(turns))
        assert lead_in  # every turn of a cell starts alike
        return real(turns, rounds, lead_in=lead_in)

    monkeypatch.setattr(table, "interleave", spy)
    cells = table.run_table([RULES_BY_KEY["sgd"], RULES_BY_KEY["adam"]],
                            [Size(1, 2000)], np.dtype(np.float32), 2, 1, None)  # fmt: skip
    assert len(seen) == len(cells) == 2
    for turns in seen:
        names = [t.name for t in turns]
        assert names == [NATIVE, "native raise", REFERENCE, PROBE]
        assert all(t.rounds is None for t in turns)  # no turn left out of a round
    for cell in cells:
        assert all(v is not None for v in cell.seconds[PROBE])
        share = cell.roofline_share()
        assert share is not None
        assert share.rounds == 2
