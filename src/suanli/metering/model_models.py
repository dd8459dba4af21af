"""Tables of model services: a provider's offer of a registered model priced per million
tokens, a buyer's subscription to it (optionally paid in part by a model voucher), and the
token usage the provider reports for it through the JSON usage API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from suanli.kit.db import Base, BigId, UTCDateTime
from suanli.kit.timeutil import utcnow


class ModelOffer(Base):
    """A model service: a registered model (its filing number) at a price per million input
    and output tokens, in integer fen."""

    __tablename__ = "model_offers"
    __table_args__ = (UniqueConstraint("provider_org_id", "model"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    filing_number: Mapped[str] = mapped_column(String(100))  # the model's registration
    price_in_fen_per_m: Mapped[int] = mapped_column(BigInteger)
    price_out_fen_per_m: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelSubscription(Base):
    """A buyer's use of a model offer, with the voucher that pays the subsidy (or none) and
    what settlement has billed so far: running totals, so each settlement bills what the
    running total adds (the rounding never drifts)."""

    __tablename__ = "model_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("model_offers.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id"), index=True)
    # Prices copied from the offer when subscribed: a later price change does not reprice.
    price_in_fen_per_m: Mapped[int] = mapped_column(BigInteger)
    price_out_fen_per_m: Mapped[int] = mapped_column(BigInteger)
    billed_tokens_in: Mapped[int] = mapped_column(BigInteger, default=0)
    billed_tokens_out: Mapped[int] = mapped_column(BigInteger, default=0)
    billed_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # the whole charge
    subsidy_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # of it, the voucher's
    settlements: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TokenUsage(Base):
    """Tokens used on a subscription, as the provider reported them; re-sending the same
    ref adds nothing."""

    __tablename__ = "token_usage"
    __table_args__ = (UniqueConstraint("subscription_id", "source_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("model_subscriptions.id"),
                                                 index=True)
    model: Mapped[str] = mapped_column(String(100))
    source_ref: Mapped[str] = mapped_column(String(200))
    tokens_in: Mapped[int] = mapped_column(BigInteger)
    tokens_out: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
