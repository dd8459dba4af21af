"""Pages of settlement: buyers' invoices, providers' statements, the authority's claims."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.kit.errors import ValidationFailed
from suanli.settlement import claims as claims_service
from suanli.settlement import permissions as perms
from suanli.settlement import repository as repo
from suanli.settlement import views
from suanli.settlement.models import ClaimStatus
from suanli.web.confirm import Confirmed
from suanli.web.downloads import download
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
PAGE = 50
Download = Annotated[Literal["csv", "xlsx"], Query(alias="format")]
InvoiceReader = Annotated[Principal, Guard(perms.INVOICES_READ)]
StatementReader = Annotated[Principal, Guard(perms.STATEMENTS_READ)]
ClaimReader = Annotated[Principal, Guard(perms.CLAIMS_READ)]
Decider = Annotated[Principal, Guard(perms.CLAIMS_DECIDE)]


@router.get("/invoices", response_class=HTMLResponse)
def invoices_page(request: Request, session: DbSession, principal: InvoiceReader,
                  offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    scope = views.invoice_scope(principal)
    rows, total = repo.invoices(session, scope, limit=PAGE, offset=offset)
    items = [views.invoice_view(session, r.id, scope) for r in rows]
    return render(request, "settlement/invoices.html", items=items, total=total,
                  offset=offset, page=PAGE)


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(invoice_id: int, request: Request, session: DbSession,
                 principal: InvoiceReader) -> Response:
    view = views.invoice_view(session, invoice_id, views.invoice_scope(principal))
    # Link only the claims the viewer may open (a buyer sees the status, not the claim).
    scope = views.claim_scope(principal)
    openable = {c.id for c in view.claims.values()
                if scope is None or {c.claimant_org_id, c.authority_org_id} & scope}
    return render(request, "settlement/invoice.html", view=view, openable=openable)


@router.get("/invoices/{invoice_id}/download")
def invoice_download(invoice_id: int, session: DbSession, principal: InvoiceReader,
                     fmt: Download = "csv") -> Response:
    view = views.invoice_view(session, invoice_id, views.invoice_scope(principal))
    return download([views.invoice_table(view)], fmt, view.invoice.number)


def _statement(session: DbSession, principal: Principal, organisation_id: int | None,
               since: date | None, until: date | None) -> views.StatementView:
    provider = views.statement_provider(principal, organisation_id)
    first, last = views.statement_range(since, until, 366)
    return views.statement_view(session, provider, first, last)


@router.get("/statements", response_class=HTMLResponse)
def statements_page(request: Request, session: DbSession, principal: StatementReader,
                    organisation_id: int | None = None, since: date | None = None,
                    until: date | None = None) -> Response:
    if organisation_id is None and views.statement_scope(principal) is None:
        providers = repo.providers_with_settlements(session)
        return render(request, "settlement/statement_pick.html",
                      providers=repo.org_names(session, providers))
    view = _statement(session, principal, organisation_id, since, until)
    return render(request, "settlement/statement.html", view=view,
                  organisation_id=organisation_id)


@router.get("/statements/download")
def statement_download(session: DbSession, principal: StatementReader, fmt: Download = "csv",
                       organisation_id: int | None = None, since: date | None = None,
                       until: date | None = None) -> Response:
    view = _statement(session, principal, organisation_id, since, until)
    return download([views.statement_table(view)], fmt,
                    f"statement-{view.provider_org_id}-{view.since}-{view.until}")


@router.get("/claims", response_class=HTMLResponse)
def claims_page(request: Request, session: DbSession, principal: ClaimReader,
                status: ClaimStatus | None = None,
                offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    scope = views.claim_scope(principal)
    rows, total = repo.claims(session, authority_ids=scope, claimant_ids=scope,
                              status=status, limit=PAGE, offset=offset)
    names = repo.org_names(session, {c.claimant_org_id for c in rows})
    return render(request, "settlement/claims.html", claims=rows, names=names, total=total,
                  offset=offset, page=PAGE, status=status,
                  decider=principal.can(perms.CLAIMS_DECIDE))


def _claim_page(request: Request, session: DbSession, principal: Principal, claim_id: int,
                status_code: int = 200, errors: dict[str, str] | None = None,
                done: str | None = None) -> Response:
    claim = views.claim_for(session, claim_id, views.claim_scope(principal))
    names = repo.org_names(session, {claim.claimant_org_id, claim.authority_org_id})
    can_decide = (claim.status == ClaimStatus.SUBMITTED
                  and claim.authority_org_id in principal.org_ids_with(perms.CLAIMS_DECIDE))
    return render(request, "settlement/claim.html", status_code, claim=claim, names=names,
                  can_decide=can_decide, errors=errors or {}, done=done)


@router.get("/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(claim_id: int, request: Request, session: DbSession, principal: ClaimReader,
               done: str | None = None) -> Response:
    return _claim_page(request, session, principal, claim_id,
                       done=done if done in ("approved", "rejected") else None)


@router.post("/claims/{claim_id}/approve")
def claim_approve(claim_id: int, session: DbSession, principal: Decider) -> Response:
    claims_service.decide(session, claim_id=claim_id, approve=True, reason=None,
                          authority_ids=principal.org_ids_with(perms.CLAIMS_DECIDE),
                          user_id=principal.user_id)
    return RedirectResponse(f"/claims/{claim_id}?done=approved", status_code=303)


@router.post("/claims/{claim_id}/reject", response_class=HTMLResponse)
def claim_reject(claim_id: int, request: Request, session: DbSession, principal: Decider,
                 _confirmed: Confirmed, reason: Annotated[str, Form()] = "") -> Response:
    try:
        claims_service.decide(session, claim_id=claim_id, approve=False, reason=reason,
                              authority_ids=principal.org_ids_with(perms.CLAIMS_DECIDE),
                              user_id=principal.user_id)
    except ValidationFailed as exc:
        if exc.field != "reason":
            raise
        message = translate(language(request), "claims.reason_rule")
        return _claim_page(request, session, principal, claim_id, 422,
                           errors={"reason": message})
    return RedirectResponse(f"/claims/{claim_id}?done=rejected", status_code=303)
