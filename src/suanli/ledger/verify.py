"""`suanli ledger verify`: re-derive every balance from the transfers and check invariants.

The stored totals of `ledger_accounts` are the only balances; this walks the append-only
transfers and entries and reports the first discrepancy: an account total that the
transfers do not give, a debit/credit sum mismatch, a broken flag, a gap or a wrong step in
an account's entries, or a hold whose state disagrees with the transfers that resolve it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from suanli.ledger import repository as repo
from suanli.ledger.models import Account
from suanli.ledger.posting import (
    RESOLVED_STATE,
    RESOLVING,
    AccountState,
    Balance,
    HoldState,
    TransferKind,
    apply_credit,
    apply_debit,
    check_totals,
    side_delta,
)

Progress = Callable[[int], None]
TOTALS = [f.name for f in fields(Balance)]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    accounts: int = 0
    transfers: int = 0
    entries: int = 0
    problem: str | None = None


class Discrepancy(Exception):
    """The first thing found wrong; its message names the account or transfer."""


def verify(session: Session, *, progress: Progress | None = None) -> Verdict:
    """Check the whole ledger; `progress` is called with the number of rows just read."""
    tick = progress or (lambda _n: None)
    accounts = repo.all_accounts(session)
    walk = _TransferWalk({a.id for a in accounts})
    entries = 0
    try:
        for row in repo.iter_transfers_for_verify(session):
            walk.add(row)
            tick(1)
        _compare_accounts(accounts, walk.derived)
        _compare_sums(session)
        entries = _check_entries(session, accounts, tick)
        _check_holds(session, walk)
    except Discrepancy as found:
        return Verdict(False, len(accounts), walk.count, entries, str(found))
    return Verdict(True, len(accounts), walk.count, entries)


class _TransferWalk:
    """Adds up the transfers into derived totals, checking each one's shape."""

    def __init__(self, account_ids: set[int]) -> None:
        self.derived: dict[int, Balance] = {i: Balance() for i in account_ids}
        self.holds: set[str] = set()
        self.resolved: dict[str, tuple[str, str]] = {}  # hold id -> (resolver id, kind)
        self.count = 0

    def add(self, row: Any) -> None:
        self.count += 1
        kind = _kind(row.id, row.kind)
        if row.debit_account_id not in self.derived or (
                row.credit_account_id not in self.derived):
            raise Discrepancy(f"transfer {row.id}: names an unknown account")
        if row.debit_account_id == row.credit_account_id or row.amount <= 0:
            raise Discrepancy(f"transfer {row.id}: same account on both sides or amount <= 0")
        pending_amount = 0
        if kind in RESOLVING:
            pending_amount = self._resolution(row, kind)
        elif row.pending_id is not None:
            raise Discrepancy(f"transfer {row.id}: a {kind} may not name a pending id")
        if kind is TransferKind.HOLD:
            self.holds.add(row.id)
        pending, posted = side_delta(kind, row.amount, pending_amount)
        debit, credit = row.debit_account_id, row.credit_account_id
        self.derived[debit] = apply_debit(self.derived[debit], pending, posted)
        self.derived[credit] = apply_credit(self.derived[credit], pending, posted)

    def _resolution(self, row: Any, kind: TransferKind) -> int:
        if row.hold_kind != TransferKind.HOLD.value:
            raise Discrepancy(f"transfer {row.id}: resolves {row.pending_id}, not a hold")
        if (row.debit_account_id, row.credit_account_id) != (row.hold_debit, row.hold_credit):
            raise Discrepancy(f"transfer {row.id}: accounts differ from hold {row.pending_id}")
        if row.amount > row.hold_amount or (
                kind is not TransferKind.POST and row.amount != row.hold_amount):
            raise Discrepancy(f"transfer {row.id}: amount {row.amount} does not fit hold "
                              f"{row.pending_id} of {row.hold_amount}")
        if row.pending_id in self.resolved:
            raise Discrepancy(f"hold {row.pending_id}: resolved twice")
        self.resolved[row.pending_id] = (row.id, kind.value)
        return int(row.hold_amount)


def _kind(transfer_id: str, value: str) -> TransferKind:
    try:
        return TransferKind(value)
    except ValueError:
        raise Discrepancy(f"transfer {transfer_id}: unknown kind {value!r}") from None


