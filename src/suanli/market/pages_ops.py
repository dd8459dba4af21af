"""Market pages for providers and operators: a provider's offers and the form to list
one, contracts (as buyer and as provider), clearing rounds and buyer deposits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from suanli.audit import service as audit
from suanli.auth import repository as auth_repo
from suanli.auth.principal import Principal
from suanli.auth.roles import OrgKind
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError, ValidationFailed
from suanli.kit.money import MoneyError, format_cny, parse_cny
from suanli.market import contracts, funds, offers_service, repository, rounds, views
from suanli.market import permissions as perms
from suanli.market.forms import blanks_to_none, default_window, errors_of, from_local
from suanli.market.models import ContractState, OfferStatus, RoundStatus
from suanli.market.schemas import Id, OfferCreate
from suanli.providers import repository as providers_repo
from suanli.web import names
from suanli.web.confirm import Confirmed
from suanli.web.listing import Listing, ListQuery, Pager, known
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
OFFER_FIELDS = ("cluster_id", "gpus", "ask_cny_per_gpu_hour", "min_lease_hours",
                "service_class", "cancel_fee_rate")


def _provider_offers(request: Request, session: DbSession, principal: Principal, *,
                     values: dict[str, Any] | None = None, query: ListQuery | None = None,
                     errors: dict[str, str] | None = None, status: int = 200) -> Response:
    query = query or ListQuery()
    rows, total = repository.offers_of(session, views.offer_scope(principal),
                                       limit=query.size, offset=query.offset,
                                       status=known(query.status, OfferStatus))
    manage = principal.org_ids_with(perms.OFFERS_MANAGE)
    clusters = providers_repo.clusters(session, manage) if manage else []
    start, end = default_window(24 * 7)
    return render(request, "market/provider_offers.html", status,
                  offers=views.offers(session, rows), can_manage=bool(manage),
                  pager=Pager(query, total, "/market/provider/offers"),
                  statuses=list(OfferStatus),
                  clusters=[(c.id, f"{c.name} · {c.accelerator_model} · {c.gpus} GPUs")
                            for c in clusters],
                  values=values or {"start_at": start, "end_at": end, "min_lease_hours": "1",
                                    "cancel_fee_rate": "0.2", "service_class": "training"},
                  errors=errors or {})


@router.get("/market/provider/offers", response_class=HTMLResponse)
def provider_offers_page(request: Request, session: DbSession,
                         principal: Annotated[Principal, Guard(perms.OFFERS_OWN_READ)],
                         query: Listing) -> Response:
    return _provider_offers(request, session, principal, query=query)


@router.post("/market/provider/offers", response_class=HTMLResponse)
def provider_offer_submit(request: Request, session: DbSession,
                          principal: Annotated[Principal, Guard(perms.OFFERS_MANAGE)],
                          fields: FormFields) -> Response:
    values = blanks_to_none(fields, OFFER_FIELDS)
    values["start_at"] = from_local(fields.get("start_at"))
    values["end_at"] = from_local(fields.get("end_at"))
    shown = dict(fields)
    try:
        data = OfferCreate.model_validate(values)
        offer = offers_service.create_offer(
            session, org_ids=principal.org_ids_with(perms.OFFERS_MANAGE), data=data)
    except (ValidationError, AppError) as exc:
        code = exc.status if isinstance(exc, AppError) else 422
        return _provider_offers(request, session, principal, values=shown,
                                errors=errors_of(exc), status=code)
    return RedirectResponse(f"/market/provider/offers#of-{offer.id}", status_code=303)


@router.post("/market/offers/{offer_id}/withdraw")
def offer_withdraw(offer_id: Id, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.OFFERS_MANAGE)],
                   _confirmed: Confirmed) -> Response:
    offers_service.withdraw_offer(session, org_ids=principal.org_ids_with(perms.OFFERS_MANAGE),
                                  offer_id=offer_id)
    return RedirectResponse(f"/market/provider/offers#of-{offer_id}", status_code=303)


@router.get("/market/contracts", response_class=HTMLResponse)
def contracts_page(request: Request, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.CONTRACTS_READ)],
                   query: Listing) -> Response:
    buyers, providers = views.contract_scope(principal)
    rows, total = repository.contracts_for(session, buyer_ids=buyers, provider_ids=providers,
                                           limit=query.size, offset=query.offset,
                                           state=known(query.status, ContractState))
    everyone = buyers is None and providers is None
    as_buyer = [views.contract(c) for c in rows if everyone or c.buyer_org_id in (buyers or ())]
    as_provider = [views.contract(c) for c in rows
                   if not everyone and c.provider_org_id in (providers or ())]
    return render(request, "market/contracts.html", as_buyer=as_buyer, as_provider=as_provider,
                  everyone=everyone, total=total, statuses=list(ContractState),
                  pager=Pager(query, total, "/market/contracts"),
                  can_cancel=bool(principal.org_ids_with(perms.ORDERS_PLACE)),
                  on_behalf=principal.can(perms.CONTRACTS_CANCEL_ON_BEHALF))


@router.post("/market/contracts/{contract_id}/cancel")
def contract_cancel(contract_id: Id, session: DbSession,
                    principal: Annotated[Principal, Guard(perms.CONTRACTS_CANCEL)],
                    _confirmed: Confirmed) -> Response:
    """A party cancels its own contract; the platform admin uses cancel-on-behalf."""
    contracts.cancel_contract(session, contract_id=contract_id,
                              buyer_ids=principal.org_ids_with(perms.ORDERS_PLACE))
    return RedirectResponse(f"/market/contracts#c-{contract_id}", status_code=303)


@router.post("/market/contracts/{contract_id}/cancel-on-behalf")
def contract_cancel_on_behalf(
        contract_id: Id, session: DbSession,
        principal: Annotated[Principal, Guard(perms.CONTRACTS_CANCEL_ON_BEHALF)],
        _confirmed: Confirmed, reason: Annotated[str, Form()] = "") -> Response:
    """The platform admin cancels a contract for its parties, with a reason for the audit."""
    if not reason.strip() or len(reason) > 2000:
        raise ValidationFailed("a reason of 1 to 2000 characters is required", field="reason")
    contract = contracts.cancel_contract(session, contract_id=contract_id, buyer_ids=None)
    audit.record(session, action="contract.cancel_on_behalf", object_type="contract",
                 object_id=contract.id, after={"reason": reason.strip(),
                                               "by": principal.username})
    return RedirectResponse(f"/market/contracts#c-{contract_id}", status_code=303)


def _rounds(request: Request, session: DbSession, principal: Principal, *,
            values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
            notice: str | None = None, status: int = 200,
            query: ListQuery | None = None) -> Response:
    query = query or ListQuery()
    rows, total = repository.rounds(session, limit=query.size, offset=query.offset,
                                    status=known(query.status, RoundStatus))
    return render(request, "market/rounds.html", status, rounds=[views.round_(r) for r in rows],
                  total=total, can_run=principal.can(perms.ROUNDS_RUN),
                  pager=Pager(query, total, "/market/rounds"), statuses=list(RoundStatus),
                  can_deposit=principal.can(perms.DEPOSITS_RECORD), values=values or {},
                  buyers=[(o.slug, names.display_name(o, language(request))) for o in
                          auth_repo.orgs_of_kind(session, OrgKind.STARTUP)]
                  if principal.can(perms.DEPOSITS_RECORD) else [],
                  errors=errors or {}, notice=notice)


@router.get("/market/rounds", response_class=HTMLResponse)
def rounds_page(request: Request, session: DbSession,
                principal: Annotated[Principal, Guard(perms.ROUNDS_READ)],
                query: Listing) -> Response:
    return _rounds(request, session, principal, query=query)


@router.post("/market/rounds", response_class=HTMLResponse)
def round_submit(request: Request, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.ROUNDS_RUN)]) -> Response:
    rnd = rounds.run_round(session, options=rounds.Options(trigger="page",
                                                           user_id=principal.user_id))
    if rnd is None:
        return _rounds(request, session, principal, status=409,
                       errors={"round": "another clearing round is running"})
    return RedirectResponse(f"/market/rounds#r-{rnd.id}", status_code=303)


@router.post("/market/deposits", response_class=HTMLResponse)
def deposit_submit(request: Request, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.DEPOSITS_RECORD)],
                   fields: FormFields) -> Response:
    values = {k: (fields.get(k) or "").strip() for k in ("organisation", "amount", "reference")}
    try:
        try:
            amount = parse_cny(values["amount"], field="amount")
        except MoneyError as exc:
            raise ValidationFailed(str(exc), field="amount") from None
        deposit = funds.record_deposit(session, organisation=values["organisation"],
                                       amount_fen=amount, reference=values["reference"])
    except AppError as exc:
        return _rounds(request, session, principal, values=values, errors=errors_of(exc),
                       status=exc.status)
    return _rounds(request, session, principal, notice=(
        f"{deposit.organisation}: +{format_cny(deposit.amount_fen)} CNY, "
        f"{format_cny(deposit.balance.available)} CNY available"))
