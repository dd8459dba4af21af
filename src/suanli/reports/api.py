"""JSON routes of reports: programs for their authority, the market for the regulator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.reports import permissions as perms
from suanli.reports import service
from suanli.reports.schemas import DeliveryRead, MarketReportRead, MoneyRead, ProgramReportRead

router = APIRouter(tags=["reports"])
ProgramReader = Annotated[Principal, Guard(perms.REPORTS_PROGRAMS)]


def authority_scope(principal: Principal) -> frozenset[int] | None:
    """None (all programs) for the platform and the regulator, else the caller's authorities."""
    if principal.can(perms.REPORTS_MARKET):
        return None
    return principal.org_ids_with(perms.REPORTS_PROGRAMS)


def _read(report: service.ProgramReport) -> ProgramReportRead:
    return ProgramReportRead(money=MoneyRead.of(report.money),
                             delivery=DeliveryRead.of(report.delivery))


@router.get("/reports/programs", response_model=list[ProgramReportRead],
            summary="Budget and delivery of your authority's programs (all for the platform "
                    "and the regulator)")
def program_reports(session: DbSession, principal: ProgramReader) -> list[ProgramReportRead]:
    return [_read(r) for r in service.program_reports(session, authority_scope(principal))]


@router.get("/reports/programs/{program_id}", response_model=ProgramReportRead,
            summary="One program's report")
def program_report(program_id: int, session: DbSession,
                   principal: ProgramReader) -> ProgramReportRead:
    (report,) = service.program_reports(session, authority_scope(principal), program_id)
    return _read(report)


@router.get("/reports/market", response_model=MarketReportRead,
            summary="All programs and cities, and delivery across the whole market")
def market_report(session: DbSession,
                  principal: Annotated[Principal, Guard(perms.REPORTS_MARKET)]
                  ) -> MarketReportRead:
    report = service.market_report(session)
    return MarketReportRead(total=MoneyRead.of(report.total),
                            programs=[MoneyRead.of(m) for m in report.programs],
                            cities=[MoneyRead.of(m) for m in report.cities],
                            delivery=DeliveryRead.of(report.delivery))
