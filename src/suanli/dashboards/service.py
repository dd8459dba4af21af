"""The three dashboards' figures, read in one pass each (no writes)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.applications.states import ApplicationStatus
from suanli.dashboards import figures, repository
from suanli.integrity import service as integrity
from suanli.kit.timeutil import utcnow
from suanli.market import marketdata
from suanli.reports import service as reports

VOLUME_DAYS = 30
INDEX_DAYS = 30
UTILISATION_DAYS = 7  # on each side of now: the past week delivered, the next week booked
CASES_SHOWN = 20
WAITING = (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_REVIEW)
GRANTED = (ApplicationStatus.AUTO_APPROVED, ApplicationStatus.APPROVED,
           ApplicationStatus.VOUCHER_ISSUED)


@dataclass
class ProgramFigures:
    report: reports.ProgramReport
    applications: dict[str, int]  # status -> count
    waiting: int
    granted: int
    rejected: int
    active_vouchers: int

    @property
    def budget_left_fen(self) -> int:
        """Budget not (or no longer) on vouchers: committed - issued + returned."""
        money = self.report.money
        return money.committed - money.issued + money.returned


def authority(session: Session, authority_ids: Collection[int] | None) -> list[ProgramFigures]:
    """Key figures of each program of these authorities (None: all programs)."""
    rows = reports.program_reports(session, authority_ids)
    ids = [r.program.id for r in rows]
    counts = repository.application_counts(session, ids)
    active = repository.active_vouchers(session, ids)
    out = []
    for report in rows:
        pid = report.program.id
        mine = {status: n for (p, status), n in counts.items() if p == pid}
        out.append(ProgramFigures(
            report, mine, waiting=sum(mine.get(s, 0) for s in WAITING),
            granted=sum(mine.get(s, 0) for s in GRANTED),
            rejected=mine.get(ApplicationStatus.REJECTED, 0), active_vouchers=active.get(pid, 0)))
    return out


@dataclass
class MarketFigures:
    volume: figures.Volume
    volume_days: int
    index: marketdata.Index
    latest_prices: dict[str, marketdata.IndexPoint]  # model -> its latest index point
    utilisation: list[figures.HubUse]
    utilisation_all: figures.HubUse
    window: tuple[datetime, datetime]
    open_orders: int
    live_offers: int
    hubs: dict[str, tuple[str, str]]  # id -> (name, side)


def market(session: Session, *, now: datetime | None = None) -> MarketFigures:
    """Volume over the last 30 days, the price index, and utilisation by hub around now."""
    now = now or utcnow()
    volume = figures.volume(repository.traded_since(session, now - timedelta(days=VOLUME_DAYS)))
    index = marketdata.price_index(session, days=INDEX_DAYS, now=now)
    latest: dict[str, marketdata.IndexPoint] = {}
    for point in index.points:  # in day order: the last one per model wins
        latest[point.model] = point
    start, end = now - timedelta(days=UTILISATION_DAYS), now + timedelta(days=UTILISATION_DAYS)
    uses = figures.utilisation(repository.listed_spans(session, start, end),
                               repository.booked_spans(session, start, end),
                               start=start, end=end)
    return MarketFigures(volume, VOLUME_DAYS, index, dict(sorted(latest.items())), uses,
                         figures.overall(uses), (start, end), repository.open_orders(session),
                         repository.live_offers(session, now), repository.hubs(session))


@dataclass
class ComplianceFigures:
    cases: list[repository.OpenCase]
    cases_by_kind: dict[str, int]
    held: list[repository.HeldListing]
    checks: integrity.Latest

    @property
    def open_cases(self) -> int:
        return sum(self.cases_by_kind.values())


def compliance(session: Session) -> ComplianceFigures:
    """Open cases, listings on hold, and the last stored verification of the audit chain
    and of the ledger (a verification reads every record: not something to do per visit)."""
    cases, by_kind = repository.open_cases(session, limit=CASES_SHOWN)
    return ComplianceFigures(cases, by_kind, repository.held_listings(session),
                             integrity.latest(session))
