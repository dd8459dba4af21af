"""Reading the ledger for routes, pages and the command line, scoped by organisation.

`org_ids` None means every organisation (platform administrators, auditors); otherwise only
accounts owned by those organisations are visible, and anything else is "not found".
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.kit.errors import NotFound, ValidationFailed
from suanli.ledger import repository as repo
from suanli.ledger.models import Account
from suanli.ledger.planner import Stored
from suanli.ledger.posting import AccountKind, Balance, is_code, is_transfer_id

Scope = Collection[int] | None


def _visible(account: Account | None, org_ids: Scope) -> bool:
    return account is not None and (org_ids is None or account.owner_org_id in org_ids)


def list_accounts(session: Session, *, org_ids: Scope, limit: int, offset: int,
                  kind: str | None = None) -> tuple[list[Account], int]:
    """One page of the visible accounts, ordered by code."""
    if kind is not None and kind not in set(AccountKind):
        raise ValidationFailed(f"must be one of {', '.join(AccountKind)}", field="kind")
    return repo.list_accounts(session, org_ids=org_ids, limit=limit, offset=offset, kind=kind)


def account(session: Session, code: str, *, org_ids: Scope) -> Account:
    """A visible account by code, with fresh totals; NotFound (field "account") otherwise."""
    found = repo.account_by_code(session, code) if is_code(code) else None
    if found is None or not _visible(found, org_ids):
        raise NotFound(f"no account {code!r}", field="account")
    session.refresh(found)
    return found


def balance(account: Account) -> Balance:
    return repo.balance_of(account)


def history(session: Session, account: Account, *, since: datetime | None,
            until: datetime | None, limit: int, offset: int
            ) -> tuple[list[tuple[Stored, int, Balance]], int]:
    """One page of the account's transfers, newest first, each with the totals after it."""
    return repo.history(session, account.id, since=since, until=until, limit=limit,
                        offset=offset)


def statement(session: Session, account: Account, *, since: datetime | None,
              until: datetime | None) -> Iterator[tuple[Stored, int, Balance]]:
    """The account's transfers in [since, until), oldest first, with the totals after each."""
    return repo.iter_history(session, account.id, since=since, until=until)


def transfer(session: Session, transfer_id: str, *, org_ids: Scope) -> Stored:
    """A transfer that touches a visible account; NotFound (field "transfer") otherwise."""
    found = repo.transfer_by_id(session, transfer_id) if is_transfer_id(transfer_id) else None
    if found is not None and org_ids is not None:
        owners = repo.owners(session, [found.debit_id, found.credit_id])
        if not any(owner in org_ids for owner in owners.values()):
            found = None
    if found is None:
        raise NotFound(f"no transfer {transfer_id!r}", field="transfer")
    return found
