"""The buyer's and the provider's dashboards as home-page panels."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import Request
from markupsafe import Markup
from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.dashboards import parties
from suanli.dashboards import permissions as perms
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.web.charts import Bar, bar_chart
from suanli.web.i18n import translate
from suanli.web.pages import HOME_PANELS
from suanli.web.render import language


def _svg(svg: str) -> Markup:
    return Markup(svg)  # noqa: S704 - bar_chart escapes every label it draws


def buyer_panel(session: Session, principal: Principal, request: Request) -> dict[str, Any]:
    orgs = principal.org_ids_with(perms.DASHBOARD_BUYER)
    slugs = [g.organisation_slug for g in principal.grants if g.organisation_id in orgs]
    return {"buyer": parties.buyer(session, orgs, slugs)}


def provider_panel(session: Session, principal: Principal, request: Request
                   ) -> dict[str, Any]:
    lang = language(request)
    figures = parties.provider(session, principal.org_ids_with(perms.DASHBOARD_PROVIDER))
    use = [Bar(u.cluster.name, u.booked_pct, f"{u.booked_pct}%") for u in figures.clusters]
    today = to_shanghai(utcnow()).date()
    days = [today - timedelta(days=n) for n in range(parties.REVENUE_DAYS - 1, -1, -1)]
    revenue = [Bar(d.isoformat(), Decimal(figures.revenue_days.get(d, 0)),
                   format_cny_grouped(figures.revenue_days.get(d, 0)))
               for d in days if d in figures.revenue_days]
    return {"provider": figures,
            "utilisation_chart": _svg(bar_chart(translate(lang, "mine.chart.utilisation"),
                                                use, chart_id="mine-utilisation")),
            "revenue_chart": _svg(bar_chart(translate(lang, "mine.chart.revenue"), revenue,
                                            chart_id="mine-revenue-chart"))}


def register() -> None:
    """Put the two dashboards on the home page (once, however often the app is built)."""
    wanted = [(perms.DASHBOARD_BUYER, "dashboards/buyer.html", buyer_panel),
              (perms.DASHBOARD_PROVIDER, "dashboards/provider.html", provider_panel)]
    for panel in wanted:
        if panel not in HOME_PANELS:
            HOME_PANELS.append(panel)
