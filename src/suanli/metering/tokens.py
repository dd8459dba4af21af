"""Model services: offers of registered models priced per million tokens, buyers'
subscriptions (with the model voucher that pays the subsidy), and the token usage that
providers report through the JSON usage API (`POST /api/v1/metering/usage`, records with
`subscription_id`, `model`, `tokens_in`, `tokens_out`). Settlement bills the tokens
(`settlement.tokens`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import as_utc, utcnow
from suanli.metering import token_repository as repo
from suanli.metering.model_models import ModelOffer, ModelSubscription, TokenUsage
from suanli.metering.parse_json import UsageRecordIn
from suanli.metering.rows import interval_ref
from suanli.programs.enums import ProviderMode
from suanli.programs.text import clean
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers.models import Voucher, VoucherStatus

FUTURE_SKEW = timedelta(minutes=5)


def create_offer(session: Session, *, provider_org_id: int, model: str, filing_number: str,
                 price_in_fen_per_m: int, price_out_fen_per_m: int) -> ModelOffer:
    """A provider's model service; one offer per model name and provider (409 naming
    `model` otherwise). A model voucher pays only for registered models, so the filing
    number is required."""
    name = clean(model, field="model", limit=100)
    filing = clean(filing_number, field="filing_number", limit=100)
    for value, field in ((price_in_fen_per_m, "price_in_cny_per_m"),
                         (price_out_fen_per_m, "price_out_cny_per_m")):
        if value < 0:
            raise ValidationFailed("must not be negative", field=field)
    if price_in_fen_per_m + price_out_fen_per_m == 0:
        raise ValidationFailed("a model service has a price", field="price_in_cny_per_m")
    if repo.offer_named(session, provider_org_id, name) is not None:
        raise Conflict(f"you already offer {name!r}", field="model")
    offer = ModelOffer(provider_org_id=provider_org_id, model=name, filing_number=filing,
                       price_in_fen_per_m=price_in_fen_per_m,
                       price_out_fen_per_m=price_out_fen_per_m, active=True)
    repo.add(session, offer)
    audit.record(session, action="model_offer.create", object_type="model_offer",
                 object_id=offer.id, organisation_id=provider_org_id,
                 after={"model": name, "filing_number": filing,
                        "price_in_fen_per_m": price_in_fen_per_m,
                        "price_out_fen_per_m": price_out_fen_per_m})
    return offer


def subscribe(session: Session, *, buyer_org_id: int, offer_id: int,
              voucher_id: int | None, now: datetime | None = None) -> ModelSubscription:
    """The buyer's subscription to a model offer at its current prices, paid in part by
    one of its model vouchers (`voucher_id`) or wholly by the buyer (None)."""
    offer = repo.offer(session, offer_id)
    if offer is None or not offer.active:
        raise NotFound(f"no model offer {offer_id}", field="offer_id")
    if voucher_id is not None:
        _check_voucher(session, voucher_id, buyer_org_id, offer, now or utcnow())
    sub = ModelSubscription(offer_id=offer.id, buyer_org_id=buyer_org_id,
                            provider_org_id=offer.provider_org_id, voucher_id=voucher_id,
                            price_in_fen_per_m=offer.price_in_fen_per_m,
                            price_out_fen_per_m=offer.price_out_fen_per_m, billed_tokens_in=0,
                            billed_tokens_out=0, billed_fen=0, subsidy_fen=0, settlements=0)
    repo.add(session, sub)
    audit.record(session, action="model_subscription.create", object_type="model_subscription",
                 object_id=sub.id, organisation_id=buyer_org_id,
                 after={"offer_id": offer.id, "voucher_id": voucher_id})
    return sub


def _check_voucher(session: Session, voucher_id: int, buyer_org_id: int, offer: ModelOffer,
                   now: datetime) -> Voucher:
    voucher = voucher_repo.get(session, voucher_id)
    if voucher is None or voucher.holder_org_id != buyer_org_id:
        raise NotFound(f"no voucher {voucher_id} held by your organisation",
                       field="voucher_id")
    if voucher.unit != "tokens":
        raise Conflict(f"voucher {voucher_id} pays for GPU-hours, not model services",
                       field="voucher_id")
    if voucher.status != VoucherStatus.ACTIVE or not voucher.valid_from <= now \
            < voucher.valid_until:
        raise Conflict(f"voucher {voucher_id} cannot pay now ({voucher.status})",
                       field="voucher_id")
    provider = session.get(Organisation, offer.provider_org_id)
    slug = provider.slug if provider is not None else ""
    listed = ProviderMode(voucher.provider_mode) is not ProviderMode.LIST \
        or slug in voucher.provider_slugs
    if not listed or slug in (voucher.excluded_providers or []):
        raise Conflict(f"voucher {voucher_id} does not pay provider {slug}",
                       field="voucher_id")
    return voucher


def record(session: Session, *, records: Sequence[tuple[int, UsageRecordIn]],
           org_ids: frozenset[int] | None, now: datetime | None = None) -> tuple[int, int]:
    """Store the token records (index in the request, record) of the reporter's
    subscriptions: all or none (the first bad one refused, naming `records[i].<field>`).
    Returns (accepted, duplicates); a record whose subscription and ref are stored already
    adds nothing."""
    now = now or utcnow()
    rows: list[TokenUsage] = []
    seen: set[tuple[int, str]] = set()
    duplicates = 0
    for index, rec in records:
        assert rec.subscription_id is not None and rec.model is not None
        assert rec.tokens_in is not None and rec.tokens_out is not None
        sub = _reporters(session, rec.subscription_id, org_ids, index)
        offer = repo.offer(session, sub.offer_id)
        if offer is None or offer.model != rec.model:
            raise ValidationFailed(f"subscription {sub.id} is to another model",
                                   field=f"records[{index}].model")
        start, end = as_utc(rec.start), as_utc(rec.end)
        if end > now + FUTURE_SKEW:
            raise ValidationFailed("ends in the future", field=f"records[{index}].end")
        ref = rec.ref or interval_ref(start, end)
        if (sub.id, ref) in seen or repo.usage_exists(session, sub.id, ref):
            duplicates += 1
            continue
        seen.add((sub.id, ref))
        rows.append(TokenUsage(subscription_id=sub.id, model=rec.model, source_ref=ref,
                               tokens_in=rec.tokens_in, tokens_out=rec.tokens_out,
                               started_at=start, ended_at=end, created_at=now))
    for row in rows:
        repo.add(session, row)
    return len(rows), duplicates


def _reporters(session: Session, subscription_id: int, org_ids: frozenset[int] | None,
               index: int) -> ModelSubscription:
    sub = repo.subscription(session, subscription_id)
    if sub is None or (org_ids is not None and sub.provider_org_id not in org_ids):
        raise NotFound(f"no subscription {subscription_id} of yours",
                       field=f"records[{index}].subscription_id")
    return sub


def visible(session: Session, subscription_id: int, org_ids: Collection[int] | None
            ) -> ModelSubscription:
    """A subscription the caller is party to (None: may read all), else 404."""
    sub = repo.subscription(session, subscription_id)
    if sub is None or (org_ids is not None and sub.buyer_org_id not in org_ids
                       and sub.provider_org_id not in org_ids):
        raise NotFound(f"no subscription {subscription_id}", field="subscription_id")
    return sub
