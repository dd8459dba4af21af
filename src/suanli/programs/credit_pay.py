"""Paying a credit-line bill: the buyer from its cash, or the platform recording a bank
payment; either credits the line again, restoring what it may hold."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.kit.errors import Conflict, InsufficientFunds, NotFound, ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.programs.credit import ensure_account, get_bill
from suanli.programs.credit_models import CreditBill, CreditLine

SOURCES = ("cash", "bank")


def pay(session: Session, *, bill_id: int, amount_fen: int | None, source: str,
        buyer_ids: Collection[int] | None, reference: str | None = None,
        now: datetime | None = None) -> CreditBill:
    """Pay all (None) or part of a bill. `source` "cash": from the buyer's cash (409 naming
    `cash` when it falls short); "bank": a payment the platform received (`buyer_ids` None
    only: the platform's own call)."""
    if source not in SOURCES:
        raise ValidationFailed("must be cash or bank", field="source")
    if source == "bank" and buyer_ids is not None:
        raise ValidationFailed("only the platform records a bank payment", field="source")
    bill = get_bill(session, bill_id, buyer_ids, lock=True)
    if bill.outstanding_fen == 0:
        raise Conflict(f"the credit bill for {bill.month} is paid", field="bill_id")
    amount = bill.outstanding_fen if amount_fen is None else amount_fen
    if not 0 < amount <= bill.outstanding_fen:
        raise ValidationFailed(f"must be more than 0 and at most the "
                               f"{format_cny(bill.outstanding_fen)} CNY unpaid",
                               field="amount_cny")
    line = session.get(CreditLine, bill.credit_line_id)
    org = session.get(Organisation, bill.buyer_org_id)
    assert line is not None and org is not None
    debit = _source_account(session, org, source)
    bill.payments += 1
    transfer_id = f"credit:bill:{bill.id}:pay:{bill.payments}"
    try:
        ledger.transfer(session, id=transfer_id, debit=debit, credit=line.account_code,
                        amount=amount, reason="credit-bill-payment",
                        ref=(reference or f"credit:bill:{bill.id}")[:200], now=now)
    except ExceedsCredits as exc:
        raise InsufficientFunds(f"your cash does not cover {format_cny(amount)} CNY; ask the "
                                "platform to record a deposit", field="cash") from exc
    before = bill.paid_fen
    bill.paid_fen += amount
    if bill.paid_fen == bill.amount_fen:
        bill.paid_at = now or utcnow()
    session.flush()
    audit.record(session, action="credit_bill.pay", object_type="credit_bill",
                 object_id=bill.id, before={"paid_fen": before}, organisation_id=org.id,
                 after={"paid_fen": bill.paid_fen, "transfer": transfer_id, "source": source})
    return bill


def _source_account(session: Session, org: Organisation, source: str) -> str:
    if source == "bank":
        return ensure_account(session, code=f"buyer-deposit:{org.slug}", owner=org.id,
                     kind=ledger.AccountKind.BUYER_DEPOSIT, name=f"Bank of {org.slug}")
    code = f"buyer-cash:{org.slug}"
    try:
        ledger.get_account(session, code)
    except NotFound as exc:
        raise InsufficientFunds("you have no cash on the platform; ask the platform to "
                                "record a deposit", field="cash") from exc
    return code
