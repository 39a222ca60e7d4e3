"""Bar charts drawn on the server as SVG.

A chart library would need JavaScript and inline styles, which the content security policy
forbids, and a build step or a large vendored file for a handful of bar charts; the
geometry of a bar chart is a few lines. Each chart carries its figures as a table too, for
screen readers and for people who would rather read than look.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 480
HEIGHT = 220
TOP, BOTTOM, LEFT, RIGHT = 12, 36, 48, 8
LABEL_WIDTH = 64
TICKS = 4


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str
    css: str
    x: float
    y: float
    width: float
    height: float
    labelled: bool = True

    @property
    def centre(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    shown: str


@dataclass
class BarChart:
    slug: str
    title: str
    summary: str
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    value_label: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _nice_top(largest: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above the largest value."""
    if largest <= 0:
        return 1
    magnitude = 10 ** (len(str(int(largest))) - 1) if largest >= 1 else 1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= largest:
            return step * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def bar_chart(
    slug: str,
    title: str,
    items: Iterable[tuple[str, float | Decimal | int | None, str, str]],
    value_label: str = "",
) -> BarChart:
    """`items` are (label, value, value as shown, css modifier), drawn left to right."""
    items = [(label, float(value or 0), shown, css) for label, value, shown, css in items]
    chart = BarChart(slug=slug, title=title, summary="", value_label=value_label)
    top = _nice_top(max((value for _, value, _, _ in items), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(items), 1)
    gap = min(slot * 0.25, 12)
    # On a crowded axis every n-th label is written, so that they do not overlap.
    every = max(1, math.ceil(LABEL_WIDTH / slot))
    for index, (label, value, shown, css) in enumerate(items):
        height = round(plot_height * max(value, 0) / top, 1)
        chart.bars.append(
            Bar(
                label=label,
                value=value,
                shown=shown,
                css=css,
                x=round(LEFT + index * slot + gap / 2, 1),
                y=round(TOP + plot_height - height, 1),
                width=round(slot - gap, 1),
                height=height,
                labelled=index % every == 0,
            )
        )
    chart.ticks = [
        Tick(round(TOP + plot_height * (1 - i / TICKS), 1), _short(top * i / TICKS))
        for i in range(TICKS + 1)
    ]
    chart.summary = "; ".join(f"{bar.label}: {bar.shown}" for bar in chart.bars)
    return chart
