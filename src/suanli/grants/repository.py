"""Queries of the grants domain (SQL lives here only)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from suanli.grants.models import OPEN, CapacityGrant, GrantStatus
from suanli.market.models import Offer, OfferStatus


def add(session: Session, grant: CapacityGrant) -> CapacityGrant:
    session.add(grant)
    session.flush()
    return grant


def get(session: Session, grant_id: int, *, lock: bool = False) -> CapacityGrant | None:
    stmt = select(CapacityGrant).where(CapacityGrant.id == grant_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def grants(session: Session, *, provider_ids: Collection[int] | None = None,
           authority_program_ids: Collection[int] | None = None,
           limit: int = 200) -> list[CapacityGrant]:
    """Newest first; None for both scopes: every grant (the platform, the regulator)."""
    stmt = select(CapacityGrant).order_by(CapacityGrant.id.desc()).limit(limit)
    if provider_ids is not None or authority_program_ids is not None:
        clauses = []
        if provider_ids is not None:
            clauses.append(CapacityGrant.provider_org_id.in_(sorted(provider_ids)))
        if authority_program_ids is not None:
            clauses.append(CapacityGrant.program_id.in_(sorted(authority_program_ids)))
        stmt = stmt.where(or_(*clauses))
    return list(session.execute(stmt).scalars())


def open_on_cluster(session: Session, program_id: int, cluster_id: int) -> CapacityGrant | None:
    """A grant of this program on this cluster still submitted, approved or paid."""
    return session.execute(select(CapacityGrant).where(
        CapacityGrant.program_id == program_id, CapacityGrant.cluster_id == cluster_id,
        CapacityGrant.status.in_(sorted(OPEN))).limit(1)).scalar_one_or_none()


def approved_ids(session: Session) -> list[int]:
    return list(session.execute(select(CapacityGrant.id).where(
        CapacityGrant.status == GrantStatus.APPROVED).order_by(CapacityGrant.id)).scalars())


def on_cluster(session: Session, cluster_id: int) -> list[CapacityGrant]:
    return list(session.execute(select(CapacityGrant).where(
        CapacityGrant.cluster_id == cluster_id)).scalars())


def live_offers(session: Session, cluster_id: int, now: datetime) -> int:
    """Offers of the cluster not withdrawn whose window has not ended."""
    return int(session.execute(select(func.count()).select_from(Offer).where(
        Offer.cluster_id == cluster_id, Offer.status == OfferStatus.LIVE,
        Offer.end_at > now)).scalar_one())
