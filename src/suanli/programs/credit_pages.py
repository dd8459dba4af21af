"""Credit-line pages: a program's lines with the form that grants one (program admins),
and the bills (buyers see and pay theirs from cash; the platform and the regulator see all)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.kit.timeutil import to_shanghai, utcnow
from suanli.ledger import service as ledger
from suanli.programs import credit, credit_pay, repository
from suanli.programs import permissions as perms
from suanli.programs.api import managed
from suanli.programs.credit_api import limit_fen, scope
from suanli.programs.models import Program
from suanli.web.render import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Guard(perms.PROGRAMS_MANAGE)]


def _page(request: Request, session: DbSession, program: Program, *,
          errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
          status: int = 200) -> Response:
    found = credit.lines(session, program.id)
    orgs = repository.organisations(session, [line.buyer_org_id for line in found])
    rows = [{"organisation": orgs[line.buyer_org_id].slug if line.buyer_org_id in orgs
             else line.buyer_org_id, "limit_fen": line.limit_fen, "due_days": line.due_days,
             "available_fen": ledger.balance(session, line.account_code).available}
            for line in found]
    return render(request, "programs/credit_lines.html", status, program=program, rows=rows,
                  errors=errors or {}, values=values or {})


@router.get("/programs/{program_id}/credit-lines", response_class=HTMLResponse)
def credit_lines_page(program_id: int, request: Request, session: DbSession,
                      principal: Manager) -> Response:
    return _page(request, session, managed(session, principal, program_id))


@router.post("/programs/{program_id}/credit-lines", response_class=HTMLResponse)
def credit_line_submit(program_id: int, request: Request, session: DbSession,
                       principal: Manager, fields: FormFields) -> Response:
    program = managed(session, principal, program_id)
    values = {k: (fields.get(k) or "").strip()
              for k in ("organisation", "credit_limit_cny", "due_days")}
    try:
        days = values["due_days"] or "30"
        due_days = int(days) if days.lstrip("-").isdigit() else -1
        with session.begin_nested():
            credit.grant(session, program=program, organisation=values["organisation"],
                         limit_fen=limit_fen(values["credit_limit_cny"]), due_days=due_days,
                         user_id=principal.user_id)
    except AppError as exc:
        name = exc.field if exc.field in values else "credit_limit_cny"
        return _page(request, session, program, status=exc.status, values=values,
                     errors={name: exc.detail.removeprefix(f"{exc.field}: ")})
    return RedirectResponse(f"/programs/{program.id}/credit-lines", status_code=303)


BillReader = Annotated[Principal, Guard(perms.CREDIT_BILLS_READ)]
BuyerPayer = Annotated[Principal, Guard(perms.CREDIT_BILLS_PAY)]


def _bills(request: Request, session: DbSession, principal: Principal, *,
           error: str | None = None, status: int = 200) -> Response:
    found = credit.bills(session, scope(principal))
    orgs = repository.organisations(session, {b.buyer_org_id for b in found})
    today = to_shanghai(utcnow()).date()
    rows = [{"bill": b, "late": b.outstanding_fen and b.due_on < today,
             "organisation": orgs[b.buyer_org_id].slug if b.buyer_org_id in orgs else ""}
            for b in found]
    return render(request, "programs/credit_bills.html", status, rows=rows, error=error,
                  can_pay=bool(principal.org_ids(Role.BUYER)))


@router.get("/credit-bills", response_class=HTMLResponse)
def credit_bills_page(request: Request, session: DbSession, principal: BillReader) -> Response:
    return _bills(request, session, principal)


@router.post("/credit-bills/{bill_id}/pay", response_class=HTMLResponse)
def credit_bill_pay(bill_id: int, request: Request, session: DbSession,
                    principal: BuyerPayer) -> Response:
    """The buyer pays all that is unpaid from its cash."""
    try:
        with session.begin_nested():
            credit_pay.pay(session, bill_id=bill_id, amount_fen=None, source="cash",
                           buyer_ids=principal.org_ids(Role.BUYER))
    except AppError as exc:
        return _bills(request, session, principal, error=exc.detail, status=exc.status)
    return RedirectResponse("/credit-bills", status_code=303)
