"""The server-drawn bar charts: scale, geometry and the text alternative."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.reports.charts import HEIGHT, TOP, _nice_top, bar_chart


@pytest.mark.parametrize(
    ("largest", "top"),
    [(0, 1), (0.4, 1), (1, 1), (3, 5), (7, 10), (19, 20), (23, 25), (450, 500), (1200, 2000),
     (99999, 100000)],
)  # fmt: skip
def test_the_scale_ends_on_a_round_number_at_or_above_the_largest_bar(largest, top):
    assert _nice_top(largest) == top


def test_bars_are_as_tall_as_their_value_on_the_scale():
    chart = bar_chart(
        "c", "Sessions", [("A", 10, "10", "x"), ("B", 5, "5", "y"), ("C", 0, "0", "z")]
    )
    full = HEIGHT - TOP - 36
    assert [b.height for b in chart.bars] == [full, full / 2, 0]
    # Every bar stands on the baseline.
    assert {round(b.y + b.height, 1) for b in chart.bars} == {chart.baseline}
    assert [b.css for b in chart.bars] == ["x", "y", "z"]
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x
    assert chart.summary == "A: 10; B: 5; C: 0"
    assert [t.shown for t in chart.ticks] == ["0", "2.5", "5", "7.5", "10"]
    assert not chart.empty


def test_a_crowded_axis_writes_every_other_label_and_all_zero_is_empty():
    months = [(f"M{i}", Decimal(0), "0", "money") for i in range(24)]
    chart = bar_chart("c", "Income", months)
    assert chart.empty
    written = [b.label for b in chart.bars if b.labelled]
    assert 1 < len(written) < 24
    assert written[0] == "M0"
    assert len(bar_chart("c", "Few", months[:3]).bars) == sum(
        b.labelled for b in bar_chart("c", "Few", months[:3]).bars
    )
