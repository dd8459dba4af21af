"""The ledger's service API: other domains move money only through these functions.

Every function takes the caller's session and flushes; the caller's unit of work commits.
A write locks the accounts it touches first, in id order, then checks which transfer ids
already exist, plans the whole (linked) batch in memory with the pure planner and only
then writes: an error leaves nothing written. Replaying a transfer id with the same fields
returns the stored transfer with `replayed=True` and moves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from suanli.audit import service as audit
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import repository as repo
from suanli.ledger.errors import AccountExists, ConcurrentChange, TransferExists
from suanli.ledger.models import Account
from suanli.ledger.planner import Plan, check_batch, plan
from suanli.ledger.posting import (
    CURRENCY,
    EXPIRE_PREFIX,
    MAX_NAME,
    AccountKind,
    Balance,
    TransferResult,
    TransferSpec,
    check_code,
    check_currency,
    check_text,
)

__all__ = [
    "AccountKind", "Balance", "TransferResult", "TransferSpec", "account_by_id", "balance",
    "batch", "expire_holds", "get_account", "hold", "open_account", "post", "transfer", "void",
]

EXPIRY_CHUNK = 500


def open_account(
    session: Session, *, code: str, kind: AccountKind, owner_org_id: int | None, name: str,
    debits_must_not_exceed_credits: bool = False, credits_must_not_exceed_debits: bool = False,
    currency: str = CURRENCY,
) -> Account:
    """Open an account, or return the one with this code when its fields are the same.

    The same code with different fields raises AccountExists (409, field "code").
    """
    fields = _account_fields(code, kind, owner_org_id, name, debits_must_not_exceed_credits,
                             credits_must_not_exceed_debits, currency)
    existing = repo.account_by_code(session, code)
    if existing is not None:
        return _same_account(existing, fields)
    account = Account(**fields, debits_pending=0, debits_posted=0, credits_pending=0,
                      credits_posted=0, version=0)
    try:
        with session.begin_nested():
            repo.add_account(session, account)
    except IntegrityError:
        existing = repo.account_by_code(session, code)  # a concurrent twin committed first
        if existing is None:
            raise
        return _same_account(existing, fields)
    audit.record(session, action="ledger.account.open", object_type="ledger_account",
                 object_id=code, after={k: str(v) for k, v in fields.items()},
                 organisation_id=owner_org_id)
    return account


def _account_fields(code: str, kind: AccountKind, owner_org_id: int | None, name: str,
                    dmnec: bool, cmned: bool, currency: str) -> dict[str, object]:
    check_code(code, field="code")
    check_text(name, field="name", limit=MAX_NAME)
    check_currency(currency, field="currency")
    if kind not in set(AccountKind):
        raise ValidationFailed(f"must be one of {', '.join(AccountKind)}", field="kind")
    if dmnec and cmned:
        raise ValidationFailed("an account may limit its debits or its credits, not both",
                               field="credits_must_not_exceed_debits")
    return {"code": code, "kind": AccountKind(kind).value, "owner_org_id": owner_org_id,
            "name": name, "currency": currency, "debits_must_not_exceed_credits": bool(dmnec),
            "credits_must_not_exceed_debits": bool(cmned)}


def _same_account(existing: Account, fields: dict[str, object]) -> Account:
    for name, value in fields.items():
        if getattr(existing, name) != value:
            raise AccountExists(f"account {existing.code} exists with a different {name}",
                                field="code" if name == "code" else name)
    return existing


def get_account(session: Session, code: str) -> Account:
    """The account with this code; NotFound (field "account") when there is none."""
    account = repo.account_by_code(session, code)
    if account is None:
        raise NotFound(f"no account {code!r}", field="account")
    return account


def account_by_id(session: Session, id: int) -> Account:
    account = repo.account_by_id(session, id)
    if account is None:
        raise NotFound(f"no account with id {id}", field="account")
    return account


def balance(session: Session, code: str) -> Balance:
    """The account's totals as committed or written in this transaction."""
    found = repo.balance_by_code(session, code)
    if found is None:
        raise NotFound(f"no account {code!r}", field="account")
    return found


def transfer(session: Session, *, id: str, debit: str, credit: str, amount: int, reason: str,
             ref: str | None = None, now: datetime | None = None) -> TransferResult:
    """Move `amount` fen from `debit` to `credit` (account codes), posted at once."""
    spec = TransferSpec.transfer(id=id, debit=debit, credit=credit, amount=amount,
                                 reason=reason, ref=ref)
    return _one(session, spec, now)


def hold(session: Session, *, id: str, debit: str, credit: str, amount: int, reason: str,
         ref: str | None = None, expires_at: datetime | None = None,
         now: datetime | None = None) -> TransferResult:
    """Reserve `amount` fen as a pending transfer, until posted, voided or expired."""
    spec = TransferSpec.hold(id=id, debit=debit, credit=credit, amount=amount, reason=reason,
                             ref=ref, expires_at=expires_at)
    return _one(session, spec, now)


