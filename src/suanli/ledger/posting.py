"""The ledger's pure core: account totals, what each kind of transfer does to them, and the
rules a transfer must obey. No SQLAlchemy, no FastAPI: tested without a database.

The model is TigerBeetle's. An account keeps four running totals in fen (debits and credits,
pending and posted). Every transfer adds the same amount to one account's debits and another's
credits, so the sum of all debits always equals the sum of all credits. A transfer's effect on
each side is a pair (pending delta, posted delta), the same for the debit and the credit side:

    transfer  (0, +a)        hold  (+a, 0)
    post      (-p, +a)       void / expire  (-p, 0)      (p: the hold's amount, a <= p)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from suanli.kit.errors import ValidationFailed
from suanli.ledger.errors import ExceedsCredits, ExceedsDebits

MAX_AMOUNT = 2**63 - 1  # the largest total a signed 64-bit column holds
CURRENCY = "CNY"
MAX_ID = 128  # caller-chosen transfer ids; system ids add a prefix, hence ID_COLUMN
ID_COLUMN = 160
MAX_REASON = 64
MAX_REF = 200
MAX_CODE = 100
MAX_NAME = 200
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]*$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
EXPIRE_PREFIX = "expire:"


class AccountKind(StrEnum):
    """What an account is for; flags, not kinds, decide whether it may go negative."""

    TREASURY = "treasury"  # a city's source of funds, may go negative
    PROGRAM_BUDGET = "program_budget"
    VOUCHER = "voucher"
    BUYER_CASH = "buyer_cash"
    BUYER_DEPOSIT = "buyer_deposit"  # a startup's external bank source, may go negative
    PROVIDER_RECEIVABLE = "provider_receivable"
    PROVIDER_PAYOUT = "provider_payout"
    PLATFORM = "platform"
    BUYER_CREDIT = "buyer_credit"  # a buyer's credit line: its credits are the limit
    CREDIT_FACILITY = "credit_facility"  # a program's source of credit lines, may go negative


class TransferKind(StrEnum):
    TRANSFER = "transfer"  # posted at once
    HOLD = "hold"  # pending: reserves funds until posted, voided or expired
    POST = "post"  # resolves a hold, moving all or part of it
    VOID = "void"  # resolves a hold, moving nothing
    EXPIRE = "expire"  # a void written by the expiry sweep, id "expire:<hold id>"


PUBLIC_KINDS = frozenset({TransferKind.TRANSFER, TransferKind.HOLD, TransferKind.POST,
                          TransferKind.VOID})
RESOLVING = frozenset({TransferKind.POST, TransferKind.VOID, TransferKind.EXPIRE})


class HoldState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


RESOLVED_STATE = {TransferKind.POST: HoldState.POSTED, TransferKind.VOID: HoldState.VOIDED,
                  TransferKind.EXPIRE: HoldState.EXPIRED}


@dataclass(frozen=True)
class Balance:
    """An account's four running totals, in fen."""

    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    @property
    def posted(self) -> int:
        """Credits minus debits, counting posted transfers only."""
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What may still be debited: the posted balance less what holds reserve."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def held(self) -> int:
        """What pending debits (holds) reserve."""
        return self.debits_pending


@dataclass(frozen=True)
class Flags:
    debits_must_not_exceed_credits: bool = False
    credits_must_not_exceed_debits: bool = False


@dataclass(frozen=True)
class TransferSpec:
    """One transfer of a linked batch; build it with the class methods."""

    kind: str
    id: str
    debit: str | None = None
    credit: str | None = None
    amount: int | None = None
    reason: str = ""
    ref: str | None = None
    pending_id: str | None = None
    expires_at: datetime | None = None

    @classmethod
    def transfer(cls, *, id: str, debit: str, credit: str, amount: int, reason: str,
                 ref: str | None = None) -> TransferSpec:
        return cls("transfer", id, debit, credit, amount, reason, ref)

    @classmethod
    def hold(cls, *, id: str, debit: str, credit: str, amount: int, reason: str,
             ref: str | None = None, expires_at: datetime | None = None) -> TransferSpec:
        return cls("hold", id, debit, credit, amount, reason, ref, expires_at=expires_at)

    @classmethod
    def post(cls, *, id: str, pending_id: str, amount: int | None = None,
             reason: str = "post", ref: str | None = None) -> TransferSpec:
        return cls("post", id, amount=amount, reason=reason, ref=ref, pending_id=pending_id)

    @classmethod
    def void(cls, *, id: str, pending_id: str, reason: str = "void",
             ref: str | None = None) -> TransferSpec:
        return cls("void", id, reason=reason, ref=ref, pending_id=pending_id)


