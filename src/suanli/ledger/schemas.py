"""The ledger at the edge: money as decimal strings of CNY, times in UTC (ISO 8601)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from suanli.kit.money import POSITIVE_PATTERN, format_cny
from suanli.ledger.planner import Stored
from suanli.ledger.posting import (
    CODE_PATTERN,
    MAX_ID,
    MAX_REASON,
    MAX_REF,
    Balance,
    TransferResult,
)
from suanli.ledger.verify import Verdict

Money = Annotated[str, Field(description="CNY as a decimal string, e.g. \"12.50\"",
                             examples=["12.50"])]
# An amount to move: more than zero (the posting refuses 0), in the one money grammar.
AmountIn = Annotated[str, Field(description="CNY as a decimal string, e.g. \"12.50\"",
                                examples=["12.50"], max_length=24,
                                json_schema_extra={"pattern": POSITIVE_PATTERN})]


class BalanceRead(BaseModel):
    debits_posted: Money
    credits_posted: Money
    debits_pending: Money
    credits_pending: Money
    posted: Money = Field(description="credits_posted - debits_posted")
    available: Money = Field(description="posted less what holds reserve")
    held: Money = Field(description="what pending debits (holds) reserve")

    @classmethod
    def of(cls, b: Balance) -> BalanceRead:
        return cls(debits_posted=format_cny(b.debits_posted),
                   credits_posted=format_cny(b.credits_posted),
                   debits_pending=format_cny(b.debits_pending),
                   credits_pending=format_cny(b.credits_pending), posted=format_cny(b.posted),
                   available=format_cny(b.available), held=format_cny(b.held))


class AccountRead(BaseModel):
    code: str
    kind: str
    name: str
    owner_org_id: int | None
    currency: str
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    balance: BalanceRead
    created_at: datetime


class TransferRead(BaseModel):
    id: str
    kind: str = Field(description="transfer, hold, post, void or expire")
    debit: str
    credit: str
    amount: Money
    pending: bool = Field(description="true for a hold")
    pending_id: str | None
    reason: str
    ref: str | None
    expires_at: datetime | None
    created_at: datetime
    hold_state: str | None = Field(None, description="for a hold: pending, posted, voided "
                                                     "or expired")
    replayed: bool = False

    @classmethod
    def of_result(cls, r: TransferResult) -> TransferRead:
        return cls(id=r.id, kind=r.kind, debit=r.debit, credit=r.credit,
                   amount=format_cny(r.amount), pending=r.pending, pending_id=r.pending_id,
                   reason=r.reason, ref=r.ref, expires_at=r.expires_at,
                   created_at=r.created_at, replayed=r.replayed)

    @classmethod
    def of_stored(cls, s: Stored) -> TransferRead:
        read = cls.of_result(s.result(replayed=False))
        read.hold_state = s.hold_state.value if s.hold_state else None
        return read


class HistoryItem(BaseModel):
    version: int = Field(description="the account's entry number, 1, 2, ...")
    transfer: TransferRead
    balance_after: BalanceRead


class TransferCreate(BaseModel):
    """A correcting transfer, posted at once; the id makes a retry harmless."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID)
    debit: str = Field(min_length=1, max_length=100, description="account code",
                       json_schema_extra={"pattern": CODE_PATTERN.pattern})
    credit: str = Field(min_length=1, max_length=100, description="account code",
                        json_schema_extra={"pattern": CODE_PATTERN.pattern})
    amount: AmountIn
    # check_text's rule: not blank, no control characters at all.
    reason: str = Field(min_length=1, max_length=MAX_REASON, json_schema_extra={
        "pattern": r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"})
    ref: str | None = Field(None, max_length=MAX_REF)


class VerifyRead(BaseModel):
    ok: bool
    accounts: int
    transfers: int
    entries: int
    problem: str | None

    @classmethod
    def of(cls, v: Verdict) -> VerifyRead:
        return cls(ok=v.ok, accounts=v.accounts, transfers=v.transfers, entries=v.entries,
                   problem=v.problem)
