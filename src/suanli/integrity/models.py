"""Tables of the integrity domain: one row per verification run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime


class IntegrityCheck(Base):
    """A verification of one subject (the audit chain, the ledger, capacity) and what it found."""

    __tablename__ = "integrity_checks"
    __table_args__ = (Index("ix_integrity_checks_subject_finished_at", "subject", "finished_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict[str, int]] = mapped_column(JSONDoc)
    problem: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_by_user_id: Mapped[int | None] = mapped_column(BigId)
