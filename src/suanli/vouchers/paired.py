"""The provider halves of paired vouchers (Langfang): the API list and the provider's page.

A provider half shows the pair's money as the buyer's voucher holds it (one ledger
account): the voucher pays this provider only, so its spent and held are spent and held
at this provider."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.deps import DbSession, Guard
from suanli.programs import repository as program_repo
from suanli.vouchers import permissions as perms
from suanli.vouchers import repository, service, views
from suanli.vouchers.models import PairedVoucher, Voucher
from suanli.vouchers.schemas import VoucherRead
from suanli.web.render import render

api = APIRouter(tags=["vouchers"])
pages = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.VOUCHERS_PAIRED_READ)]


class PairedRead(BaseModel):
    id: int = Field(description="The provider half's number")
    provider_org_id: int
    provider: str
    voucher: VoucherRead = Field(description="The buyer's voucher it is linked to, whose "
                                             "balance the pair shares")


def _rows(session: Session, principal: Principal) -> list[tuple[PairedVoucher, Voucher]]:
    everyone = principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.AUDITOR)
    return repository.paired_of_providers(
        session, None if everyone else principal.org_ids_with(perms.VOUCHERS_PAIRED_READ))


@api.get("/vouchers/paired", response_model=list[PairedRead],
         summary="Provider halves of paired vouchers: a provider's own (all, for oversight)")
def list_paired(session: DbSession, principal: Reader) -> list[PairedRead]:
    rows = _rows(session, principal)
    reads = {r.id: r for r in views.reads(session, [v for _, v in rows])}
    orgs = program_repo.organisations(session, {p.provider_org_id for p, _ in rows})
    return [PairedRead(id=p.id, provider_org_id=p.provider_org_id,
                       provider=orgs[p.provider_org_id].slug if p.provider_org_id in orgs
                       else "", voucher=reads[v.id]) for p, v in rows]


@pages.get("/vouchers/paired", response_class=HTMLResponse)
def paired_page(request: Request, session: DbSession, principal: Reader) -> Response:
    rows = _rows(session, principal)
    vouchers = [v for _, v in rows]
    holders = program_repo.organisations(session, {v.holder_org_id for v in vouchers})
    programs = {pid: p for pid in {v.program_id for v in vouchers}
                if (p := program_repo.get(session, pid)) is not None}
    return render(request, "vouchers/paired.html", rows=rows,
                  balances=service.balances(session, vouchers), programs=programs,
                  holders={k: o.slug for k, o in holders.items()})
