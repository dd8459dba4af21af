"""Tables of the vouchers domain. A voucher's money lives in the ledger (`voucher:<id>`);
`voucher_returns` records each return of unspent money to the program (expiry, clawback)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow
from suanli.programs.enums import ProviderMode


class VoucherStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CLAWED_BACK = "clawed_back"


class ReturnKind(StrEnum):
    EXPIRY = "expiry"
    CLAWBACK = "clawback"


class Voucher(Base):
    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    holder_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # The application it was issued for (no foreign key: applications refer to vouchers);
    # unique, so that one application can never be paid twice.
    application_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    # The program's terms when issued; later edits of the program do not change them.
    rate_state_bp: Mapped[int] = mapped_column(Integer)
    rate_commercial_bp: Mapped[int] = mapped_column(Integer)
    domestic_bonus_bp: Mapped[int] = mapped_column(Integer)
    max_rate_bp: Mapped[int] = mapped_column(Integer)
    tier_key: Mapped[str | None] = mapped_column(String(32))  # None: the program's base rates
    # A co-funded voucher's split across the program's funders (basis points, the funders'
    # order) when its tier has its own; None: the program's shares. Issue and returns use it.
    funder_shares: Mapped[list[int] | None] = mapped_column(JSONDoc, nullable=True)
    # What it pays for (its program's voucher_unit at issue): gpu_hours or tokens.
    unit: Mapped[str] = mapped_column(String(16), default="gpu_hours", server_default="gpu_hours")
    # Providers it never pays (the holder's declared affiliates, where the program says so),
    # and the contracts it pays for: at most this long, signed at or after this.
    excluded_providers: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    max_contract_days: Mapped[int | None] = mapped_column(Integer)
    contracts_signed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Released in parts (programs/tranches.py): [{share, milestone, amount_fen, hold_id,
    # released_at, released_by}]; the first released at issue, later parts held on the
    # program's budget (`voucher-tranche:<id>:<n>`) until a reviewer confirms the milestone.
    tranches: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    provider_mode: Mapped[ProviderMode] = mapped_column(String(16))
    provider_slugs: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[VoucherStatus] = mapped_column(String(16), default=VoucherStatus.ACTIVE,
                                                  index=True)
    # Set when it closed with money still held by contracts: a later sweep returns what the
    # holds release.
    residual: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def account_code(self) -> str:
        return f"voucher:{self.id}"


class VoucherReturn(Base):
    __tablename__ = "voucher_returns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"), index=True)
    kind: Mapped[ReturnKind] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    transfer_id: Mapped[str] = mapped_column(String(128), unique=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