def post(session: Session, *, id: str, pending_id: str, amount: int | None = None,
         reason: str = "post", ref: str | None = None,
         now: datetime | None = None) -> TransferResult:
    """Post all (None) or part of a hold; the rest is released. A hold resolves once."""
    spec = TransferSpec.post(id=id, pending_id=pending_id, amount=amount, reason=reason,
                             ref=ref)
    return _one(session, spec, now)


def void(session: Session, *, id: str, pending_id: str, reason: str = "void",
         ref: str | None = None, now: datetime | None = None) -> TransferResult:
    """Release a hold without moving anything."""
    spec = TransferSpec.void(id=id, pending_id=pending_id, reason=reason, ref=ref)
    return _one(session, spec, now)


def batch(session: Session, transfers: Sequence[TransferSpec], *,
          now: datetime | None = None) -> list[TransferResult]:
    """A linked batch: every transfer is applied, in order, or none is.

    Errors name the member, e.g. field "transfers[3].amount".
    """
    return execute(session, list(transfers), now=now, batched=True)


def expire_holds(session: Session, *, now: datetime | None = None) -> int:
    """Void every hold past its expiry with id "expire:<hold id>"; returns how many.

    Safe to run twice or concurrently: a second run finds nothing, or replays the same ids.
    """
    now = now or utcnow()
    voided = 0
    while True:
        ids = repo.expired_holds(session, now, limit=EXPIRY_CHUNK)
        specs = [TransferSpec("expire", EXPIRE_PREFIX + hold_id, reason="expire",
                              pending_id=hold_id) for hold_id in ids]
        results = execute(session, specs, now=now, batched=True, internal=True)
        new = sum(not r.replayed for r in results)
        voided += new
        if len(ids) < EXPIRY_CHUNK or new == 0:
            break
    if voided:
        audit.record(session, action="ledger.holds.expire", object_type="ledger_hold",
                     object_id="sweep", after={"expired": voided, "at": now.isoformat()})
    return voided


def _one(session: Session, spec: TransferSpec, now: datetime | None) -> TransferResult:
    (result,) = execute(session, [spec], now=now, batched=False)
    return result


def execute(session: Session, specs: list[TransferSpec], *, now: datetime | None = None,
            batched: bool = True, internal: bool = False) -> list[TransferResult]:
    """Lock, check, plan and write a linked batch (the one write path of the ledger)."""
    now = now or utcnow()
    check_batch(specs, batched=batched, internal=internal)
    if not specs:
        return []
    if session.new or session.dirty or session.deleted:
        session.flush()  # the Core statements below bypass the ORM's autoflush
    raw = repo.Raw(session)
    batch_ids = {s.id for s in specs}
    pending_ids = {s.pending_id for s in specs if s.pending_id} - batch_ids
    holds = repo.load_transfers(raw, pending_ids)  # to learn which accounts to lock
    # The transfers are read again after the locks: a twin that held them has committed.
    accounts, stored = repo.lock_and_load(
        raw, codes={c for s in specs for c in (s.debit, s.credit) if c},
        ids={i for h in holds.values() for i in (h.debit_id, h.credit_id)},
        transfer_ids=batch_ids | pending_ids)
    planned = plan(specs, accounts=accounts, stored=stored, now=now, batched=batched)
    if planned.transfers:
        _write(session, raw, planned)
    return planned.results


def _write(session: Session, raw: repo.Raw, planned: Plan) -> None:
    try:
        repo.write_plan(raw, planned)
    except IntegrityError as exc:
        raise _refused(exc, planned) from exc
    _forget(session, planned.accounts)


def _refused(exc: IntegrityError, planned: Plan) -> Exception:
    """Name what the database refused; only a race the locks did not cover gets here."""
    text = str(exc.orig)
    if "pk_ledger_transfers" in text or "ledger_transfers.id" in text:
        ids = ", ".join(t.id for t in planned.transfers[:3])
        return TransferExists(f"a concurrent request created a transfer with one of these "
                              f"ids ({ids}) and different fields", field="id")
    if "ledger" in text:
        return ConcurrentChange("the database refused the write as a concurrent change; "
                                "nothing was written, retry", field="id")
    return exc


def _forget(session: Session, account_ids: Iterable[int]) -> None:
    """Expire loaded Account objects whose totals the Core statements changed."""
    if not any(isinstance(obj, Account) for obj in session.identity_map.values()):
        return  # the usual case: computing 200 identity keys cost ~10 % of a batch
    for account_id in account_ids:
        obj = session.identity_map.get(identity_key(Account, account_id))
        if obj is not None:
            session.expire(obj)
