"""Model offers and subscriptions as the API and the page show them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.kit.money import format_cny
from suanli.metering import token_repository as repo
from suanli.metering.model_models import ModelOffer, ModelSubscription
from suanli.metering.token_schemas import ModelOfferRead, SubscriptionRead


def offer_read(offer: ModelOffer) -> ModelOfferRead:
    return ModelOfferRead(id=offer.id, provider_org_id=offer.provider_org_id, model=offer.model,
                          filing_number=offer.filing_number,
                          price_in_cny_per_m=format_cny(offer.price_in_fen_per_m),
                          price_out_cny_per_m=format_cny(offer.price_out_fen_per_m))


def subscription_reads(session: Session, subs: list[ModelSubscription]
                       ) -> list[SubscriptionRead]:
    totals = repo.token_totals(session, [s.id for s in subs])
    out = []
    for sub in subs:
        offer = repo.offer(session, sub.offer_id)
        used_in, used_out = totals.get(sub.id, (0, 0))
        out.append(SubscriptionRead(
            id=sub.id, offer_id=sub.offer_id, model=offer.model if offer else "",
            buyer_org_id=sub.buyer_org_id, provider_org_id=sub.provider_org_id,
            voucher_id=sub.voucher_id, price_in_cny_per_m=format_cny(sub.price_in_fen_per_m),
            price_out_cny_per_m=format_cny(sub.price_out_fen_per_m), tokens_in=used_in,
            tokens_out=used_out, billed_tokens_in=sub.billed_tokens_in,
            billed_tokens_out=sub.billed_tokens_out, billed_cny=format_cny(sub.billed_fen),
            subsidy_cny=format_cny(sub.subsidy_fen),
            buyer_cny=format_cny(sub.billed_fen - sub.subsidy_fen),
            settlements=sub.settlements, created_at=sub.created_at))
    return out
