"""All SQL of the outbox."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from suanli.outbox.models import OutboxEvent


def add(session: Session, event: OutboxEvent) -> None:
    session.add(event)


def has_key(session: Session, dedup_key: str) -> bool:
    stmt = select(OutboxEvent.id).where(OutboxEvent.dedup_key == dedup_key)
    return session.execute(stmt).first() is not None


def pending(session: Session, *, limit: int) -> list[OutboxEvent]:
    """Events not yet dispatched, oldest first, locked (rows another reader holds are
    skipped on PostgreSQL; SQLite's write transaction excludes other readers anyway)."""
    stmt = (select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
            .order_by(OutboxEvent.id).limit(limit).with_for_update(skip_locked=True))
    return list(session.execute(stmt).scalars())


def mark_dispatched(session: Session, ids: Collection[int], at: datetime) -> None:
    if ids:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(sorted(ids)))
                        .values(dispatched_at=at), execution_options={
                            "synchronize_session": False})


def by_ids(session: Session, ids: Collection[int]) -> dict[int, OutboxEvent]:
    if not ids:
        return {}
    stmt = select(OutboxEvent).where(OutboxEvent.id.in_(sorted(ids)))
    return {e.id: e for e in session.execute(stmt).scalars()}


def count_pending(session: Session) -> int:
    stmt = select(func.count()).where(OutboxEvent.dispatched_at.is_(None))
    return int(session.execute(stmt).scalar_one())