@dataclass(frozen=True)
class TransferResult:
    """A transfer as stored; `replayed` says that this call found it already written."""

    id: str
    debit: str
    credit: str
    amount: int
    pending: bool
    pending_id: str | None
    reason: str
    ref: str | None
    created_at: datetime
    replayed: bool = False
    kind: str = "transfer"
    expires_at: datetime | None = None


@dataclass
class AccountState:
    """An account as the planner sees it (loaded and locked by the service)."""

    id: int
    code: str
    currency: str = CURRENCY
    flags: Flags = field(default_factory=Flags)
    balance: Balance = field(default_factory=Balance)
    version: int = 0


def side_delta(kind: TransferKind, amount: int, pending_amount: int = 0) -> tuple[int, int]:
    """(pending delta, posted delta) a transfer applies to each of its two sides."""
    if kind is TransferKind.TRANSFER:
        return 0, amount
    if kind is TransferKind.HOLD:
        return amount, 0
    if kind is TransferKind.POST:
        return -pending_amount, amount
    return -pending_amount, 0  # void and expire release the whole hold


def apply_debit(b: Balance, pending: int, posted: int) -> Balance:
    return Balance(b.debits_posted + posted, b.credits_posted, b.debits_pending + pending,
                   b.credits_pending)


def apply_credit(b: Balance, pending: int, posted: int) -> Balance:
    return Balance(b.debits_posted, b.credits_posted + posted, b.debits_pending,
                   b.credits_pending + pending)


def check_totals(account: AccountState, balance: Balance, *, field: str) -> None:
    """Refuse totals that break the account's flags or overflow 64 bits."""
    b, flags = balance, account.flags
    if b.debits_posted + b.debits_pending > MAX_AMOUNT or (
            b.credits_posted + b.credits_pending > MAX_AMOUNT):
        raise ValidationFailed(f"would overflow the totals of account {account.code} "
                               f"(limit 2^63-1 fen)", field=field, account=account.code)
    if flags.debits_must_not_exceed_credits and (
            b.debits_posted + b.debits_pending > b.credits_posted):
        short = b.debits_posted + b.debits_pending - b.credits_posted
        raise ExceedsCredits(f"account {account.code} lacks the funds: this would overdraw it "
                             f"by {short} fen", field=field, account=account.code, short=short)
    if flags.credits_must_not_exceed_debits and (
            b.credits_posted + b.credits_pending > b.debits_posted):
        raise ExceedsDebits(f"account {account.code} may not hold more credits than debits",
                            field=field, account=account.code)


def check_amount(value: object, *, field: str) -> int:
    """An amount of fen in 1..2^63-1 (ints only: floats cannot represent fen exactly)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("must be a whole number of fen", field=field)
    if value <= 0:
        raise ValidationFailed("must be positive (at least 1 fen)", field=field)
    if value > MAX_AMOUNT:
        raise ValidationFailed("must be at most 2^63-1 fen", field=field)
    return value


def check_text(value: object, *, field: str, limit: int, required: bool = True) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed("is required", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"must be at most {limit} characters", field=field)
    if CONTROL.search(value):
        raise ValidationFailed("may not contain control characters", field=field)


def is_code(value: str) -> bool:
    return len(value) <= MAX_CODE and CODE_PATTERN.match(value) is not None


def is_transfer_id(value: str) -> bool:
    return 0 < len(value) <= ID_COLUMN and not CONTROL.search(value)


def check_code(value: object, *, field: str) -> str:
    """An account code such as `voucher:17`: letters, digits and `:._-`, 1-100 characters."""
    check_text(value, field=field, limit=MAX_CODE)
    assert isinstance(value, str)
    if not CODE_PATTERN.match(value):
        raise ValidationFailed("may hold only letters, digits and `:._-`, starting with a "
                               "letter or digit", field=field)
    return value


def check_currency(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ValidationFailed("must be a three-letter ISO 4217 code such as CNY", field=field)
    return value


def check_same_currency(debit: AccountState, credit: AccountState, *, field: str) -> None:
    if debit.currency != credit.currency:
        raise ValidationFailed(f"currency mismatch: {debit.code} is in {debit.currency}, "
                               f"{credit.code} in {credit.currency}", field=field)


def check_expiry(expires_at: object, now: datetime | None, *, field: str) -> None:
    """A timezone-aware time; with `now` (a new hold, not a retry) also a future one."""
    if expires_at is None:
        return
    if not isinstance(expires_at, datetime) or expires_at.tzinfo is None:
        raise ValidationFailed("must be a timezone-aware time", field=field)
    if now is not None and expires_at <= now:
        raise ValidationFailed("must be in the future", field=field)


def check_post_amount(amount: int | None, pending_amount: int, *, field: str) -> int:
    """The amount a post moves: all of the hold (None) or a part of it."""
    if amount is None:
        return pending_amount
    if amount > pending_amount:
        raise ValidationFailed(f"exceeds the hold's {pending_amount} fen", field=field)
    return amount
