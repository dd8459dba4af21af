"""JSON routes of settlement: runs, invoices, statements and reimbursement claims."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.kit.timeutil import utcnow
from suanli.kit.units import gpu_hours
from suanli.settlement import claims as claims_service
from suanli.settlement import permissions as perms
from suanli.settlement import repository as repo
from suanli.settlement import service, views
from suanli.settlement.charges import period_of
from suanli.settlement.models import Claim
from suanli.settlement.schemas import (
    ClaimApprove,
    ClaimRead,
    ClaimReject,
    InvoiceLineRead,
    InvoiceRead,
    SettlementRunIn,
    SettlementRunRead,
    StatementLineRead,
    StatementRead,
)

router = APIRouter(tags=["settlement"])
Paging = Annotated[PageParams, Depends(page_params)]
MAX_STATEMENT_DAYS = 366


@router.post("/settlement/runs", response_model=SettlementRunRead,
             summary="Settle one day (the worker does this daily); running it again changes "
                     "nothing")
def run_settlement(body: SettlementRunIn, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.SETTLEMENT_RUN)],
                   _key: Idempotent) -> SettlementRunRead:
    if body.period_end >= period_of(utcnow()):
        raise ValidationFailed("only a day that has ended can be settled", field="period_end")
    report = service.settle_period(session, period_end=body.period_end)
    return SettlementRunRead(period=report.period, settled=report.settled, final=report.final,
                             unchanged=report.unchanged, charge_cny=format_cny(report.charge_fen))


def invoice_read(view: views.InvoiceView, *, lines: bool) -> InvoiceRead:
    charge, voucher, buyer, uncovered = view.totals
    out = InvoiceRead(id=view.invoice.id, number=view.invoice.number,
                      buyer_org_id=view.invoice.buyer_org_id, buyer=view.buyer,
                      period=view.invoice.period, charge_cny=format_cny(charge),
                      voucher_share_cny=format_cny(voucher), buyer_share_cny=format_cny(buyer),
                      uncovered_cny=format_cny(uncovered))
    if lines:
        for x in view.lines:
            claim = view.claims.get(x.id)
            out.lines.append(InvoiceLineRead(
                contract_id=x.contract_id, kind=str(x.kind), provider_org_id=x.provider_org_id,
                provider=view.providers.get(x.provider_org_id, ""),
                gpu_hours=str(gpu_hours(x.gpu_seconds)),
                unit_price_cny=format_cny(x.unit_price_fen), charge_cny=format_cny(x.charge_fen),
                voucher_share_cny=format_cny(x.voucher_fen),
                buyer_share_cny=format_cny(x.buyer_fen),
                uncovered_cny=format_cny(x.uncovered_fen),
                claim_id=claim.id if claim else None,
                claim_status=str(claim.status) if claim else None))
    return out


@router.get("/settlement/invoices", response_model=Page[InvoiceRead],
            summary="Invoices: your startup's, or all for the platform and the regulator")
def list_invoices(session: DbSession,
                  principal: Annotated[Principal, Guard(perms.INVOICES_READ)],
                  page: Paging) -> Page[InvoiceRead]:
    scope = views.invoice_scope(principal)
    rows, total = repo.invoices(session, scope, limit=page.limit, offset=page.offset)
    items = [invoice_read(views.invoice_view(session, r.id, scope), lines=False) for r in rows]
    return Page[InvoiceRead](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/settlement/invoices/{invoice_id}", response_model=InvoiceRead,
            summary="One invoice with its lines")
def get_invoice(invoice_id: int, session: DbSession,
                principal: Annotated[Principal, Guard(perms.INVOICES_READ)]) -> InvoiceRead:
    return invoice_read(views.invoice_view(session, invoice_id, views.invoice_scope(principal)),
                        lines=True)


@router.get("/settlement/statements", response_model=StatementRead,
            summary="A provider's statement over a range of days")
def get_statement(
    session: DbSession, principal: Annotated[Principal, Guard(perms.STATEMENTS_READ)],
    organisation_id: Annotated[int | None, Query(description="Provider organisation "
                                                             "(needed if you see several)")] = None,
    since: date | None = None, until: date | None = None,
) -> StatementRead:
    provider = views.statement_provider(principal, organisation_id)
    since, until = views.statement_range(since, until, MAX_STATEMENT_DAYS)
    view = views.statement_view(session, provider, since, until)
    return StatementRead(
        provider_org_id=provider, provider=view.provider, since=since, until=until,
        paid_out_cny=format_cny(view.paid()),
        lines=[StatementLineRead(
            period=x.period, contract_id=x.contract_id, buyer=view.buyers.get(x.buyer_org_id, ""),
            gpu_hours=str(gpu_hours(x.gpu_seconds)), charge_cny=format_cny(x.charge_fen),
            buyer_share_cny=format_cny(x.buyer_fen), voucher_share_cny=format_cny(x.voucher_fen),
            claim_status=str(view.claims[x.id].status) if x.id in view.claims else None,
            uncovered_cny=format_cny(x.uncovered_fen)) for x in view.lines])


def claim_read(claim: Claim) -> ClaimRead:
    return ClaimRead(
        id=claim.id, settlement_id=claim.settlement_id, contract_id=claim.contract_id,
        program_id=claim.program_id, voucher_id=claim.voucher_id,
        authority_org_id=claim.authority_org_id, claimant_org_id=claim.claimant_org_id,
        mode=claim.mode, kind=str(claim.kind), amount_cny=format_cny(claim.amount_fen),
        status=str(claim.status),
        reason=claim.reason, evidence=claim.evidence, decided_at=claim.decided_at,
        transfer_ids=claim.transfer_ids, created_at=claim.created_at)


@router.get("/settlement/claims", response_model=Page[ClaimRead],
            summary="Reimbursement claims: yours as claimant or as the deciding authority")
def list_claims(session: DbSession, principal: Annotated[Principal, Guard(perms.CLAIMS_READ)],
                page: Paging, status: str | None = None) -> Page[ClaimRead]:
    scope = views.claim_scope(principal)
    rows, total = repo.claims(session, authority_ids=scope, claimant_ids=scope, status=status,
                              limit=page.limit, offset=page.offset)
    return Page[ClaimRead](items=[claim_read(c) for c in rows], total=total, limit=page.limit,
                           offset=page.offset)


@router.get("/settlement/claims/{claim_id}", response_model=ClaimRead,
            summary="One claim with its evidence")
def get_claim(claim_id: int, session: DbSession,
              principal: Annotated[Principal, Guard(perms.CLAIMS_READ)]) -> ClaimRead:
    return claim_read(views.claim_for(session, claim_id, views.claim_scope(principal)))


@router.post("/settlement/claims/{claim_id}/approve", response_model=ClaimRead,
             summary="Approve a claim of your program: the money is paid out")
def approve_claim(claim_id: int, body: ClaimApprove, session: DbSession,
                  principal: Annotated[Principal, Guard(perms.CLAIMS_DECIDE)],
                  _key: Idempotent) -> ClaimRead:
    return claim_read(claims_service.decide(
        session, claim_id=claim_id, approve=True, reason=body.note,
        authority_ids=principal.org_ids_with(perms.CLAIMS_DECIDE), user_id=principal.user_id))


@router.post("/settlement/claims/{claim_id}/reject", response_model=ClaimRead,
             summary="Reject a claim of your program, with a reason")
def reject_claim(claim_id: int, body: ClaimReject, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.CLAIMS_DECIDE)],
                 _key: Idempotent) -> ClaimRead:
    return claim_read(claims_service.decide(
        session, claim_id=claim_id, approve=False, reason=body.reason,
        authority_ids=principal.org_ids_with(perms.CLAIMS_DECIDE), user_id=principal.user_id))
