"""Vouchers' pages: the wallet (a startup's vouchers and balances), one voucher, clawback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.programs import access
from suanli.programs import repository as program_repo
from suanli.programs.rates import percent
from suanli.vouchers import permissions as perms
from suanli.vouchers import repository, service, tranches, views
from suanli.vouchers.models import Voucher
from suanli.web.confirm import Confirmed
from suanli.web.render import env, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.VOUCHERS_READ)]
env.filters["percent"] = percent


def _programs(session: DbSession, vouchers: list[Voucher]) -> dict[int, object]:
    return {pid: p for pid in {v.program_id for v in vouchers}
            if (p := program_repo.get(session, pid)) is not None}


@router.get("/vouchers", response_class=HTMLResponse)
def wallet(request: Request, session: DbSession, principal: Reader) -> Response:
    rows = views.visible_vouchers(session, principal)
    holders = program_repo.organisations(session, {v.holder_org_id for v in rows})
    return render(request, "vouchers/wallet.html", vouchers=rows,
                  balances=service.balances(session, rows), programs=_programs(session, rows),
                  holders={k: o.slug for k, o in holders.items()},
                  is_buyer=principal.has_role(Role.BUYER))


def _detail(request: Request, session: DbSession, principal: Principal, voucher: Voucher,
            *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    program = program_repo.get(session, voucher.program_id)
    holder = program_repo.organisation(session, voucher.holder_org_id)
    return render(request, "vouchers/detail.html", status, voucher=voucher, program=program,
                  holder=holder.slug if holder else "",
                  balance=service.balance(session, voucher),
                  returns=repository.returns_of(session, voucher.id),
                  can_clawback=program is not None and principal.can(perms.VOUCHERS_CLAWBACK)
                  and access.can_manage(principal, program),
                  can_release=program is not None and principal.can(perms.VOUCHERS_RELEASE)
                  and program.authority_org_id in access.own_ids(principal),
                  errors=errors or {})


@router.get("/vouchers/{voucher_id}", response_class=HTMLResponse)
def voucher_page(voucher_id: int, request: Request, session: DbSession,
                 principal: Reader) -> Response:
    return _detail(request, session, principal, views.visible(session, principal, voucher_id))


@router.post("/vouchers/{voucher_id}/clawback", response_class=HTMLResponse)
def clawback_submit(voucher_id: int, request: Request, session: DbSession,
                    principal: Annotated[Principal, Guard(perms.VOUCHERS_CLAWBACK)],
                    _confirmed: Confirmed, fields: FormFields) -> Response:
    voucher = views.clawable(session, principal, voucher_id)
    try:
        with session.begin_nested():
            service.clawback(session, voucher_id=voucher.id, reason=fields.get("reason", ""),
                             user_id=principal.user_id)
    except AppError as exc:
        session.refresh(voucher)
        return _detail(request, session, principal, voucher, status=exc.status,
                       errors={exc.field or "reason": exc.detail})
    return RedirectResponse(f"/vouchers/{voucher.id}", status_code=303)


@router.post("/vouchers/{voucher_id}/tranches/{index}/release", response_class=HTMLResponse)
def release_submit(voucher_id: int, index: int, request: Request, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.VOUCHERS_RELEASE)],
                   fields: FormFields) -> Response:
    voucher = views.releasable(session, principal, voucher_id)
    try:
        with session.begin_nested():
            tranches.release(session, voucher_id=voucher.id, index=index,
                             reason=fields.get("reason", ""), user_id=principal.user_id)
    except AppError as exc:
        session.refresh(voucher)
        return _detail(request, session, principal, voucher, status=exc.status,
                       errors={exc.field or "reason": exc.detail})
    return RedirectResponse(f"/vouchers/{voucher.id}", status_code=303)
