"""Tables of the documents domain: one row per upload, the bytes stored by content hash."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, UTCDateTime
from suanli.kit.timeutil import utcnow


class Purpose(StrEnum):
    EVIDENCE = "evidence"  # a startup's evidence for a voucher application
    PROVENANCE = "provenance"  # a provider's export licence, purchase record, customs papers


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    purpose: Mapped[Purpose] = mapped_column(String(32))
    # What the document is attached to, e.g. ("application", "17") or ("cluster", "4").
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
