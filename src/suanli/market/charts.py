"""Server-rendered SVG charts for the market page (pure; no scripts, no style attributes:
the site's Content-Security-Policy forbids both, SVG presentation attributes are fine)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
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


def bar_chart(groups: Sequence[tuple[str, float, float]], *, title: str, unit: str,
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
