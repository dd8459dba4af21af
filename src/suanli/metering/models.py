"""Tables of metering: import batches and the usage records they brought in.

A record is immutable once stored: reconciliation decides its flags and billable
GPU-seconds as it arrives. Which settlement billed it is not written on the record (that
rewrote every row of a day: 30 s for 500,000 rows on PostgreSQL) but kept as one
`UsageSettled` mark per settlement: the records of its contract up to a record id and an
end time (see `UsageSettled`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow


class Channel(StrEnum):
    API = "api"
    FILE = "file"


class UsageBatch(Base):
    """One transaction's worth of imported rows; an import run may span several."""

    __tablename__ = "usage_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run: Mapped[str] = mapped_column(String(64), index=True)  # shared by one run's batches
    source: Mapped[str] = mapped_column(String(16))
    channel: Mapped[Channel] = mapped_column(String(8))
    filename: Mapped[str | None] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)  # the first rejections
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageRecord(Base):
    """GPU time delivered under a contract, as reported; natural key makes re-import safe."""

    __tablename__ = "usage_records"
    __table_args__ = (
        UniqueConstraint("contract_id", "source", "source_ref", "gpu_uuid"),
        Index("ix_usage_records_contract_id_ended_at", "contract_id", "ended_at"),
        # A GPU's records next to a new file's first and last samples (joins across files).
        Index("ix_usage_records_gpu_uuid_ended_at", "gpu_uuid", "ended_at"),
        Index("ix_usage_records_gpu_uuid_started_at", "gpu_uuid", "started_at"),
        # A contract's records after a settlement's mark (new and late usage).
        Index("ix_usage_records_contract_id_id", "contract_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("usage_batches.id"), index=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(200))
    gpu_uuid: Mapped[str] = mapped_column(String(100))  # "" for a count of GPUs
    gpus: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gpu_seconds: Mapped[int] = mapped_column(BigInteger)
    billable_gpu_seconds: Mapped[int] = mapped_column(BigInteger)
    utilisation_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    hostname: Mapped[str | None] = mapped_column(String(255))
    line: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[str]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageSettled(Base):
    """What one settlement billed: the records of `contract_id` with an id up to
    `through_record_id` that ended by `until` (None: whenever), less those an earlier mark
    covers. A record is settled when some mark covers it, billed by the first that does.

    Record ids grow with time and a contract's records are never in flight while the mark's
    id is read (`repository.usage_barrier`), so a record reported later has a larger id and
    stays unsettled until a later settlement covers it.
    """

    __tablename__ = "usage_settled"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"), index=True)
    # The settlement's row (settlement owns that table, so no foreign key here).
    settlement_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    through_record_id: Mapped[int] = mapped_column(BigInteger)
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
