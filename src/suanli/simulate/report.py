"""The report of one run or of two policies side by side: JSON, PNG charts, HTML, console.

``write_report`` writes into an output folder ``summary.json`` (every metric of every
run, and the deltas of a comparison), the PNG charts of :mod:`suanli.simulate.plots`,
``report.css`` and ``index.html``, a static page with the charts and tables and no
scripts. ``console_table`` is the Rich table the CLI prints.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.table import Table

from suanli.simulate.metrics import UNMET_REASONS
from suanli.simulate.plots import draw_all
from suanli.simulate.scenario import Policy

Value = str | int | float | None


@dataclass(frozen=True)
class Figure:
    """One headline number: how to read it from a summary and what kind of number it is."""

    label: str
    read: Callable[[dict[str, Any]], Value]
    kind: str  # "count", "cny", "ratio", "number"


def _get(*path: str) -> Callable[[dict[str, Any]], Value]:
    def read(summary: dict[str, Any]) -> Value:
        node: Any = summary
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is None or isinstance(node, (str, int, float)):
            return node
        return str(node)

    return read


def _unmet_total(summary: dict[str, Any]) -> Value:
    return sum(int(n) for n in summary["unmet"]["orders"].values())


def _mean_utilisation(summary: dict[str, Any]) -> Value:
    values = [v for v in summary["utilisation_by_hub"].values() if v is not None]
    return round(sum(values) / len(values), 4) if values else None


FIGURES: tuple[Figure, ...] = (
    Figure("Startups arrived", _get("startups", "arrived"), "count"),
    Figure("Startups with a voucher", _get("startups", "with_voucher"), "count"),
    Figure("Startups served (any)", _get("startups", "served"), "count"),
    Figure("Startups served, subsidised", _get("startups", "served_with_subsidy"), "count"),
    Figure("Subsidy budget (CNY)", _get("subsidy", "budget_cny"), "cny"),
    Figure("Vouchers issued (CNY)", _get("subsidy", "issued_cny"), "cny"),
    Figure("Subsidy spent (CNY)", _get("subsidy", "spent_cny"), "cny"),
    Figure("Subsidy left (CNY)", _get("subsidy", "left_cny"), "cny"),
    Figure("Expired unspent (CNY)", _get("subsidy", "expired_unspent_cny"), "cny"),
    Figure("GPU-hours delivered", _get("delivery", "gpu_hours"), "number"),
    Figure("GPU-hours per yuan subsidy", _get("delivery", "gpu_hours_per_yuan_subsidy"),
           "number"),
    Figure("Share at state-run centres", _get("delivery", "state_share"), "ratio"),
    Figure("Share on domestic chips", _get("delivery", "domestic_share"), "ratio"),
    Figure("List price (CNY/GPU-h)", _get("prices", "avg_ask_cny_per_gpu_hour"), "cny"),
    Figure("Paid, all (CNY/GPU-h)", _get("prices", "avg_paid_cny_per_gpu_hour"),
           "cny"),
    Figure("Paid, state-run (CNY/GPU-h)",
           _get("prices", "avg_paid_state_cny_per_gpu_hour"), "cny"),
    Figure("Paid, commercial (CNY/GPU-h)",
           _get("prices", "avg_paid_commercial_cny_per_gpu_hour"), "cny"),
    Figure("State-run cheaper by",
           _get("prices", "state_cheaper_than_commercial"), "ratio"),
    Figure("  same chips, state-run cheaper by",
           _get("prices", "same_chip_state_cheaper"), "ratio"),
    Figure("Unmet orders", _unmet_total, "count"),
    *(Figure(f"  unmet: {r}", _get("unmet", "orders", r), "count") for r in UNMET_REASONS),
    Figure("Mean hub utilisation", _mean_utilisation, "ratio"),
    Figure("Energy (kWh)", _get("energy", "kwh"), "number"),
    Figure("Energy at western hubs", _get("energy", "west_share"), "ratio"),
    Figure("Energy cost (CNY)", _get("energy", "cost_cny"), "cny"),
    Figure("Rounds cut by time limit", _get("clearing", "time_limited"), "count"),
)


def show(value: Value, kind: str) -> str:
    """A figure as text: ratios as percentages, big numbers grouped."""
    if value is None:
        return "-"
    if kind == "ratio":
        return f"{float(value) * 100:.1f} %"
    if kind == "cny":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "count":
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


def delta(a: Value, b: Value, kind: str) -> str:
    """B minus A as signed text (percentage points for ratios); "-" when either is missing."""
    if a is None or b is None:
        return "-"
    if kind == "ratio":
        return f"{(float(b) - float(a)) * 100:+.1f} pp"
    if kind == "cny":
        return f"{Decimal(str(b)) - Decimal(str(a)):+,.2f}"
    if kind == "count":
        return f"{int(b) - int(a):+,}"
    return f"{float(b) - float(a):+,.2f}"


def _funder_figures(runs: Sequence[tuple[str, dict[str, Any]]]) -> list[Figure]:
    """What each funder (of either run, by name) spent: co-funded policies only."""
    names: list[str] = []
    for _, summary in runs:
        names += [f["name"] for f in summary.get("funders", []) if f["name"] not in names]

    def spent(name: str) -> Callable[[dict[str, Any]], Value]:
        def read(summary: dict[str, Any]) -> Value:
            found = [f["spent_cny"] for f in summary.get("funders", []) if f["name"] == name]
            return found[0] if found else None
        return read

    return [Figure(f"  spent by {name} (CNY)", spent(name), "cny") for name in names]


def figure_rows(runs: Sequence[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    """[label, value per run (, delta)] for every headline figure (and each funder's
    spending, after the subsidy spent)."""
    rows = []
    spent_at = next(i for i, f in enumerate(FIGURES) if f.label.startswith("Subsidy spent"))
    figures = [*FIGURES[:spent_at + 1], *_funder_figures(runs), *FIGURES[spent_at + 1:]]
    for figure in figures:
        values = [figure.read(summary) for _, summary in runs]
        row = [figure.label, *(show(v, figure.kind) for v in values)]
        if len(values) == 2:
            row.append(delta(values[0], values[1], figure.kind))
        rows.append(row)
    return rows


def policy_json(policy: Policy) -> Any:
    """The policy as it was run, money as decimal strings."""
    return policy.model_dump(mode="json")


def console_table(runs: Sequence[tuple[str, dict[str, Any]]], title: str) -> Table:
    """The headline figures as a Rich table (with a delta column for two runs)."""
    table = Table(title=title)
    table.add_column("figure")
    for name, _ in runs:
        table.add_column(name, justify="right")
    if len(runs) == 2:
        table.add_column("B - A", justify="right")
    for row in figure_rows(runs):
        table.add_row(*row)
    return table


CSS = """body { font-family: sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5em 0 1.5em; }
"""


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    th = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


WEEK_COLUMNS = ("week", "arrivals", "vouchers_issued", "orders", "matched", "unmet",
                "gpu_hours", "subsidy_cny", "committed_cny", "status")


def html_page(document: dict[str, Any], charts: Sequence[tuple[str, str]]) -> str:
    """The static report page: scenarios, headline figures, charts, weekly tables."""
    runs = [(r["label"], r["summary"]) for r in document["runs"]]
    head = ["figure", *(name for name, _ in runs)] + (["B - A"] if len(runs) == 2 else [])
    parts = [f"<h1>Policy simulation: {html.escape(document['title'])}</h1>"]
    for run in document["runs"]:
        parts.append(f"<p><strong>{html.escape(run['label'])}</strong>: "
                     f"{html.escape(run['description'])}</p>")
    world = document["runs"][0]
    parts.append(f"<p>Seed {world['seed']}, {world['weeks']} weeks, world "
                 f"<code>{world['world_fingerprint'][:16]}</code>.</p>")
    parts.extend(f"<p>Note: {html.escape(note)}</p>" for note in document["notes"])
    parts.append("<h2>Headline figures</h2>" + _table(head, figure_rows(runs)))
    for name, caption in charts:
        parts.append(f"<h2>{html.escape(caption)}</h2>"
                     f'<img src="{html.escape(name)}" alt="{html.escape(caption)}">')
    for label, summary in runs:
        rows = [[w[c] for c in WEEK_COLUMNS] for w in summary["weekly"]]
        parts.append(f"<h2>Weeks: {html.escape(label)}</h2>" + _table(WEEK_COLUMNS, rows))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(document['title'])}</title>"
            '<link rel="stylesheet" href="report.css"></head><body>'
            + "\n".join(parts) + "</body></html>\n")


def write_report(document: dict[str, Any], outdir: Path) -> list[Path]:
    """Write summary.json, the charts, report.css and index.html; the paths written."""
    outdir.mkdir(parents=True, exist_ok=True)
    summary = outdir / "summary.json"
    summary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    runs = [(r["label"], r["summary"]) for r in document["runs"]]
    charts = draw_all(runs, outdir)
    (outdir / "report.css").write_text(CSS, "utf-8")
    page = outdir / "index.html"
    page.write_text(html_page(document, charts), "utf-8")
    return [summary, *(outdir / name for name, _ in charts), outdir / "report.css", page]
