"""The dashboards as home-page panels: figures, charts (server-side SVG) and templates."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from suanli.applications.states import ApplicationStatus
from suanli.auth.principal import Principal
from suanli.dashboards import permissions as perms
from suanli.dashboards import service
from suanli.kit.money import format_cny_grouped
from suanli.reports import exports
from suanli.web import charts as line_charts
from suanli.web.charts import Bar, bar_chart
from suanli.web.i18n import translate
from suanli.web.pages import HOME_PANELS
from suanli.web.render import language

Translate = Callable[..., str]


def _t(request: Request) -> Translate:
    lang = language(request)
    return lambda key, **values: translate(lang, key, **values)


def _svg(svg: str) -> Markup:
    return Markup(svg)  # noqa: S704 - the chart modules escape every label they draw


def authority_panel(session: Session, principal: Principal, request: Request
                    ) -> dict[str, Any]:
    t = _t(request)
    programs = service.authority(session, principal.org_ids_with(perms.DASHBOARD_AUTHORITY))
    cards = []
    for n, figures in enumerate(programs):
        title = t("dash.chart.applications")
        bars = [Bar(t(f"dash.app.{s}"), Decimal(figures.applications.get(s, 0)),
                    str(figures.applications.get(s, 0)), alt=s == ApplicationStatus.REJECTED)
                for s in ApplicationStatus if s != ApplicationStatus.DRAFT]
        cards.append({
            "figures": figures,
            "money_chart": _svg(exports.money_chart(figures.report.money, t,
                                                    f"dash-money-{n}").svg),
            "applications_chart": _svg(bar_chart(title, bars, chart_id=f"dash-apps-{n}")),
        })
    return {"cards": cards}


def market_panel(session: Session, principal: Principal, request: Request) -> dict[str, Any]:
    t = _t(request)
    figures = service.market(session)
    index_chart = line_charts.price_index_chart(
        ((p.model, p.day, p.price_fen) for p in figures.index.points),
        title=t("dash.chart.index"), test_id="dash-index-chart")
    title = t("dash.chart.utilisation")
    bars = [Bar(figures.hubs[use.hub][0] if use.hub in figures.hubs else t("dash.hub.city"),
                use.percent, f"{use.percent}%", alt=figures.hubs.get(use.hub, ("", ""))[1]
                == "west") for use in figures.utilisation]
    return {"market": figures, "index_chart": _svg(index_chart),
            "utilisation_chart": _svg(bar_chart(title, bars, chart_id="dash-utilisation")),
            "cny": format_cny_grouped}


def compliance_panel(session: Session, principal: Principal, request: Request
                     ) -> dict[str, Any]:
    return {"compliance": service.compliance(session)}


def register() -> None:
    """Put the dashboards on the home page (once, however often the app is built)."""
    wanted = [(perms.DASHBOARD_AUTHORITY, "dashboards/authority.html", authority_panel),
              (perms.DASHBOARD_MARKET, "dashboards/market.html", market_panel),
              (perms.DASHBOARD_COMPLIANCE, "dashboards/compliance.html", compliance_panel)]
    for panel in wanted:
        if panel not in HOME_PANELS:
            HOME_PANELS.append(panel)
