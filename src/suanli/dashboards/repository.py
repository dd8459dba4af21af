"""All SQL of the dashboards: read-only counts and spans across other domains' tables.

Like reports, dashboards read other domains' tables and never write them: each figure is
one aggregate query, so a home page costs a handful of statements.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from suanli.applications.models import Application
from suanli.auth.models import Organisation
from suanli.catalog.models import Hub
from suanli.dashboards.figures import Span
from suanli.market.models import Contract, ContractState, Offer, OfferStatus, Order, OrderStatus
from suanli.providers.models import CaseStatus, Cluster, ClusterStatus, ComplianceCase, DataCentre
from suanli.vouchers.models import Voucher, VoucherStatus

HELD = (ClusterStatus.SUSPENDED, ClusterStatus.AWAITING_DECISION)


def application_counts(session: Session, program_ids: Collection[int]
                       ) -> dict[tuple[int, str], int]:
    """(program id, status) -> applications."""
    stmt = (select(Application.program_id, Application.status, func.count())
            .where(Application.program_id.in_(sorted(program_ids)))
            .group_by(Application.program_id, Application.status))
    return {(pid, str(status)): n for pid, status, n in session.execute(stmt)}


def active_vouchers(session: Session, program_ids: Collection[int]) -> dict[int, int]:
    """Program id -> vouchers still active."""
    stmt = (select(Voucher.program_id, func.count())
            .where(Voucher.program_id.in_(sorted(program_ids)),
                   Voucher.status == VoucherStatus.ACTIVE)
            .group_by(Voucher.program_id))
    return {pid: n for pid, n in session.execute(stmt)}


def listed_spans(session: Session, start: datetime, end: datetime) -> list[Span]:
    """Offers overlapping [start, end), each until its end or its withdrawal."""
    stmt = (select(DataCentre.hub_id, Offer.gpus, Offer.start_at, Offer.end_at,
                   Offer.withdrawn_at)
            .join(Cluster, Offer.cluster_id == Cluster.id)
            .join(DataCentre, Cluster.data_centre_id == DataCentre.id)
            .where(Offer.start_at < end, Offer.end_at > start,
                   or_(Offer.withdrawn_at.is_(None), Offer.withdrawn_at > start)))
    return [Span(hub, gpus, s, min(e, w) if w else e)
            for hub, gpus, s, e, w in session.execute(stmt)]


def booked_spans(session: Session, start: datetime, end: datetime) -> list[Span]:
    """Contracts that are not cancelled overlapping [start, end)."""
    stmt = (select(DataCentre.hub_id, Contract.gpus, Contract.start_at, Contract.end_at)
            .join(Offer, Contract.offer_id == Offer.id)
            .join(Cluster, Offer.cluster_id == Cluster.id)
            .join(DataCentre, Cluster.data_centre_id == DataCentre.id)
            .where(Contract.start_at < end, Contract.end_at > start,
                   Contract.state != ContractState.CANCELLED))
    return [Span(hub, gpus, s, e) for hub, gpus, s, e in session.execute(stmt)]


def hubs(session: Session) -> dict[str, tuple[str, str]]:
    """Hub id -> (name, side: east or west)."""
    return {i: (n, side) for i, n, side in session.execute(select(Hub.id, Hub.name, Hub.side))}


def traded_since(session: Session, since: datetime) -> list[tuple[int, int, int]]:
    """(GPU-hours, value, subsidy) of contracts matched since `since`, cancelled or not."""
    stmt = (select(Contract.gpu_hours, Contract.cost_fen, Contract.subsidy_fen)
            .where(Contract.created_at >= since))
    return [(h, c, s) for h, c, s in session.execute(stmt)]


def open_orders(session: Session) -> int:
    stmt = select(func.count()).select_from(Order).where(Order.status == OrderStatus.OPEN)
    return int(session.execute(stmt).scalar_one())


def live_offers(session: Session, now: datetime) -> int:
    stmt = (select(func.count()).select_from(Offer)
            .where(Offer.status == OfferStatus.LIVE, Offer.end_at > now))
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class OpenCase:
    id: int
    kind: str
    cluster_id: int
    cluster: str
    provider: str
    opened_at: datetime


def open_cases(session: Session, *, limit: int) -> tuple[list[OpenCase], dict[str, int]]:
    """The oldest open cases (up to `limit`) and the count of all open cases by kind."""
    stmt = (select(ComplianceCase.id, ComplianceCase.kind, Cluster.id, Cluster.name,
                   Organisation.name, ComplianceCase.opened_at)
            .join(Cluster, ComplianceCase.cluster_id == Cluster.id)
            .join(Organisation, ComplianceCase.organisation_id == Organisation.id)
            .where(ComplianceCase.status == CaseStatus.OPEN)
            .order_by(ComplianceCase.opened_at, ComplianceCase.id).limit(limit))
    rows = [OpenCase(i, str(k), cid, c, p, at) for i, k, cid, c, p, at in session.execute(stmt)]
    counts = (select(ComplianceCase.kind, func.count())
              .where(ComplianceCase.status == CaseStatus.OPEN).group_by(ComplianceCase.kind))
    return rows, {str(kind): n for kind, n in session.execute(counts)}


@dataclass(frozen=True)
class HeldListing:
    cluster_id: int
    cluster: str
    provider: str
    model: str
    gpus: int
    status: str
    reason: str | None
    live_offers: int


def held_listings(session: Session) -> list[HeldListing]:
    """Clusters whose offers are off the market (suspended or awaiting a decision)."""
    offers = (select(Offer.cluster_id.label("cid"), func.count().label("n"))
              .where(Offer.status == OfferStatus.LIVE).group_by(Offer.cluster_id).subquery())
    stmt = (select(Cluster.id, Cluster.name, Organisation.name, Cluster.accelerator_model,
                   Cluster.nodes * Cluster.gpus_per_node, Cluster.status,
                   Cluster.status_reason, func.coalesce(offers.c.n, 0))
            .join(Organisation, Cluster.organisation_id == Organisation.id)
            .outerjoin(offers, offers.c.cid == Cluster.id)
            .where(Cluster.status.in_(HELD)).order_by(Cluster.id))
    return [HeldListing(i, n, p, m, g, str(s), r, o)
            for i, n, p, m, g, s, r, o in session.execute(stmt)]
