"""Tables of the applications domain: startup profiles, applications and their events."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.applications.states import ApplicationStatus
from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow

__all__ = ["Application", "ApplicationEvent", "ApplicationStatus", "CreditRecord",
           "StartupProfile"]


class CreditRecord(StrEnum):
    OK = "ok"  # no default in the last three years
    DEFAULT_3Y = "default_3y"


class StartupProfile(Base):
    """What a startup declares about itself; a blank is "not given" (a reviewer checks)."""

    __tablename__ = "startup_profiles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    registered_city: Mapped[str | None] = mapped_column(String(64))
    annual_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    research_project_member: Mapped[bool | None] = mapped_column(Boolean)
    research_project_number: Mapped[str | None] = mapped_column(String(100))
    headcount: Mapped[int | None] = mapped_column(Integer)
    founded_on: Mapped[date | None] = mapped_column(Date)
    model_filings: Mapped[int | None] = mapped_column(Integer)
    credit_record: Mapped[CreditRecord | None] = mapped_column(String(16))
    other_subsidies: Mapped[list[str] | None] = mapped_column(JSONDoc)
    # Organisations (slugs) the firm declares itself affiliated with: a program that forbids
    # affiliated providers does not pay for compute bought from them.
    affiliates: Mapped[list[str] | None] = mapped_column(JSONDoc)
    organisation_type: Mapped[str | None] = mapped_column(String(32))  # criteria.py choices
    project_lead: Mapped[str | None] = mapped_column(String(16))  # none/provincial/national
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Application(Base):
    __tablename__ = "applications"
    # One open application per firm and program: `open_slot` is true while open, NULL after
    # (NULLs never collide), so the database refuses a concurrent duplicate.
    __table_args__ = (UniqueConstraint("program_id", "organisation_id", "open_slot"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(String(16), index=True)
    open_slot: Mapped[bool | None] = mapped_column(Boolean)
    requested_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    value_fen: Mapped[int | None] = mapped_column(BigInteger)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)  # as submitted
    evaluation: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)  # the rules' verdict
    # The rate tier that applies (programs/tiers.py); None: the program's own rates.
    tier_key: Mapped[str | None] = mapped_column(String(32))
    # Reviewers' approvals so far, where the program needs two above a value:
    # [{user_id, value_fen, reason, at}].
    approvals: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("program_calls.id"), index=True)
    decision_reason: Mapped[str | None] = mapped_column(String(1000))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"))
    # Paired-voucher programs: the provider named for the voucher's provider half.
    paired_provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ApplicationEvent(Base):
    """One step in an application's life: who moved it where, and why."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    from_status: Mapped[ApplicationStatus | None] = mapped_column(String(16))
    to_status: Mapped[ApplicationStatus] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(1000))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
