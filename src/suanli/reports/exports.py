"""Reports as tables (CSV/XLSX downloads, the CLI) and as charts (pages) (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from suanli.kit.money import format_cny_grouped
from suanli.kit.tables import Money, Table
from suanli.reports.figures import DeliveryFigures, ProgramMoney
from suanli.web.charts import Bar, bar_chart

MONEY_FIELDS = ("committed", "issued", "held", "spent", "returned")


def money_table(title: str, rows: Sequence[ProgramMoney], *, key: str = "program") -> Table:
    table = Table(title, [key, "name", "city", *[f"{f}_cny" for f in MONEY_FIELDS]])
    for m in rows:
        table.rows.append([m.program_id if key == "program" else m.city, m.name, m.city,
                           *[Money(getattr(m, f)) for f in MONEY_FIELDS]])
    return table


def delivery_tables(d: DeliveryFigures, prefix: str = "") -> list[Table]:
    summary = Table(f"{prefix}Summary", ["figure", "value"], [
        ["gpu_hours", d.gpu_hours], ["spend_cny", Money(d.spend_fen)],
        ["spend_state_run_cny", Money(d.spend_state_fen)], ["state_run_share", d.state_share],
        ["energy_kwh", d.energy_kwh], ["startups_served", d.startups_served]])
    return [summary, *[
        Table(f"{prefix}{title}", [key, unit], [[k, v] for k, v in figures.items()])
        for title, key, unit, figures in (
            ("GPU-hours by hub", "hub", "gpu_hours", d.by_hub),
            ("GPU-hours by operator", "operator", "gpu_hours", d.by_operator),
            ("GPU-hours by origin", "origin", "gpu_hours", d.by_origin),
            ("Energy by side", "side", "kwh", d.energy_by_side))]]


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


def delivery_charts(d: DeliveryFigures, t: Callable[[str], str], prefix: str) -> list[Chart]:
    """GPU-hours by hub, operator and origin, and energy by side, as SVG bar charts."""
    out = []
    for key, figures, unit in (("hub", d.by_hub, "gpu_h"), ("operator", d.by_operator, "gpu_h"),
                               ("origin", d.by_origin, "gpu_h"),
                               ("energy", d.energy_by_side, "kwh")):
        title = t(f"reports.chart.{key}")
        bars = [Bar(k if key == "hub" and k != "city" else t(f"reports.{key}.{k}"), v,
                    f"{v:,} {t('reports.unit.' + unit)}", alt=k in ("west", "foreign"))
                for k, v in figures.items()]
        out.append(Chart(title, bar_chart(title, bars, chart_id=f"{prefix}-{key}")))
    return out


def money_chart(m: ProgramMoney, t: Callable[[str], str], chart_id: str) -> Chart:
    title = t("reports.chart.money")
    bars = [Bar(t(f"reports.money.{f}"), Decimal(getattr(m, f)) / 100,
                format_cny_grouped(getattr(m, f)), alt=f in ("spent", "returned"))
            for f in MONEY_FIELDS]
    return Chart(title, bar_chart(title, bars, chart_id=chart_id))
