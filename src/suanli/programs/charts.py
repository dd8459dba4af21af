"""The budget chart: one bar per program split into spent, held, outstanding on vouchers and
not yet issued, as shares of its budget; geometry only, drawn as SVG by the template (pure)."""

from __future__ import annotations

from dataclasses import dataclass

SEGMENTS = ("spent", "held", "outstanding", "unissued")
COLOURS = {"spent": "#b3261e", "held": "#e0a030", "outstanding": "#3b6ea5",
           "unissued": "#c9d3df"}


@dataclass(frozen=True)
class Segment:
    key: str
    x: float
    width: float
    amount: int
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    total: int
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def budget_chart(rows: list[tuple[str, dict[str, int]]], *, width: int = 720,
                 label_width: int = 220, bar_height: int = 20, gap: int = 12) -> Chart:
    """Bars for (label, {segment: fen}) rows; each bar spans its own total."""
    span = width - label_width - 10
    bars = []
    for index, (label, amounts) in enumerate(rows):
        total = sum(max(amounts.get(k, 0), 0) for k in SEGMENTS)
        x = float(label_width)
        segments = []
        for key in SEGMENTS:
            amount = max(amounts.get(key, 0), 0)
            share = span * amount / total if total else 0.0
            segments.append(Segment(key, round(x, 2), round(share, 2), amount, COLOURS[key]))
            x += share
        bars.append(Bar(label[:40], gap + index * (bar_height + gap), total, tuple(segments)))
    height = gap + len(rows) * (bar_height + gap) + 24
    return Chart(width, height, label_width, bar_height, tuple(bars))
