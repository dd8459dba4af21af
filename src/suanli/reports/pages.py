"""Pages of reports: an authority's programs, one program, the whole market; downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.reports import exports, service
from suanli.reports import permissions as perms
from suanli.reports.api import authority_scope
from suanli.reports.figures import totals
from suanli.web.downloads import download
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
ProgramReader = Annotated[Principal, Guard(perms.REPORTS_PROGRAMS)]
MarketReader = Annotated[Principal, Guard(perms.REPORTS_MARKET)]
Download = Annotated[Literal["csv", "xlsx"], Query(alias="format")]


def _t(request: Request) -> Callable[[str], str]:
    lang = language(request)
    return lambda key: translate(lang, key)


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: DbSession, principal: ProgramReader) -> Response:
    reports = service.program_reports(session, authority_scope(principal))
    combined = service.combined_delivery(session, [r.program.id for r in reports])
    charts = exports.delivery_charts(combined, _t(request), "all")
    return render(request, "reports/index.html", reports=reports,
                  total=totals([r.money for r in reports]), delivery=combined, charts=charts,
                  market=principal.can(perms.REPORTS_MARKET))


@router.get("/reports/programs/{program_id}", response_class=HTMLResponse)
def program_page(program_id: int, request: Request, session: DbSession,
                 principal: ProgramReader) -> Response:
    (report,) = service.program_reports(session, authority_scope(principal), program_id)
    t = _t(request)
    charts = [exports.money_chart(report.money, t, "money"),
              *exports.delivery_charts(report.delivery, t, "p")]
    return render(request, "reports/program.html", report=report, charts=charts)


@router.get("/reports/programs/{program_id}/download")
def program_download(program_id: int, session: DbSession, principal: ProgramReader,
                     fmt: Download = "csv") -> Response:
    (report,) = service.program_reports(session, authority_scope(principal), program_id)
    tables = [exports.money_table("Program", [report.money]),
              *exports.delivery_tables(report.delivery)]
    return download(tables, fmt, f"program-{program_id}-report")


@router.get("/reports/market", response_class=HTMLResponse)
def market_page(request: Request, session: DbSession, principal: MarketReader) -> Response:
    report = service.market_report(session)
    charts = exports.delivery_charts(report.delivery, _t(request), "m")
    return render(request, "reports/market.html", report=report, charts=charts)


@router.get("/reports/market/download")
def market_download(session: DbSession, principal: MarketReader,
                    fmt: Download = "csv") -> Response:
    report = service.market_report(session)
    tables = [exports.money_table("Programs", report.programs),
              exports.money_table("Cities", report.cities, key="city"),
              *exports.delivery_tables(report.delivery)]
    return download(tables, fmt, "market-report")
