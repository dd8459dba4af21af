"""Tables of settlement: chains of holds, contract settlements, invoices, claims."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow


class Side(StrEnum):
    VOUCHER = "voucher"
    BUYER = "buyer"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class Kind(StrEnum):
    """What a settlement (and its claim) bills."""

    USAGE = "usage"  # a day's usage, or what remained at the contract's end
    CANCELLATION = "cancellation"  # the final bill of a cancelled contract, by its terms
    ADJUSTMENT = "adjustment"  # usage reported after the contract's final settlement


class HoldChain(Base):
    """The current link of a contract's chain of holds on one side (see charges.py)."""

    __tablename__ = "settlement_hold_chains"
    __table_args__ = (UniqueConstraint("contract_id", "side"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"))
    side: Mapped[Side] = mapped_column(String(8))
    hold_id: Mapped[str] = mapped_column(String(160))
    debit: Mapped[str] = mapped_column(String(100))
    credit: Mapped[str] = mapped_column(String(100))
    remaining: Mapped[int] = mapped_column(BigInteger)
    # Of `remaining`, what claims awaiting a decision will take (buyer-reimbursed programs).
    earmarked: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invoice(Base):
    """A buyer's invoice for one settlement day; its lines are that day's settlements."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("buyer_org_id", "period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    period: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContractSettlement(Base):
    """One contract settled for one day (or at its end): usage, charge and who paid what."""

    __tablename__ = "contract_settlements"
    __table_args__ = (
        UniqueConstraint("contract_id", "period"),
        Index("ix_contract_settlements_provider_org_id_period", "provider_org_id", "period"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"))
    period: Mapped[date] = mapped_column(Date, index=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[Kind] = mapped_column(String(16), default=Kind.USAGE,
                                       server_default=Kind.USAGE.value)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    program_id: Mapped[int | None] = mapped_column(ForeignKey("programs.id"), index=True)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger)
    mode: Mapped[str | None] = mapped_column(String(32))
    records: Mapped[int] = mapped_column(Integer)
    gpu_seconds: Mapped[int] = mapped_column(BigInteger)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    subsidy_rate: Mapped[Decimal] = mapped_column(Numeric(7, 6))
    charge_fen: Mapped[int] = mapped_column(BigInteger)
    voucher_fen: Mapped[int] = mapped_column(BigInteger)
    buyer_fen: Mapped[int] = mapped_column(BigInteger)
    uncovered_fen: Mapped[int] = mapped_column(BigInteger)
    transfer_ids: Mapped[list[str]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Claim(Base):
    """The voucher share of a settlement, claimed from the city with its evidence."""

    __tablename__ = "reimbursement_claims"
    __table_args__ = (Index("ix_reimbursement_claims_authority_org_id_status",
                            "authority_org_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("contract_settlements.id"),
                                               unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(BigInteger)
    authority_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    claimant_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    mode: Mapped[str] = mapped_column(String(32))
    kind: Mapped[Kind] = mapped_column(String(16), default=Kind.USAGE,
                                       server_default=Kind.USAGE.value)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[ClaimStatus] = mapped_column(String(16), default=ClaimStatus.SUBMITTED)
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transfer_ids: Mapped[list[str]] = mapped_column(JSONDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
