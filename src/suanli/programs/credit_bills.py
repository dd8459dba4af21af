"""Monthly bills of credit lines: what each line charged up to a month's end, less what
earlier bills asked, due `due_days` after the month (``suanli settlement bill-credit`` and
the worker).

Charges are read from the ledger: every posted amount moved from a line to a provider's
receivable (settlement's daily posts, cancellation charges, adjustments). A bill covers
everything charged before its month ended and not on an earlier bill, so no charge is
billed twice or never, even one written late.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from suanli.audit import service as audit
from suanli.kit.errors import ValidationFailed
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger.models import Account, Transfer
from suanli.ledger.posting import AccountKind, TransferKind
from suanli.programs.credit_models import CreditBill, CreditLine
from suanli.programs.credit_terms import due_on, month_end, month_text, previous_month


def charged_before(session: Session, account_code: str, until: datetime) -> int:
    """What the line paid providers in transfers written before `until` (fen)."""
    debit, credit = aliased(Account), aliased(Account)
    stmt = (select(func.coalesce(func.sum(Transfer.amount), 0))
            .join(debit, debit.id == Transfer.debit_account_id)
            .join(credit, credit.id == Transfer.credit_account_id)
            .where(debit.code == account_code,
                   credit.kind == AccountKind.PROVIDER_RECEIVABLE.value,
                   Transfer.kind.in_([TransferKind.TRANSFER.value, TransferKind.POST.value]),
                   Transfer.created_at < until))
    return int(session.execute(stmt).scalar_one())


def billed_before(session: Session, line_id: int) -> int:
    return int(session.execute(select(func.coalesce(func.sum(CreditBill.amount_fen), 0))
                               .where(CreditBill.credit_line_id == line_id)).scalar_one())


def bill_month(session: Session, *, month: date, now: datetime | None = None
               ) -> list[CreditBill]:
    """Bill every credit line for `month` (its first day); a month not yet ended is
    refused naming `month`. Lines billed for it already, or that charged nothing, are
    passed over: running it again changes nothing."""
    now = now or utcnow()
    until = month_end(month)
    if until > now:
        raise ValidationFailed(f"{month_text(month)} has not ended yet (Asia/Shanghai)",
                               field="month")
    made = []
    for line_id in session.execute(select(CreditLine.id).order_by(CreditLine.id)).scalars():
        bill = _bill_line(session, line_id, month, until)
        if bill is not None:
            made.append(bill)
    return made


def _bill_line(session: Session, line_id: int, month: date, until: datetime
               ) -> CreditBill | None:
    line = session.execute(select(CreditLine).where(CreditLine.id == line_id)
                           .with_for_update()).scalar_one()
    text = month_text(month)
    exists = session.execute(select(CreditBill.id).where(
        CreditBill.credit_line_id == line.id, CreditBill.month == text)).first()
    if exists is not None:
        return None
    amount = charged_before(session, line.account_code, until) - billed_before(session, line.id)
    if amount <= 0:
        return None
    bill = CreditBill(credit_line_id=line.id, buyer_org_id=line.buyer_org_id, month=text,
                      amount_fen=amount, paid_fen=0, payments=0,
                      due_on=due_on(month, line.due_days))
    session.add(bill)
    session.flush()
    audit.record(session, action="credit_bill.issue", object_type="credit_bill",
                 object_id=bill.id, organisation_id=line.buyer_org_id,
                 after={"month": text, "amount_fen": amount, "due_on": str(bill.due_on)})
    return bill


def bill_due(session: Session, *, now: datetime | None = None) -> list[CreditBill]:
    """The worker's job: bill the month before this one (Asia/Shanghai); safe every tick."""
    now = now or utcnow()
    this_month = to_shanghai(now).date().replace(day=1)
    return bill_month(session, month=previous_month(this_month), now=now)
