"""The table of capacity grants. The money lives in the ledger: approval moves the grant
from the program's budget to the grant's own account `capacity-grant:<id>`; payment moves it
on to the provider's payout account, clawback back to the budget."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow


class GrantStatus(StrEnum):
    SUBMITTED = "submitted"  # the provider applied with evidence; a reviewer decides
    APPROVED = "approved"  # reserved on the grant's account; the listing period runs
    PAID = "paid"  # listed for the whole period: paid to the provider
    REJECTED = "rejected"  # the reviewer refused it
    CLAWED_BACK = "clawed_back"  # the capacity left early: the money went back


OPEN = frozenset({GrantStatus.SUBMITTED, GrantStatus.APPROVED, GrantStatus.PAID})


class CapacityGrant(Base):
    """A provider's application for a grant on one cluster's purchase, and its fate."""

    __tablename__ = "capacity_grants"
    __table_args__ = (
        CheckConstraint("purchase_fen > 0", name="purchase_positive"),
        CheckConstraint("amount_fen > 0 AND amount_fen <= purchase_fen", name="amount_within"),
        Index("ix_capacity_grants_cluster_id_status", "cluster_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    purchase_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # the grant asked for and decided
    # The program's terms when the provider applied (a later change does not move them).
    share_bp: Mapped[int] = mapped_column(Integer)
    cap_fen: Mapped[int | None] = mapped_column(BigInteger)
    listing_days: Mapped[int] = mapped_column(Integer)
    evidence_document_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    status: Mapped[GrantStatus] = mapped_column(String(16), default=GrantStatus.SUBMITTED)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Approval: the GPUs attested then, and the listing period that must pass before pay.
    gpus_listed: Mapped[int | None] = mapped_column(Integer)
    listed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    listed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clawed_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clawback_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def account(self) -> str:
        return f"capacity-grant:{self.id}"
