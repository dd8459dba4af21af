"""SQL of model services: offers, subscriptions and their token usage."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from suanli.metering.model_models import ModelOffer, ModelSubscription, TokenUsage


def add(session: Session, row: ModelOffer | ModelSubscription | TokenUsage) -> None:
    session.add(row)
    session.flush()


def offer(session: Session, offer_id: int) -> ModelOffer | None:
    return session.get(ModelOffer, offer_id)


def offer_named(session: Session, provider_org_id: int, model: str) -> ModelOffer | None:
    return session.execute(select(ModelOffer).where(
        ModelOffer.provider_org_id == provider_org_id, ModelOffer.model == model)
    ).scalar_one_or_none()


def offers(session: Session, *, provider_ids: Collection[int] | None = None
           ) -> list[ModelOffer]:
    stmt = select(ModelOffer).where(ModelOffer.active.is_(True)).order_by(ModelOffer.id)
    if provider_ids is not None:
        stmt = stmt.where(ModelOffer.provider_org_id.in_(sorted(provider_ids)))
    return list(session.execute(stmt).scalars())


def subscription(session: Session, subscription_id: int, *, lock: bool = False
                 ) -> ModelSubscription | None:
    stmt = select(ModelSubscription).where(ModelSubscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return session.execute(stmt).scalar_one_or_none()


def subscriptions(session: Session, *, org_ids: Collection[int] | None
                  ) -> list[ModelSubscription]:
    """Subscriptions whose buyer or provider is one of `org_ids` (None: all)."""
    stmt = select(ModelSubscription).order_by(ModelSubscription.id)
    if org_ids is not None:
        ids = sorted(org_ids)
        stmt = stmt.where(ModelSubscription.buyer_org_id.in_(ids)
                          | ModelSubscription.provider_org_id.in_(ids))
    return list(session.execute(stmt).scalars())


def usage_exists(session: Session, subscription_id: int, ref: str) -> bool:
    return session.execute(select(TokenUsage.id).where(
        TokenUsage.subscription_id == subscription_id, TokenUsage.source_ref == ref)
    ).first() is not None


def token_totals(session: Session, subscription_ids: Collection[int]
                 ) -> dict[int, tuple[int, int]]:
    """Input and output tokens reported per subscription."""
    if not subscription_ids:
        return {}
    rows = session.execute(
        select(TokenUsage.subscription_id, func.coalesce(func.sum(TokenUsage.tokens_in), 0),
               func.coalesce(func.sum(TokenUsage.tokens_out), 0))
        .where(TokenUsage.subscription_id.in_(sorted(subscription_ids)))
        .group_by(TokenUsage.subscription_id)).all()
    return {sid: (int(i), int(o)) for sid, i, o in rows}
