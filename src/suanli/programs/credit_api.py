"""JSON routes of post-paid credit lines: grant one (program admins), list them, read and
pay the monthly bills (the buyer from its cash, the platform a bank payment)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import POSITIVE_PATTERN, format_cny, parse_cny
from suanli.ledger import service as ledger
from suanli.programs import credit, credit_pay
from suanli.programs import permissions as perms
from suanli.programs.api import managed
from suanli.programs.credit_models import CreditBill, CreditLine
from suanli.programs.credit_terms import MAX_DUE_DAYS

router = APIRouter(tags=["credit"])
Manager = Annotated[Principal, Guard(perms.PROGRAMS_MANAGE)]
BillReader = Annotated[Principal, Guard(perms.CREDIT_BILLS_READ)]
Payer = Annotated[Principal, Guard(perms.CREDIT_BILLS_PAY)]


class CreditLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credit_limit_cny: str = Field(description="The limit in CNY, at least 0, e.g. \"50000.00\"")
    due_days: int = Field(default=30, description="Bills are due this many days after the "
                                                  f"month ends (0-{MAX_DUE_DAYS})")


class CreditLineRead(BaseModel):
    id: int
    program_id: int
    buyer_org_id: int
    credit_limit_cny: str
    due_days: int
    available_cny: str
    account: str


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cny: str | None = Field(default=None, description="Default: all that is unpaid",
                                   json_schema_extra={"pattern": POSITIVE_PATTERN,
                                                      "maxLength": 24})
    source: Literal["cash", "bank"] = "cash"
    reference: str | None = Field(default=None, max_length=80)


class BillRead(BaseModel):
    id: int
    buyer_org_id: int
    month: str
    amount_cny: str
    paid_cny: str
    outstanding_cny: str
    due_on: date
    paid_at: datetime | None


def line_read(session: Session, line: CreditLine) -> CreditLineRead:
    return CreditLineRead(id=line.id, program_id=line.program_id, buyer_org_id=line.buyer_org_id,
                          credit_limit_cny=format_cny(line.limit_fen), due_days=line.due_days,
                          available_cny=format_cny(ledger.balance(session,
                                                                  line.account_code).available),
                          account=line.account_code)


def bill_read(bill: CreditBill) -> BillRead:
    return BillRead(id=bill.id, buyer_org_id=bill.buyer_org_id, month=bill.month,
                    amount_cny=format_cny(bill.amount_fen), paid_cny=format_cny(bill.paid_fen),
                    outstanding_cny=format_cny(bill.outstanding_fen), due_on=bill.due_on,
                    paid_at=bill.paid_at)


def limit_fen(value: str) -> int:
    """A limit in CNY; negative or malformed is refused naming `credit_limit_cny`."""
    amount = parse_cny(value, field=credit.LIMIT_FIELD, negative=True)
    if amount < 0:
        raise ValidationFailed("must not be below 0", field=credit.LIMIT_FIELD)
    return amount


@router.put("/programs/{program_id}/credit-lines/{organisation}", response_model=CreditLineRead,
            summary="Grant a buyer organisation a credit line, or change its limit")
def grant_line(program_id: int, organisation: str, body: CreditLineIn, session: DbSession,
               principal: Manager, _key: Idempotent) -> CreditLineRead:
    program = managed(session, principal, program_id)
    line = credit.grant(session, program=program, organisation=organisation,
                        limit_fen=limit_fen(body.credit_limit_cny), due_days=body.due_days,
                        user_id=principal.user_id)
    return line_read(session, line)


@router.get("/programs/{program_id}/credit-lines", response_model=list[CreditLineRead],
            summary="The credit lines a program granted")
def list_lines(program_id: int, session: DbSession, principal: Manager) -> list[CreditLineRead]:
    program = managed(session, principal, program_id)
    return [line_read(session, line) for line in credit.lines(session, program.id)]


def scope(principal: Principal) -> frozenset[int] | None:
    """None (every bill) for the platform and the regulator; else the caller's buyers."""
    if principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.AUDITOR):
        return None
    return principal.org_ids(Role.BUYER)


@router.get("/credit-bills", response_model=list[BillRead],
            summary="Credit-line bills: a buyer's own, or all for the platform")
def list_bills(session: DbSession, principal: BillReader) -> list[BillRead]:
    return [bill_read(b) for b in credit.bills(session, scope(principal))]


@router.post("/credit-bills/{bill_id}/payments", response_model=BillRead, status_code=201,
             summary="Pay a bill: the buyer from its cash, or the platform records a bank "
                     "payment; either restores the credit")
def pay_bill(bill_id: int, body: PaymentIn, session: DbSession, principal: Payer,
             _key: Idempotent) -> BillRead:
    amount = None
    if body.amount_cny is not None:
        amount = parse_cny(body.amount_cny, field="amount_cny")
    platform = principal.has_role(Role.PLATFORM_ADMIN)
    bill = credit_pay.pay(session, bill_id=bill_id, amount_fen=amount, source=body.source,
                          buyer_ids=None if platform else principal.org_ids(Role.BUYER),
                          reference=body.reference)
    return bill_read(bill)
