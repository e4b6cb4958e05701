"""The bench's target lines check the catalogue issue's bars for every rule."""

from __future__ import annotations

from steepest._cli.bench.measure import NATIVE
from steepest._cli.bench.report import target_lines
from steepest._cli.bench.table import PROBE, PROBE_ARRAYS, Cell


def cell(
    rule: str, size: str, elements: int, seconds: dict[str, list[float | None]]
) -> Cell:
    made = Cell(rule, size, elements, PROBE_ARRAYS, 4)
    made.seconds = seconds
    return made


def test_every_rule_at_5e7_needs_90_percent_of_its_roofline() -> None:
    # Lamb at 87 % fails; the first benchmark issue's 85 % bar would pass it
    lamb = cell("lamb", "5e7", 5 * 10**7, {PROBE: [0.87] * 3, NATIVE: [1.0] * 3})
    sgd = cell("sgd", "5e7", 5 * 10**7, {PROBE: [0.91] * 3, NATIVE: [1.0] * 3})
    lines = target_lines([lamb, sgd])
    assert any(line.startswith("- FAIL Lamb at 5e7: 87%") for line in lines), lines
    assert any(line.startswith("- PASS SGD at 5e7: 91%") for line in lines), lines


def test_every_rule_at_1e3_needs_a_step_of_at_most_2_microseconds() -> None:
    lines = target_lines([
        cell("lion", "1e3", 1000, {NATIVE: [1.9e-6] * 3}),
        cell("nadam", "1e3", 1000, {NATIVE: [2.1e-6] * 3}),
    ])  # fmt: skip
    assert "- PASS Lion at 1e3: 1.9 µs/step (target ≤ 2)" in lines
    assert "- FAIL NAdam at 1e3: 2.1 µs/step (target ≤ 2)" in lines
