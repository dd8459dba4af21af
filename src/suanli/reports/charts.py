"""Server-rendered SVG charts (pure): no script, no inline style, so the CSP holds.

Bars use the site's `svg.chart .bar` classes; every chart carries a title and a text
description for screen readers, and pages show the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH = 640
LABEL_W = 170
VALUE_W = 110
ROW_H = 26
BAR_H = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    shown: str  # the value as the page prints it, e.g. "1,234.50 GPU-h"
    alt: bool = False  # the second colour, e.g. western hubs


def bar_chart(title: str, bars: Sequence[Bar], *, chart_id: str) -> str:
    """A horizontal bar chart as an SVG element; bars scale to the largest value."""
    height = max(len(bars), 1) * ROW_H + 10
    top = max((b.value for b in bars), default=Decimal(0))
    span = WIDTH - LABEL_W - VALUE_W
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-d">'
        + escape("; ".join(f"{b.label}: {b.shown}" for b in bars) or "no data") + "</desc>",
    ]
    for i, bar in enumerate(bars):
        y = 5 + i * ROW_H
        width = 0 if top <= 0 else int(span * bar.value / top)
        css = "bar alt" if bar.alt else "bar"
        parts.append(f'<text x="{LABEL_W - 6}" y="{y + BAR_H - 3}" text-anchor="end">'
                     f"{escape(_clip(bar.label))}</text>")
        parts.append(f'<rect class="{css}" x="{LABEL_W}" y="{y}" width="{max(width, 1)}" '
                     f'height="{BAR_H}"><title>{escape(bar.label)}: {escape(bar.shown)}</title>'
                     "</rect>")
        parts.append(f'<text x="{LABEL_W + max(width, 1) + 6}" y="{y + BAR_H - 3}">'
                     f"{escape(bar.shown)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _clip(label: str, limit: int = 26) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
