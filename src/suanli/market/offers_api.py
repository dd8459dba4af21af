"""JSON routes for offers: listing, withdrawing, and buyers' search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import MoneyError, parse_cny
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.kit.timeutil import utcnow
from suanli.market import offers_service, repository, search, views
from suanli.market import permissions as perms
from suanli.market.models import ServiceClass
from suanli.market.schemas import MAX_ID, Id, Ident, OfferCreate, OfferHit, OfferRead

router = APIRouter(tags=["market: offers"])
# money_query's grammar: a CNY amount, or nothing (a blank value is no filter).
OPTIONAL_MONEY = r"^([0-9]{1,13}(\.[0-9]{1,2})?)?$"
Pages = Annotated[PageParams, Depends(page_params)]


def money_query(value: str | None, field: str) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return parse_cny(value, field=field)
    except MoneyError as exc:
        raise ValidationFailed(str(exc), field=field) from None


def search_query(
    accelerator: Ident | None = None,
    min_memory_gb: Annotated[int | None, Query(ge=1)] = None,
    min_tflops: Annotated[int | None, Query(ge=1)] = None,
    hub: Ident | None = None, city: Ident | None = None,
    origin_city: Annotated[Ident | None, Query(description="Your city, for latency")] = None,
    max_latency_ms: Annotated[int | None, Query(ge=1, le=1000)] = None,
    operator: Literal["state", "commercial"] | None = None,
    service_class: ServiceClass | None = None,
    max_price: Annotated[str | None, Query(description="Most you pay per GPU-hour after "
                                           "the voucher, CNY", json_schema_extra={
                                               "pattern": OPTIONAL_MONEY})] = None,
    min_gpus: Annotated[int | None, Query(ge=1)] = None,
    voucher_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Price "
                                            "after this voucher of yours")] = None,
) -> search.Query:
    return search.Query(
        accelerator=accelerator or None, min_memory_gb=min_memory_gb, min_tflops=min_tflops,
        hub=hub or None, city=city or None, origin_city=origin_city or None,
        max_latency_ms=max_latency_ms, operator=operator,
        service_class=str(service_class) if service_class else None,
        max_price_fen=money_query(max_price, "max_price"), min_gpus=min_gpus,
        voucher_id=voucher_id)


@router.get("/market/offers", response_model=list[OfferHit],
            summary="Search live offers, with the price after your voucher")
def search_offers(session: DbSession,
                  principal: Annotated[Principal, Guard(perms.OFFERS_READ)],
                  q: Annotated[search.Query, Depends(search_query)]) -> list[OfferHit]:
    hits = search.search(session, q, buyer_org_ids=principal.org_ids_with(perms.ORDERS_PLACE),
                         now=utcnow())
    return [views.hit(h) for h in hits]


@router.post("/market/offers", response_model=OfferRead, status_code=status.HTTP_201_CREATED,
             summary="List capacity from one of your clusters")
def create_offer(body: OfferCreate, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.OFFERS_MANAGE)],
                 _key: Idempotent) -> OfferRead:
    offer = offers_service.create_offer(
        session, org_ids=principal.org_ids_with(perms.OFFERS_MANAGE), data=body)
    return views.offers(session, [offer])[0]


@router.get("/market/offers/{offer_id}", response_model=OfferRead, summary="One offer")
def get_offer(offer_id: Id, session: DbSession,
              principal: Annotated[Principal, Guard(perms.OFFERS_READ)]) -> OfferRead:
    offer = offers_service.get_offer(session, offer_id, views.offer_scope(principal))
    return views.offers(session, [offer])[0]


@router.post("/market/offers/{offer_id}/withdraw", response_model=OfferRead,
             summary="Withdraw one of your offers (its contracts stand)")
def withdraw_offer(offer_id: Id, session: DbSession,
                   principal: Annotated[Principal, Guard(perms.OFFERS_MANAGE)],
                   _key: Idempotent) -> OfferRead:
    offer = offers_service.withdraw_offer(
        session, org_ids=principal.org_ids_with(perms.OFFERS_MANAGE), offer_id=offer_id)
    return views.offers(session, [offer])[0]


@router.get("/market/provider/offers", response_model=Page[OfferRead],
            summary="Your organisations' offers, withdrawn ones too (all, for oversight)")
def own_offers(session: DbSession,
               principal: Annotated[Principal, Guard(perms.OFFERS_OWN_READ)],
               page: Pages) -> Page[OfferRead]:
    rows, total = repository.offers_of(session, views.offer_scope(principal),
                                       limit=page.limit, offset=page.offset)
    return Page(items=views.offers(session, rows), total=total, limit=page.limit,
                offset=page.offset)
