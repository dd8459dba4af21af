"""JSON routes of model services: providers offer registered models priced per million
tokens; buyers subscribe, optionally with a model voucher. Usage goes through the usage
API (`POST /metering/usage`, records with `subscription_id`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.errors import ValidationFailed
from suanli.kit.money import parse_cny
from suanli.metering import permissions as perms
from suanli.metering import token_repository as repo
from suanli.metering import tokens
from suanli.metering.token_schemas import (
    ModelOfferCreate,
    ModelOfferRead,
    SubscriptionCreate,
    SubscriptionRead,
)
from suanli.metering.token_views import offer_read, subscription_reads

router = APIRouter(tags=["model services"])
Offerer = Annotated[Principal, Guard(perms.MODELS_OFFER)]
Subscriber = Annotated[Principal, Guard(perms.MODELS_SUBSCRIBE)]
Reader = Annotated[Principal, Guard(perms.MODELS_READ)]


def one_org(principal: Principal, orgs: frozenset[int], field: str) -> int:
    if len(orgs) != 1:
        raise ValidationFailed("you act for several organisations; this needs exactly one",
                               field=field)
    return next(iter(orgs))


def read_scope(principal: Principal) -> frozenset[int] | None:
    """None (everything) for the platform and the regulator, else the caller's orgs."""
    return None if principal.can(perms.USAGE_READ_ALL) else principal.org_ids()


@router.post("/models/offers", response_model=ModelOfferRead, status_code=201,
             summary="Offer a registered model priced per million input and output tokens")
def create_offer(body: ModelOfferCreate, session: DbSession, principal: Offerer,
                 _key: Idempotent) -> ModelOfferRead:
    org = one_org(principal, principal.org_ids_with(perms.MODELS_OFFER), "model")
    offer = tokens.create_offer(
        session, provider_org_id=org, model=body.model, filing_number=body.filing_number,
        price_in_fen_per_m=parse_cny(body.price_in_cny_per_m, field="price_in_cny_per_m"),
        price_out_fen_per_m=parse_cny(body.price_out_cny_per_m, field="price_out_cny_per_m"))
    return offer_read(offer)


@router.get("/models/offers", response_model=list[ModelOfferRead],
            summary="Model services on offer")
def list_offers(session: DbSession, principal: Reader) -> list[ModelOfferRead]:
    return [offer_read(o) for o in repo.offers(session)]


@router.post("/models/subscriptions", response_model=SubscriptionRead, status_code=201,
             summary="Subscribe to a model service, optionally paying with a model voucher")
def subscribe(body: SubscriptionCreate, session: DbSession, principal: Subscriber,
              _key: Idempotent) -> SubscriptionRead:
    org = one_org(principal, principal.org_ids_with(perms.MODELS_SUBSCRIBE), "offer_id")
    sub = tokens.subscribe(session, buyer_org_id=org, offer_id=body.offer_id,
                           voucher_id=body.voucher_id)
    return subscription_reads(session, [sub])[0]


@router.get("/models/subscriptions", response_model=list[SubscriptionRead],
            summary="Your model-service subscriptions with their tokens and bills")
def list_subscriptions(session: DbSession, principal: Reader) -> list[SubscriptionRead]:
    return subscription_reads(session, repo.subscriptions(session,
                                                          org_ids=read_scope(principal)))
