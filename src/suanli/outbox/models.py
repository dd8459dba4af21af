"""The outbox table: one row per domain event, dispatched later by its readers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime


class OutboxEvent(Base):
    """Something that happened: its kind, what it is about, the organisations concerned
    (by their part in it: ``{"buyer": 3, "provider": 9}``) and the facts to tell."""

    __tablename__ = "outbox_events"
    # The readers' queue: events not yet dispatched, oldest first.
    __table_args__ = (Index("ix_outbox_events_dispatched_at_id", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)  # receivers dedup by it
    kind: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    orgs: Mapped[dict[str, int]] = mapped_column(JSONDoc)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    # Events that must fire once (reminders) carry a key; a second emit is ignored.
    dedup_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
