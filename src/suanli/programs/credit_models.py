"""Tables of post-paid credit lines ("use first, pay later", Shanghai 2026) and their
monthly bills. The money lives in the ledger (`buyer-credit:<slug>`); these rows say who
granted what, and what each month's bill asks and has been paid."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, UTCDateTime
from suanli.kit.timeutil import utcnow


class CreditLine(Base):
    """A buyer organisation's credit line, granted by one program (one line per buyer)."""

    __tablename__ = "credit_lines"
    __table_args__ = (CheckConstraint("limit_fen >= 0", name="limit_not_negative"),
                      CheckConstraint("due_days >= 0", name="due_days_not_negative"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    limit_fen: Mapped[int] = mapped_column(BigInteger)
    due_days: Mapped[int] = mapped_column(Integer)  # days after the month's end
    account_code: Mapped[str] = mapped_column(String(100))
    changes: Mapped[int] = mapped_column(Integer, default=0)  # limit changes so far (ids)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CreditBill(Base):
    """What a credit line charged in one month (Asia/Shanghai), due `due_on`."""

    __tablename__ = "credit_bills"
    __table_args__ = (UniqueConstraint("credit_line_id", "month"),
                      CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen",
                                      name="paid_within_amount"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    credit_line_id: Mapped[int] = mapped_column(ForeignKey("credit_lines.id"))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payments: Mapped[int] = mapped_column(Integer, default=0)  # payments so far (ids)
    due_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen
