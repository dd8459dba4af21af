"""Tables of the ledger.

`ledger_accounts` holds the only stored totals; `ledger_transfers` and `ledger_entries` are
append-only (triggers refuse UPDATE and DELETE); `ledger_holds` keeps the one mutable fact of
a hold, whether it is still pending. CHECK constraints are the backstop behind the locks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Table,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, UTCDateTime
from suanli.kit.timeutil import utcnow
from suanli.ledger.posting import (
    CURRENCY,
    ID_COLUMN,
    MAX_CODE,
    MAX_NAME,
    MAX_REASON,
    MAX_REF,
    AccountKind,
    HoldState,
    TransferKind,
)

__all__ = ["Account", "AccountKind", "Entry", "Hold", "Transfer"]


class Account(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 "
                        "AND credits_posted >= 0", name="totals_not_negative"),
        CheckConstraint("NOT debits_must_not_exceed_credits OR "
                        "debits_posted + debits_pending <= credits_posted",
                        name="debits_within_credits"),
        CheckConstraint("NOT credits_must_not_exceed_debits OR "
                        "credits_posted + credits_pending <= debits_posted",
                        name="credits_within_debits"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(MAX_CODE), unique=True)
    kind: Mapped[AccountKind] = mapped_column(String(32))
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    currency: Mapped[str] = mapped_column(String(3), default=CURRENCY)
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(Boolean, default=False)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    version: Mapped[int] = mapped_column(BigInteger, default=0)  # entries written so far
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transfer(Base):
    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        # A hold is resolved at most once: one post, void or expiry per pending id.
        Index("uq_ledger_transfers_pending_id", "pending_id", unique=True,
              sqlite_where=text("pending_id IS NOT NULL"),
              postgresql_where=text("pending_id IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(ID_COLUMN), primary_key=True)
    kind: Mapped[TransferKind] = mapped_column(String(16))
    debit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    pending_id: Mapped[str | None] = mapped_column(ForeignKey("ledger_transfers.id"))
    reason: Mapped[str] = mapped_column(String(MAX_REASON))
    ref: Mapped[str | None] = mapped_column(String(MAX_REF))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Hold(Base):
    __tablename__ = "ledger_holds"

    transfer_id: Mapped[str] = mapped_column(ForeignKey("ledger_transfers.id"), primary_key=True)
    state: Mapped[HoldState] = mapped_column(String(16), index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(ID_COLUMN))


class Entry(Base):
    """One account's totals after one transfer; a lost update would show as a version gap.

    No foreign keys: entries are written only with their transfer, in the same statement,
    and `suanli ledger verify` checks every one against it; the 400 foreign-key lookups of
    a 100-transfer batch cost about a quarter of its write on PostgreSQL.
    """

    __tablename__ = "ledger_entries"

    account_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transfer_id: Mapped[str] = mapped_column(String(ID_COLUMN))
    debits_pending: Mapped[int] = mapped_column(BigInteger)
    debits_posted: Mapped[int] = mapped_column(BigInteger)
    credits_pending: Mapped[int] = mapped_column(BigInteger)
    credits_posted: Mapped[int] = mapped_column(BigInteger)


def table(model: type[Base]) -> Table:
    """The Core table of a model, for the bulk statements of the hot path."""
    result = model.__table__
    assert isinstance(result, Table)
    return result
