"""Tables of the programs domain: programs and the fundings of their budgets.

Rates are integer basis points (10000 = 100 %); money is integer fen. A program's budget
lives in the ledger (account `program-budget:<id>`); `program_fundings` records each funding
transfer so that a retry can never fund twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow
from suanli.programs.enums import ProgramStatus, ProviderMode, RedemptionMode

__all__ = ["Program", "ProgramCall", "ProgramFunding", "ProgramStatus", "ProviderMode",
           "RedemptionMode"]


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    authority_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    preset_key: Mapped[str | None] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[ProgramStatus] = mapped_column(String(16), default=ProgramStatus.DRAFT)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    voucher_min_fen: Mapped[int] = mapped_column(BigInteger)
    voucher_max_fen: Mapped[int] = mapped_column(BigInteger)
    default_value_fen: Mapped[int] = mapped_column(BigInteger)  # what auto-approval issues
    rate_state_bp: Mapped[int] = mapped_column(Integer)
    rate_commercial_bp: Mapped[int] = mapped_column(Integer)
    domestic_bonus_bp: Mapped[int] = mapped_column(Integer, default=0)
    max_rate_bp: Mapped[int] = mapped_column(Integer)
    provider_mode: Mapped[ProviderMode] = mapped_column(String(16), default=ProviderMode.ALL)
    provider_slugs: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    cap_per_firm_fen: Mapped[int | None] = mapped_column(BigInteger)  # per calendar year
    validity_days: Mapped[int] = mapped_column(Integer)
    window_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # Contract terms a voucher may pay for (Beijing: at most a year, signed on or after a
    # date), and whether a provider the applicant declares itself affiliated with is refused.
    max_contract_days: Mapped[int | None] = mapped_column(Integer)
    contracts_signed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    no_affiliated_providers: Mapped[bool] = mapped_column(Boolean, default=False)
    # Vouchers released in parts: the first at issue, the rest on milestones (tranches.py).
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # Above this value an approval needs a second reviewer's agreement; None: one suffices.
    second_review_above_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Co-funding: funders sharing the budget by fixed shares, each with its own budget
    # account `program-funder:<id>:<n>` (programs/funders.py); empty: one budget account.
    funders: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # What its vouchers pay for: GPU-hours on the market, or model-service tokens.
    voucher_unit: Mapped[str] = mapped_column(String(16), default="gpu_hours",
                                              server_default="gpu_hours")
    # Rates by applicant tier, first match applies (programs/tiers.py, canonical JSON).
    tiers: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    auto_approve: Mapped[bool] = mapped_column(Boolean, default=True)
    forbid_other_subsidies: Mapped[bool] = mapped_column(Boolean, default=False)
    redemption_mode: Mapped[RedemptionMode] = mapped_column(
        String(32), default=RedemptionMode.PROVIDER_CLAIMS)
    # Settlement: use what is left of a voucher below a contract's subsidy (the buyer paying
    # the rest) rather than refuse; let vouchers subsidise cancellation fees for hours never
    # run; refuse usage reported after a contract's final settlement rather than bill it.
    partial_vouchers: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    subsidise_cancellation: Mapped[bool] = mapped_column(Boolean, default=False,
                                                         server_default=false())
    refuse_late_usage: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    # Buyers may be granted post-paid credit lines (see `credit`), off by default.
    credit_lines: Mapped[bool] = mapped_column(Boolean, default=False,
                                               server_default=false())
    eligibility_text: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str | None] = mapped_column(String(500))
    # A made-up program (no city published one), or settings filled in for illustration
    # where the city published no figure; pages say so.
    illustrative: Mapped[bool] = mapped_column(Boolean, default=False)
    illustrative_fields: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def budget_account(self) -> str:
        return f"program-budget:{self.id}"


class ProgramFunding(Base):
    """One movement between the treasury and a program's budget (positive: funding)."""

    __tablename__ = "program_fundings"
    __table_args__ = (UniqueConstraint("program_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # Co-funded: the funder (0-based) whose account alone this moved; None: split by share.
    funder_index: Mapped[int | None] = mapped_column(Integer)
    transfer_id: Mapped[str] = mapped_column(String(128), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgramCall(Base):
    """A call for applications: a window and the slice of the program's budget its
    applications may be issued. A program with calls takes applications only in one."""

    __tablename__ = "program_calls"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
