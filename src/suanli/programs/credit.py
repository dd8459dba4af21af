"""Post-paid credit lines ("use first, pay later", Shanghai 2026): granting them, which
account a buyer's contracts hold against, paying bills, and the standing that lets a buyer
trade.

A line is a ledger account ``buyer-credit:<slug>`` that may not go below zero (debits must
not exceed credits). Granting (or raising) the limit credits it from the program's
``program-credit:<program id>`` facility; contracts hold their buyer share on it instead of
on cash, settlement posts from it to the provider as usual, and paying a bill credits it
again from the buyer's cash (or, recorded by the platform, its bank). So the ledger itself
refuses a contract over the limit, and what is available is always
``limit - (charged - paid) - held``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.auth.roles import OrgKind
from suanli.kit.errors import Conflict, InsufficientFunds, NotFound, ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.programs.credit_models import CreditBill, CreditLine
from suanli.programs.credit_terms import check_due_days
from suanli.programs.models import Program

LIMIT_FIELD = "credit_limit_cny"


def account_code(slug: str) -> str:
    return f"buyer-credit:{slug}"


def facility_code(program: Program) -> str:
    return f"program-credit:{program.id}"


def line_of(session: Session, buyer_org_id: int, *, lock: bool = False) -> CreditLine | None:
    stmt = select(CreditLine).where(CreditLine.buyer_org_id == buyer_org_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def lines(session: Session, program_id: int | None = None) -> list[CreditLine]:
    stmt = select(CreditLine).order_by(CreditLine.id)
    if program_id is not None:
        stmt = stmt.where(CreditLine.program_id == program_id)
    return list(session.execute(stmt).scalars())


def credit_account(session: Session, buyer_org_id: int) -> str | None:
    """The account a buyer's contracts hold against when its line is in force (its
    program grants credit lines); None: they hold on its cash, as without a line."""
    line = line_of(session, buyer_org_id)
    if line is None:
        return None
    program = session.get(Program, line.program_id)
    return line.account_code if program is not None and program.credit_lines else None


def _buyer(session: Session, slug: str) -> Organisation:
    org = auth_repo.org_by_slug(session, slug) if isinstance(slug, str) else None
    if org is None or org.kind != OrgKind.STARTUP:
        raise ValidationFailed(f"no buyer organisation {slug!r}", field="organisation")
    return org


def ensure_account(session: Session, *, code: str, kind: ledger.AccountKind, owner: int,
                   name: str, floor: bool = False) -> str:
    """Open the account unless it exists (another domain may have opened it first)."""
    try:
        ledger.get_account(session, code)
    except NotFound:
        ledger.open_account(session, code=code, kind=kind, owner_org_id=owner, name=name[:100],
                            debits_must_not_exceed_credits=floor)
    return code


def grant(session: Session, *, program: Program, organisation: str, limit_fen: int,
          due_days: int, user_id: int | None) -> CreditLine:
    """Grant a buyer a credit line, or change its limit and due days. Lowering the limit
    below what the buyer owes and holds is refused (409 naming `credit_limit_cny`)."""
    if not program.credit_lines:
        raise Conflict(f"program {program.id} does not grant credit lines; turn on its "
                       "credit_lines setting first", field="credit_lines")
    if isinstance(limit_fen, bool) or not isinstance(limit_fen, int) or limit_fen < 0:
        raise ValidationFailed("must be an amount of at least 0", field=LIMIT_FIELD)
    check_due_days(due_days)
    org = _buyer(session, organisation)
    line = line_of(session, org.id, lock=True)
    if line is not None and line.program_id != program.id:
        raise Conflict(f"{org.slug} already has a credit line of program {line.program_id}",
                       field="organisation")
    facility = ensure_account(session, code=facility_code(program),
                              owner=program.authority_org_id,
                              kind=ledger.AccountKind.CREDIT_FACILITY,
                              name=f"Credit lines of program {program.id}")
    if line is None:
        code = ensure_account(session, code=account_code(org.slug), owner=org.id,
                              kind=ledger.AccountKind.BUYER_CREDIT,
                              name=f"Credit line of {org.slug}", floor=True)
        line = CreditLine(program_id=program.id, buyer_org_id=org.id, limit_fen=0,
                          due_days=due_days, account_code=code, changes=0, created_by=user_id)
        try:
            with session.begin_nested():
                session.add(line)
                session.flush()
        except IntegrityError as exc:  # a concurrent grant for the same buyer won
            raise Conflict(f"{org.slug} was granted a credit line at the same moment; "
                           "retry to change it", field="organisation") from exc
    before = {"limit_fen": line.limit_fen, "due_days": line.due_days}
    _change_limit(session, line, facility, org, limit_fen)
    line.due_days = due_days
    session.flush()
    audit.record(session, action="credit_line.grant", object_type="credit_line",
                 object_id=line.id, before=before, organisation_id=org.id,
                 after={"limit_fen": line.limit_fen, "due_days": due_days,
                        "program_id": program.id})
    return line


def _change_limit(session: Session, line: CreditLine, facility: str, org: Organisation,
                  limit_fen: int) -> None:
    delta = limit_fen - line.limit_fen
    if delta == 0:
        return
    line.changes += 1
    try:
        ledger.transfer(session, id=f"credit:{org.slug}:limit:{line.changes}",
                        debit=facility if delta > 0 else line.account_code,
                        credit=line.account_code if delta > 0 else facility,
                        amount=abs(delta), reason="credit-limit", ref=f"credit:line:{line.id}")
    except ExceedsCredits as exc:
        raise InsufficientFunds(
            f"{org.slug} owes or holds more of its line than a limit of "
            f"{format_cny(limit_fen)} CNY leaves room for", field=LIMIT_FIELD) from exc
    line.limit_fen = limit_fen


def overdue(session: Session, buyer_org_id: int, *, now: datetime | None = None
            ) -> list[CreditBill]:
    """The buyer's bills unpaid after their due day (Asia/Shanghai)."""
    today = to_shanghai(now or utcnow()).date()
    return list(session.execute(select(CreditBill).where(
        CreditBill.buyer_org_id == buyer_org_id, CreditBill.paid_fen < CreditBill.amount_fen,
        CreditBill.due_on < today).order_by(CreditBill.due_on)).scalars())


def check_standing(session: Session, buyer_org_id: int, *, now: datetime | None = None) -> None:
    """409 naming `credit_bill` while the buyer has a bill unpaid after its due day."""
    late = overdue(session, buyer_org_id, now=now)
    if late:
        bill = late[0]
        raise Conflict(f"the credit bill for {bill.month} ({format_cny(bill.outstanding_fen)} "
                       f"CNY unpaid) was due on {bill.due_on}; pay it before new orders or "
                       "purchases", field="credit_bill")


def bills(session: Session, buyer_ids: Collection[int] | None) -> list[CreditBill]:
    stmt = select(CreditBill).order_by(CreditBill.id.desc())
    if buyer_ids is not None:
        stmt = stmt.where(CreditBill.buyer_org_id.in_(buyer_ids))
    return list(session.execute(stmt).scalars())


def get_bill(session: Session, bill_id: int, buyer_ids: Collection[int] | None, *,
             lock: bool = False) -> CreditBill:
    stmt = select(CreditBill).where(CreditBill.id == bill_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    bill = session.execute(stmt).scalar_one_or_none()
    if bill is None or (buyer_ids is not None and bill.buyer_org_id not in buyer_ids):
        raise NotFound(f"no credit bill {bill_id}", field="bill_id")
    return bill
