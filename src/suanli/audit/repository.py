"""All SQL of the audit domain."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.audit.chain import GENESIS, Entry
from suanli.audit.models import AuditHead, AuditRecord


def lock_head(session: Session) -> AuditHead:
    """The head row, locked until commit so that appends form one line."""
    stmt = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.execute(stmt).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def get_head(session: Session) -> AuditHead:
    head = session.get(AuditHead, 1)
    return head if head is not None else AuditHead(id=1, seq=0, hash=GENESIS)


def hash_at(session: Session, seq: int) -> str | None:
    """The stored hash of record `seq` (the genesis hash for 0); None when there is none."""
    if seq == 0:
        return GENESIS
    return session.execute(select(AuditRecord.hash).where(AuditRecord.seq == seq)
                           ).scalar_one_or_none()


def add(session: Session, entry: Entry, hash_: str) -> None:
    session.add(
        AuditRecord(
            seq=entry.seq, at=entry.at, actor_user_id=entry.actor_user_id, actor=entry.actor,
            organisation_id=entry.organisation_id, action=entry.action,
            object_type=entry.object_type, object_id=entry.object_id, before=entry.before,
            after=entry.after, prev_hash=entry.prev_hash, hash=hash_,
        )
    )


def iter_entries(session: Session, batch: int = 1000) -> Iterator[Entry]:
    stmt = select(AuditRecord).order_by(AuditRecord.seq).execution_options(yield_per=batch)
    for row in session.execute(stmt).scalars():
        yield Entry(
            seq=row.seq, at=row.at, actor_user_id=row.actor_user_id, actor=row.actor,
            organisation_id=row.organisation_id, action=row.action,
            object_type=row.object_type, object_id=row.object_id, before=row.before,
            after=row.after, prev_hash=row.prev_hash, hash=row.hash,
        )


def list_records(
    session: Session, *, limit: int, offset: int, object_type: str | None = None,
    object_id: str | None = None, organisation_ids: set[int] | None = None,
) -> tuple[list[AuditRecord], int]:
    from suanli.kit.repository import paged

    stmt = select(AuditRecord).order_by(AuditRecord.seq.desc())
    if object_type:
        stmt = stmt.where(AuditRecord.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditRecord.object_id == object_id)
    if organisation_ids is not None:
        stmt = stmt.where(AuditRecord.organisation_id.in_(organisation_ids))
    return paged(session, stmt, limit=limit, offset=offset)
