"""Buyers' cash and providers' receivables in the ledger, and recording bank deposits.

Codes: ``buyer-cash:<slug>`` (may not go below zero), ``buyer-deposit:<slug>`` (the
startup's bank, outside the platform, may go negative), ``provider-receivable:<slug>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.ledger import service as ledger
from suanli.ledger.posting import Balance
from suanli.market.schemas import check_ident

REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def cash_code(slug: str) -> str:
    return f"buyer-cash:{slug}"


def deposit_code(slug: str) -> str:
    return f"buyer-deposit:{slug}"


def receivable_code(slug: str) -> str:
    return f"provider-receivable:{slug}"


def _ensure(session: Session, *, code: str, kind: ledger.AccountKind, org: Organisation,
            name: str, floor: bool = False) -> str:
    """Open the account unless it exists (another domain may have opened it first)."""
    try:
        ledger.get_account(session, code)
    except NotFound:
        ledger.open_account(session, code=code, kind=kind, owner_org_id=org.id,
                            name=f"{name} {org.slug}"[:100],
                            debits_must_not_exceed_credits=floor)
    return code


def ensure_buyer_cash(session: Session, org: Organisation) -> str:
    return _ensure(session, code=cash_code(org.slug), kind=ledger.AccountKind.BUYER_CASH,
                   org=org, name="Cash of", floor=True)


def ensure_receivable(session: Session, org: Organisation) -> str:
    return _ensure(session, code=receivable_code(org.slug),
                   kind=ledger.AccountKind.PROVIDER_RECEIVABLE, org=org, name="Receivable of")


def cash_balance(session: Session, slug: str) -> Balance:
    """The buyer's cash; all zeros before its first deposit."""
    try:
        return ledger.balance(session, cash_code(slug))
    except NotFound:
        return Balance()


@dataclass(frozen=True)
class Deposit:
    organisation: str
    amount_fen: int
    reference: str
    transfer_id: str
    replayed: bool
    balance: Balance


def record_deposit(session: Session, *, organisation: str, amount_fen: int,
                   reference: str) -> Deposit:
    """Credit a startup's cash with a bank deposit the platform received.

    The transfer id is ``deposit:<slug>:<reference>``: recording the same bank
    reference twice moves the money once (a different amount under it is a 409).
    """
    org = auth_repo.org_by_slug(session, check_ident(organisation, field="organisation"))
    if org is None or org.kind != OrgKind.STARTUP:
        raise ValidationFailed(f"no startup {organisation!r}", field="organisation")
    if amount_fen <= 0:
        raise ValidationFailed("must be more than 0", field="amount")
    if not REFERENCE.match(reference):
        raise ValidationFailed("1-80 letters, digits or '._-'", field="reference")
    cash = ensure_buyer_cash(session, org)
    bank = _ensure(session, code=deposit_code(org.slug),
                   kind=ledger.AccountKind.BUYER_DEPOSIT, org=org, name="Bank of")
    transfer_id = f"deposit:{org.slug}:{reference}"
    result = ledger.transfer(session, id=transfer_id, debit=bank, credit=cash,
                             amount=amount_fen, reason="buyer deposit", ref=reference)
    if not result.replayed:
        audit.record(session, action="deposit.record", object_type="ledger_transfer",
                     object_id=transfer_id, after={"organisation": org.slug,
                                                   "amount_fen": amount_fen,
                                                   "reference": reference},
                     organisation_id=org.id)
    return Deposit(org.slug, amount_fen, reference, transfer_id, result.replayed,
                   cash_balance(session, org.slug))
