"""Plans a linked batch of transfers against accounts the service loaded and locked (pure).

`check_batch` refuses bad input before the database is touched; `plan` then walks the batch
in order, replaying transfers whose id is already stored, refusing the whole batch at the
first transfer that breaks a rule, and returning every row to write. Nothing is written
when it raises, so a batch succeeds or fails as one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from suanli.kit.errors import ValidationFailed
from suanli.ledger.errors import HoldAlreadyResolved, HoldExpired, TransferExists
from suanli.ledger.posting import (
    ID_COLUMN,
    MAX_ID,
    MAX_REASON,
    MAX_REF,
    PUBLIC_KINDS,
    RESOLVED_STATE,
    RESOLVING,
    AccountState,
    Balance,
    HoldState,
    TransferKind,
    TransferResult,
    TransferSpec,
    apply_credit,
    apply_debit,
    check_amount,
    check_code,
    check_expiry,
    check_post_amount,
    check_same_currency,
    check_text,
    check_totals,
    side_delta,
)

MAX_BATCH = 10_000


@dataclass(frozen=True)
class Stored:
    """A transfer as written (with its hold's state when it is a hold)."""

    id: str
    kind: TransferKind
    debit: str
    credit: str
    debit_id: int
    credit_id: int
    amount: int
    pending_id: str | None
    reason: str
    ref: str | None
    expires_at: datetime | None
    created_at: datetime
    hold_state: HoldState | None = None

    def result(self, *, replayed: bool) -> TransferResult:
        return TransferResult(
            id=self.id, debit=self.debit, credit=self.credit, amount=self.amount,
            pending=self.kind is TransferKind.HOLD, pending_id=self.pending_id,
            reason=self.reason, ref=self.ref, created_at=self.created_at, replayed=replayed,
            kind=str(self.kind), expires_at=self.expires_at)


@dataclass(frozen=True)
class EntryRow:
    """An account's totals after one transfer, at the account's next version."""

    account_id: int
    version: int
    transfer_id: str
    balance: Balance


@dataclass(frozen=True)
class HoldRow:
    transfer_id: str
    state: HoldState
    resolved_by: str | None


@dataclass
class Plan:
    results: list[TransferResult] = field(default_factory=list)
    transfers: list[Stored] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    holds_insert: list[HoldRow] = field(default_factory=list)
    holds_update: list[HoldRow] = field(default_factory=list)
    accounts: dict[int, AccountState] = field(default_factory=dict)  # touched, final totals


def where(index: int | None) -> str:
    """The field prefix of a batch member (`transfers[3].`), or none for a single call."""
    return "" if index is None else f"transfers[{index}]."


def check_spec(spec: TransferSpec, *, prefix: str = "", internal: bool = False
               ) -> TransferKind:
    """Refuse a transfer whose fields are bad in themselves, before any lookup.

    (Whether a new hold's expiry lies ahead is checked when planning: a retry of an older
    hold is answered from the store however late it comes.)"""
    kinds = set(TransferKind) if internal else PUBLIC_KINDS
    if spec.kind not in kinds:
        raise ValidationFailed(f"must be one of {', '.join(sorted(kinds))}", field=prefix + "kind")
    kind = TransferKind(spec.kind)
    check_text(spec.id, field=prefix + "id", limit=ID_COLUMN if internal else MAX_ID)
    check_text(spec.reason, field=prefix + "reason", limit=MAX_REASON)
    check_text(spec.ref, field=prefix + "ref", limit=MAX_REF, required=False)
    if kind in (TransferKind.TRANSFER, TransferKind.HOLD):
        check_code(spec.debit, field=prefix + "debit")
        check_code(spec.credit, field=prefix + "credit")
        if spec.debit == spec.credit:
            raise ValidationFailed("must differ from the debit account", field=prefix + "credit")
        check_amount(spec.amount, field=prefix + "amount")
        _absent(spec, prefix, "pending_id")
        if kind is TransferKind.HOLD:
            check_expiry(spec.expires_at, None, field=prefix + "expires_at")
        else:
            _absent(spec, prefix, "expires_at")
        return kind
    check_text(spec.pending_id, field=prefix + "pending_id", limit=ID_COLUMN)
    for name in ("debit", "credit", "expires_at"):
        _absent(spec, prefix, name)
    if kind is TransferKind.POST:
        if spec.amount is not None:
            check_amount(spec.amount, field=prefix + "amount")
    else:
        _absent(spec, prefix, "amount")
    return kind


def _absent(spec: TransferSpec, prefix: str, name: str) -> None:
    if getattr(spec, name) is not None:
        raise ValidationFailed(f"not allowed for a {spec.kind}", field=prefix + name)


def check_batch(specs: Sequence[TransferSpec], *, batched: bool = True,
                internal: bool = False) -> None:
    """Check every member and refuse an id used twice within the batch."""
    if len(specs) > MAX_BATCH:
        raise ValidationFailed(f"at most {MAX_BATCH} transfers per batch", field="transfers")
    seen: set[str] = set()
    for i, spec in enumerate(specs):
        prefix = where(i if batched else None)
        check_spec(spec, prefix=prefix, internal=internal)
        if spec.id in seen:
            raise ValidationFailed("appears twice in the batch", field=prefix + "id")
        seen.add(spec.id)


def plan(specs: Sequence[TransferSpec], *, accounts: Iterable[AccountState],
         stored: Mapping[str, Stored], now: datetime, batched: bool = True) -> Plan:
    """Apply the batch to copies of the accounts; raise at the first transfer that fails."""
    planner = _Planner(accounts, stored, now)
    for i, spec in enumerate(specs):
        planner.step(spec, where(i if batched else None))
    return planner.finish()


class _Planner:
    def __init__(self, accounts: Iterable[AccountState], stored: Mapping[str, Stored],
                 now: datetime) -> None:
        self.by_id = {a.id: AccountState(a.id, a.code, a.currency, a.flags, a.balance,
                                         a.version) for a in accounts}
        self.by_code = {a.code: a for a in self.by_id.values()}
        self.stored = dict(stored)
        self.states = {s.id: s.hold_state for s in stored.values()
                       if s.kind is TransferKind.HOLD and s.hold_state is not None}
        self.resolver: dict[str, str] = {}
        self.new_holds: list[str] = []
        self.now = now
        self.plan = Plan()

    def step(self, spec: TransferSpec, prefix: str) -> None:
        kind = TransferKind(spec.kind)
        existing = self.stored.get(spec.id)
        if existing is not None:
            self._replay(spec, kind, existing, prefix)
            return
        if kind in (TransferKind.TRANSFER, TransferKind.HOLD):
            debit = self._account(spec.debit, prefix + "debit")
            credit = self._account(spec.credit, prefix + "credit")
            check_same_currency(debit, credit, field=prefix + "credit")
            check_expiry(spec.expires_at, self.now, field=prefix + "expires_at")
            assert spec.amount is not None
            self._move(spec, kind, debit, credit, spec.amount, 0, prefix)
            return
        hold = self._hold(spec, kind, prefix)
        if hold is None:
            return  # an expiry that no longer applies: resolved or extended meanwhile
        amount = hold.amount
        if kind is TransferKind.POST:
            amount = check_post_amount(spec.amount, hold.amount, field=prefix + "amount")
        self._move(spec, kind, self.by_id[hold.debit_id], self.by_id[hold.credit_id],
                   amount, hold.amount, prefix)

    def _account(self, code: str | None, name: str) -> AccountState:
        account = self.by_code.get(code or "")
        if account is None:
            raise ValidationFailed(f"no account {code!r}", field=name)
        return account

    def _hold(self, spec: TransferSpec, kind: TransferKind, prefix: str) -> Stored | None:
        lenient = kind is TransferKind.EXPIRE
        hold = self.stored.get(spec.pending_id or "")
        if hold is None or hold.kind is not TransferKind.HOLD:
            if lenient:
                return None
            raise ValidationFailed(f"no hold {spec.pending_id!r}", field=prefix + "pending_id")
        state = self.states.get(hold.id, HoldState.PENDING)
        if state is HoldState.EXPIRED and not lenient:
            raise HoldExpired(f"hold {hold.id} expired", field=prefix + "pending_id")
        if state is not HoldState.PENDING:
            if lenient:
                return None
            raise HoldAlreadyResolved(f"hold {hold.id} is already {state}",
                                      field=prefix + "pending_id", state=str(state))
        expired = hold.expires_at is not None and hold.expires_at <= self.now
        if lenient and not expired:
            return None
        if expired and not lenient:
            raise HoldExpired(f"hold {hold.id} expired at {hold.expires_at.isoformat()}"
                              if hold.expires_at else f"hold {hold.id} expired",
                              field=prefix + "pending_id")
        return hold

    def _move(self, spec: TransferSpec, kind: TransferKind, debit: AccountState,
              credit: AccountState, amount: int, pending_amount: int, prefix: str) -> None:
        pending, posted = side_delta(kind, amount, pending_amount)
        new_debit = apply_debit(debit.balance, pending, posted)
        new_credit = apply_credit(credit.balance, pending, posted)
        check_totals(debit, new_debit, field=prefix + "amount")
        check_totals(credit, new_credit, field=prefix + "amount")
        row = Stored(spec.id, kind, debit.code, credit.code, debit.id, credit.id, amount,
                     spec.pending_id, spec.reason, spec.ref, spec.expires_at, self.now,
                     HoldState.PENDING if kind is TransferKind.HOLD else None)
        for account, balance in ((debit, new_debit), (credit, new_credit)):
            account.balance = balance
            account.version += 1
            self.plan.entries.append(EntryRow(account.id, account.version, spec.id, balance))
            self.plan.accounts[account.id] = account
        self.stored[spec.id] = row
        self.plan.transfers.append(row)
        self.plan.results.append(row.result(replayed=False))
        if kind is TransferKind.HOLD:
            self.states[spec.id] = HoldState.PENDING
            self.new_holds.append(spec.id)
        elif kind in RESOLVING and spec.pending_id:
            self.states[spec.pending_id] = RESOLVED_STATE[kind]
            self.resolver[spec.pending_id] = spec.id

    def _replay(self, spec: TransferSpec, kind: TransferKind, existing: Stored,
                prefix: str) -> None:
        if existing.kind is not kind:
            raise TransferExists(f"transfer {spec.id} exists as a {existing.kind}",
                                 field=prefix + "id")
        for name, want, have in self._compared(spec, kind, existing):
            if want != have:
                raise TransferExists(f"transfer {spec.id} exists with a different {name}",
                                     field=prefix + name)
        self.plan.results.append(existing.result(replayed=True))

    def _compared(self, spec: TransferSpec, kind: TransferKind,
                  existing: Stored) -> list[tuple[str, object, object]]:
        common: list[tuple[str, object, object]] = [
            ("reason", spec.reason, existing.reason), ("ref", spec.ref, existing.ref)]
        if kind in (TransferKind.TRANSFER, TransferKind.HOLD):
            return [("debit", spec.debit, existing.debit),
                    ("credit", spec.credit, existing.credit),
                    ("amount", spec.amount, existing.amount), *common,
                    ("expires_at", spec.expires_at, existing.expires_at)]
        pairs = [("pending_id", spec.pending_id, existing.pending_id), *common]
        if kind is TransferKind.POST:
            hold = self.stored.get(existing.pending_id or "")
            full = hold.amount if hold is not None else None
            pairs.append(("amount", full if spec.amount is None else spec.amount,
                          existing.amount))
        return pairs

    def finish(self) -> Plan:
        new = set(self.new_holds)
        for hold_id in self.new_holds:
            self.plan.holds_insert.append(
                HoldRow(hold_id, self.states[hold_id], self.resolver.get(hold_id)))
        for hold_id, resolved_by in self.resolver.items():
            if hold_id not in new:
                self.plan.holds_update.append(
                    HoldRow(hold_id, self.states[hold_id], resolved_by))
        return self.plan
