"""All SQL of the integrity domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.integrity.models import IntegrityCheck


def add(session: Session, check: IntegrityCheck) -> IntegrityCheck:
    session.add(check)
    session.flush()
    return check


def latest(session: Session, subject: str) -> IntegrityCheck | None:
    """The most recently finished check of `subject`."""
    stmt = (select(IntegrityCheck).where(IntegrityCheck.subject == subject)
            .order_by(IntegrityCheck.finished_at.desc(), IntegrityCheck.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()

