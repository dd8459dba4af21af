"""PNG charts of one run or of two runs side by side (matplotlib's Agg renderer, no pyplot).

Every chart takes ``runs``: a list of (label, summary) pairs, one pair for a single
run, two for a comparison, and draws each run in its own colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from suanli.simulate.metrics import UNMET_REASONS

Runs = Sequence[tuple[str, dict[str, Any]]]
COLOURS = ("#1f6fb2", "#d9822b")
WIDTH = 0.8


def _yuan(text: str | None) -> float:
    return float(Decimal(text)) if text is not None else 0.0


def _figure(title: str, width: float = 8.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, 4.0), dpi=100)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    return path


def _bars(ax: Any, runs: Runs, labels: Sequence[str],
          values: Callable[[dict[str, Any]], Sequence[float]], *, x: str, y: str) -> None:
    """Grouped bars: one group per label, one bar per run; `x` and `y` name the axes."""
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    step = WIDTH / len(runs)
    for index, (name, summary) in enumerate(runs):
        xs = [i - WIDTH / 2 + step * (index + 0.5) for i in range(len(labels))]
        ax.bar(xs, values(summary), step, label=name, color=COLOURS[index % len(COLOURS)])
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.legend()


def subsidy_chart(runs: Runs, path: Path) -> Path:
    """Cumulative subsidy spent and committed by week, against the budget."""
    fig, ax = _figure("Subsidy by week (million CNY)", width=10.0)
    for index, (name, summary) in enumerate(runs):
        colour = COLOURS[index % len(COLOURS)]
        weeks = [w["week"] for w in summary["weekly"]]
        spent, total = [], 0.0
        for w in summary["weekly"]:
            total += _yuan(w["subsidy_cny"]) / 1e6
            spent.append(total)
        committed = [_yuan(w["committed_cny"]) / 1e6 for w in summary["weekly"]]
        ax.plot(weeks, spent, color=colour, marker="o", label=f"{name}: spent")
        ax.plot(weeks, committed, color=colour, linestyle="--", label=f"{name}: committed")
        ax.axhline(_yuan(summary["subsidy"]["budget_cny"]) / 1e6, color=colour, linestyle=":",
                   label=f"{name}: budget")
    ax.set_xlabel("week")
    ax.set_ylabel("million CNY")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def delivery_chart(runs: Runs, path: Path) -> Path:
    """GPU-hours delivered by week, with the part at state-run centres and on domestic chips."""
    fig, ax = _figure("GPU-hours delivered by week", width=10.0)
    for index, (name, summary) in enumerate(runs):
        colour = COLOURS[index % len(COLOURS)]
        weeks = [w["week"] for w in summary["weekly"]]
        ax.plot(weeks, [w["gpu_hours"] for w in summary["weekly"]], color=colour, marker="o",
                label=f"{name}: all")
        ax.plot(weeks, [w["state_gpu_hours"] for w in summary["weekly"]], color=colour,
                linestyle="--", label=f"{name}: state-run")
        ax.plot(weeks, [w["domestic_gpu_hours"] for w in summary["weekly"]], color=colour,
                linestyle=":", label=f"{name}: domestic chips")
    ax.set_xlabel("week")
    ax.set_ylabel("GPU-hours")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return _save(fig, path)


def utilisation_chart(runs: Runs, path: Path) -> Path:
    """Share of listed GPU-hours sold, by hub."""
    hubs = sorted(runs[0][1]["utilisation_by_hub"])
    fig, ax = _figure("Utilisation by hub (GPU-hours sold / listed)", width=9.0)
    _bars(ax, runs, hubs, lambda s: [s["utilisation_by_hub"].get(h) or 0.0 for h in hubs],
          x="hub", y="share of listed GPU-hours sold")
    ax.set_ylim(0, 1)
    return _save(fig, path)


def unmet_chart(runs: Runs, path: Path) -> Path:
    """Orders given up, by reason."""
    fig, ax = _figure("Unmet orders by reason")
    _bars(ax, runs, UNMET_REASONS, lambda s: [s["unmet"]["orders"][r] for r in UNMET_REASONS],
          x="reason", y="orders")
    return _save(fig, path)


def energy_chart(runs: Runs, path: Path) -> Path:
    """Energy of delivered work at eastern and western hubs (MWh)."""
    fig, ax = _figure("Energy (MWh) by side of the East Data West Computing divide")
    _bars(ax, runs, ("east", "west"),
          lambda s: [s["energy"]["east_kwh"] / 1000, s["energy"]["west_kwh"] / 1000],
          x="side", y="MWh")
    return _save(fig, path)


def price_chart(runs: Runs, path: Path) -> Path:
    """Average list price and price paid by startups per GPU-hour."""
    keys = ("avg_ask_cny_per_gpu_hour", "avg_paid_cny_per_gpu_hour",
            "avg_paid_state_cny_per_gpu_hour", "avg_paid_commercial_cny_per_gpu_hour")
    labels = ("list price", "paid (all)", "paid at state-run", "paid at commercial")
    fig, ax = _figure("CNY per GPU-hour")
    _bars(ax, runs, labels, lambda s: [_yuan(s["prices"][k]) for k in keys], x="price",
          y="CNY per GPU-hour")
    return _save(fig, path)


CHARTS: tuple[tuple[str, str, Callable[[Runs, Path], Path]], ...] = (
    ("subsidy.png", "Subsidy spent and committed", subsidy_chart),
    ("delivery.png", "GPU-hours delivered", delivery_chart),
    ("prices.png", "Prices", price_chart),
    ("unmet.png", "Unmet demand", unmet_chart),
    ("utilisation.png", "Utilisation by hub", utilisation_chart),
    ("energy.png", "Energy", energy_chart),
)


def draw_all(runs: Runs, outdir: Path) -> list[tuple[str, str]]:
    """Draw every chart into ``outdir``; (file name, caption) of each."""
    return [(name, caption) for name, caption, draw in CHARTS if draw(runs, outdir / name)]