def _compare_accounts(accounts: list[Account], derived: dict[int, Balance]) -> None:
    for account in accounts:
        stored, expected = repo.balance_of(account), derived[account.id]
        for name in TOTALS:
            have, want = getattr(stored, name), getattr(expected, name)
            if have != want:
                raise Discrepancy(f"account {account.code}: {name} is {have} but the "
                                  f"transfers give {want}")
        try:
            check_totals(repo.state_of(account), stored, field="account")
        except Exception as exc:
            raise Discrepancy(f"account {account.code}: breaks its flag: {exc}") from None


def _compare_sums(session: Session) -> None:
    sums = repo.totals_check(session)
    for side in ("posted", "pending"):
        debits, credits = getattr(sums, f"debits_{side}"), getattr(sums, f"credits_{side}")
        if debits != credits:
            raise Discrepancy(f"sum of debits_{side} ({debits}) differs from sum of "
                              f"credits_{side} ({credits})")


def _check_entries(session: Session, accounts: list[Account], tick: Progress) -> int:
    """Each account's entries run 1..version, each one step of its transfer."""
    by_id = {a.id: a for a in accounts}
    current: AccountState | None = None
    count = 0
    seen: set[int] = set()
    for row in repo.iter_entries_for_verify(session):
        count += 1
        tick(1)
        if row.account_id not in by_id:
            raise Discrepancy(f"entry {row.version} of unknown account {row.account_id}")
        if current is None or current.id != row.account_id:
            _close(current, by_id)
            current = AccountState(id=row.account_id, code=by_id[row.account_id].code)
            seen.add(row.account_id)
        current.version += 1
        if row.version != current.version:
            raise Discrepancy(f"account {current.code}: entry version {row.version} where "
                              f"{current.version} was due (a lost or extra write)")
        current.balance = _step(current, row)
    _close(current, by_id)
    for account in accounts:
        if account.id not in seen and account.version:
            raise Discrepancy(f"account {account.code}: version {account.version} but no "
                              f"entries")
    return count


def _step(current: AccountState, row: Any) -> Balance:
    if row.kind is None:
        raise Discrepancy(f"account {current.code}: entry {row.version} names transfer "
                          f"{row.transfer_id}, which does not exist")
    kind = TransferKind(row.kind)
    pending, posted = side_delta(kind, row.amount, row.hold_amount or 0)
    if row.account_id == row.debit_account_id:
        expected = apply_debit(current.balance, pending, posted)
    elif row.account_id == row.credit_account_id:
        expected = apply_credit(current.balance, pending, posted)
    else:
        raise Discrepancy(f"account {current.code}: entry {row.version} names transfer "
                          f"{row.transfer_id}, which does not touch it")
    got = repo.balance_of(row)
    if got != expected:
        raise Discrepancy(f"account {current.code}: entry {row.version} (transfer "
                          f"{row.transfer_id}) does not match the transfer")
    return got


def _close(current: AccountState | None, by_id: dict[int, Account]) -> None:
    if current is None:
        return
    account = by_id[current.id]
    if account.version != current.version:
        raise Discrepancy(f"account {account.code}: version is {account.version} but "
                          f"{current.version} entries exist")
    if repo.balance_of(account) != current.balance:
        raise Discrepancy(f"account {account.code}: totals differ from its last entry")


def _check_holds(session: Session, walk: _TransferWalk) -> None:
    rows = repo.hold_states(session)
    for hold_id in sorted(walk.holds | set(rows)):
        if hold_id not in rows or hold_id not in walk.holds:
            raise Discrepancy(f"hold {hold_id}: hold row and hold transfer do not match")
        state, resolved_by = rows[hold_id]
        resolver = walk.resolved.get(hold_id)
        if resolver is None:
            expected: tuple[str, str | None] = (HoldState.PENDING.value, None)
        else:
            expected = (RESOLVED_STATE[TransferKind(resolver[1])].value, resolver[0])
        if (state, resolved_by) != expected:
            raise Discrepancy(f"hold {hold_id}: state {state} disagrees with the transfers "
                              f"({expected[0]})")
