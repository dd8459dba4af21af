"""Server-rendered SVG charts, every page's (pure; no scripts, no style attributes: the
site's Content-Security-Policy forbids both, SVG presentation attributes are fine).

* `line_chart`, `paired_bar_chart`, `price_index_chart`: values over an axis (the market
  page and the market dashboard);
* `bar_chart`: horizontal bars, one per label (reports and the authority dashboard);
* `stacked_bar_chart`: one bar per row split into coloured shares (the budget page).

Every chart carries a title; pages show the same figures in a table beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 36
COLOURS = ("#3b6ea5", "#b3261e", "#1b6e3a", "#8a5a00", "#6b3fa0", "#00727a", "#5b6474")


def _frame(title: str, body: list[str], test_id: str) -> str:
    head = (f'<svg class="chart" data-testid="{escape(test_id)}" role="img" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>")
    return head + "".join(body) + "</svg>"


def _axis(top: float, labels: Sequence[str], unit: str, bars: bool = False) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    out = [f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
           'stroke="#d7dce4"/>',
           f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">{escape(_num(top))}</text>',
           f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">0</text>',
           f'<text x="4" y="{TOP + plot_h / 2}">{escape(unit)}</text>']
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % step == 0:
            x = LEFT + ((i + 0.5) * plot_w / len(labels) if bars
                        else _x(i, len(labels), plot_w))
            out.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                       f"{escape(label)}</text>")
    return out


def _num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _x(i: int, n: int, width: float) -> float:
    return width / 2 if n <= 1 else i * width / (n - 1)


def line_chart(series: Mapping[str, Mapping[str, float]], labels: Sequence[str], *,
               title: str, unit: str, test_id: str = "chart") -> str:
    """One line per series over the labels (a missing point breaks nothing: it is skipped)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((v for s in series.values() for v in s.values()), default=0.0) * 1.1 or 1.0
    body = _axis(top, labels, unit)
    for n, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[n % len(COLOURS)]
        coords = [(LEFT + _x(i, len(labels), plot_w), TOP + plot_h * (1 - points[lab] / top))
                  for i, lab in enumerate(labels) if lab in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline class="line" points="{path}" stroke="{colour}" '
                    f'data-series="{escape(name)}"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
                 for x, y in coords]
        y = TOP + 14 + n * 16
        body.append(f'<rect x="{WIDTH - RIGHT + 12}" y="{y - 9}" width="10" height="10" '
                    f'fill="{colour}"/><text x="{WIDTH - RIGHT + 26}" y="{y}">'
                    f"{escape(name)}</text>")
    return _frame(title, body, test_id)


def paired_bar_chart(groups: Sequence[tuple[str, float, float]], *, title: str, unit: str,
                     legend: tuple[str, str], test_id: str = "chart") -> str:
    """Two bars per label: (label, first value, second value)."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max((max(a, b) for _, a, b in groups), default=0.0) * 1.1 or 1.0
    body = _axis(top, [g[0] for g in groups], unit, bars=True)
    slot = plot_w / max(1, len(groups))
    bar = slot * 0.35
    for i, (_, first, second) in enumerate(groups):
        x = LEFT + i * slot + slot * 0.15
        for j, value in enumerate((first, second)):
            h = plot_h * value / top
            body.append(f'<rect class="bar{" alt" if j else ""}" x="{x + j * bar:.1f}" '
                        f'y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}"/>')
    for j, name in enumerate(legend):
        y = TOP + 14 + j * 16
        body.append(f'<rect class="bar{" alt" if j else ""}" x="{WIDTH - RIGHT + 12}" '
                    f'y="{y - 9}" width="10" height="10"/>'
                    f'<text x="{WIDTH - RIGHT + 26}" y="{y}">{escape(name)}</text>')
    return _frame(title, body, test_id)


def price_index_chart(points: Iterable[tuple[str, date, int]], *, title: str,
                      test_id: str) -> str:
    """The price index as one line per model: points are (model, day, price in fen)."""
    series: dict[str, dict[str, float]] = defaultdict(dict)
    for model, day, price_fen in points:
        series[model][day.isoformat()[5:]] = price_fen / 100
    labels = sorted({label for by_day in series.values() for label in by_day})
    return line_chart(series, labels, title=title, unit="CNY", test_id=test_id)


# Horizontal bars, one per label, scaled to the largest; the site's `svg.chart .bar` classes.
BARS_W = 640
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
    """A horizontal bar chart as an SVG element, with a text description for screen readers."""
    height = max(len(bars), 1) * ROW_H + 10
    top = max((b.value for b in bars), default=Decimal(0))
    span = BARS_W - LABEL_W - VALUE_W
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {BARS_W} {height}" '
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


# Stacked shares: each row one bar spanning its own total, split by `keys` in order.
STACK_W, STACK_LABEL_W, STACK_BAR_H, STACK_GAP = 720, 220, 20, 12


def stacked_bar_chart(rows: Sequence[tuple[str, Mapping[str, int]]], *, keys: Sequence[str],
                      colours: Mapping[str, str], names: Mapping[str, str], title: str,
                      shown: Callable[[int], str], test_id: str) -> str:
    """One bar per (label, {key: amount}) row with a legend of `names`; "" without rows."""
    if not rows:
        return ""
    span = STACK_W - STACK_LABEL_W - 10
    height = STACK_GAP + len(rows) * (STACK_BAR_H + STACK_GAP) + 24
    parts = [f'<svg class="chart" viewBox="0 0 {STACK_W} {height}" role="img" '
             f'aria-labelledby="{escape(test_id)}-title" data-testid="{escape(test_id)}">',
             f'<title id="{escape(test_id)}-title">{escape(title)}</title>']
    for index, (label, amounts) in enumerate(rows):
        y = STACK_GAP + index * (STACK_BAR_H + STACK_GAP)
        total = sum(max(amounts.get(k, 0), 0) for k in keys)
        parts.append(f'<text x="{STACK_LABEL_W - 8}" y="{y + STACK_BAR_H * 0.7}" '
                     f'text-anchor="end">{escape(label[:40])}</text>')
        x = float(STACK_LABEL_W)
        for key in keys:
            amount = max(amounts.get(key, 0), 0)
            share = span * amount / total if total else 0.0
            if round(share, 2) > 0:
                parts.append(f'<rect x="{round(x, 2)}" y="{y}" width="{round(share, 2)}" '
                             f'height="{STACK_BAR_H}" fill="{escape(colours[key])}" '
                             f'data-segment="{escape(key)}"><title>{escape(names[key])}: '
                             f"{escape(shown(amount))}</title></rect>")
            x += share
    for n, key in enumerate(keys):
        x0 = STACK_LABEL_W + n * 120
        parts.append(f'<rect x="{x0}" y="{height - 16}" width="10" height="10" '
                     f'fill="{escape(colours[key])}"></rect><text x="{x0 + 14}" '
                     f'y="{height - 7}">{escape(names[key])}</text>')
    parts.append("</svg>")
    return "".join(parts)
