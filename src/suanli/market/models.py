"""Tables of the market: offers, orders, clearing rounds and contracts.

Money is integer fen; a contract's money effects live in the ledger (its two holds),
the contract keeps only the figures of the match and the ids of those holds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from suanli.auth.models import Organisation
from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow
from suanli.providers.models import Cluster


class OfferStatus(StrEnum):
    LIVE = "live"
    WITHDRAWN = "withdrawn"


class ServiceClass(StrEnum):
    TRAINING = "training"
    INFERENCE = "inference"
    BATCH = "batch"


class OrderStatus(StrEnum):
    OPEN = "open"  # rests until a round matches it or the buyer cancels it
    MATCHED = "matched"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its window closed unmatched


class ContractState(StrEnum):
    RESERVED = "reserved"
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ContractSource(StrEnum):
    ROUND = "round"
    INSTANT = "instant"


class RoundStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Offer(Base):
    """Capacity a provider lists from one cluster: GPUs over a window at an ask."""

    __tablename__ = "market_offers"
    __table_args__ = (
        CheckConstraint("gpus > 0", name="gpus_positive"),
        CheckConstraint("end_at > start_at", name="window_forward"),
        CheckConstraint("ask_fen > 0", name="ask_positive"),
        Index("ix_market_offers_status_model", "status", "accelerator_model"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    accelerator_model: Mapped[str] = mapped_column(ForeignKey("accelerators.model"))
    gpus: Mapped[int] = mapped_column(Integer)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ask_fen: Mapped[int] = mapped_column(BigInteger)
    min_lease_hours: Mapped[int] = mapped_column(Integer)
    service_class: Mapped[ServiceClass] = mapped_column(String(16))
    # Share of the not-yet-delivered cost a buyer owes when cancelling after the start.
    cancel_fee_rate: Mapped[Decimal] = mapped_column(Numeric(4, 3))
    status: Mapped[OfferStatus] = mapped_column(String(16), default=OfferStatus.LIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cluster: Mapped[Cluster] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Order(Base):
    """A buyer's standing request for compute, resting until a round or a cancellation."""

    __tablename__ = "market_orders"
    __table_args__ = (
        CheckConstraint("gpus > 0", name="gpus_positive"),
        CheckConstraint("duration_hours > 0", name="duration_positive"),
        CheckConstraint("latest_end > earliest_start", name="window_forward"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    placed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accelerators: Mapped[list[str]] = mapped_column(JSONDoc)  # resolved models
    min_memory_gb: Mapped[int | None] = mapped_column(Integer)
    min_tflops: Mapped[int | None] = mapped_column(Integer)
    gpus: Mapped[int] = mapped_column(Integer)
    duration_hours: Mapped[int] = mapped_column(Integer)
    earliest_start: Mapped[datetime] = mapped_column(UTCDateTime)
    latest_end: Mapped[datetime] = mapped_column(UTCDateTime)
    limit_fen: Mapped[int] = mapped_column(BigInteger)
    # The vouchers domain owns the voucher; its id is kept without a foreign key so the
    # market's tables do not depend on that domain's migrations.
    voucher_id: Mapped[int | None] = mapped_column(BigInteger)
    origin_city_id: Mapped[str | None] = mapped_column(ForeignKey("cities.id"))
    max_latency_ms: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[OrderStatus] = mapped_column(String(16), default=OrderStatus.OPEN,
                                                index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Round(Base):
    """One clearing round: the snapshot it cleared and the result, kept for re-runs."""

    __tablename__ = "market_rounds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    status: Mapped[RoundStatus] = mapped_column(String(16), default=RoundStatus.RUNNING)
    trigger: Mapped[str] = mapped_column(String(16))  # cli, page, api, worker
    started_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    horizon_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_hours: Mapped[int] = mapped_column(Integer)
    slots: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    left_out: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDoc)
    shadow_prices: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    contracts_written: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Contract(Base):
    """A match of an order (or an instant buy) to an offer, with holds on both payers."""

    __tablename__ = "market_contracts"
    __table_args__ = (
        CheckConstraint("gpus > 0", name="gpus_positive"),
        CheckConstraint("end_at > start_at", name="window_forward"),
        CheckConstraint("subsidy_fen + buyer_pays_fen = cost_fen", name="money_adds_up"),
        Index("ix_market_contracts_offer_state", "offer_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[ContractSource] = mapped_column(String(16))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("market_orders.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("market_rounds.id"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("market_offers.id"))
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    accelerator_model: Mapped[str] = mapped_column(String(64))
    gpus: Mapped[int] = mapped_column(Integer)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    gpu_hours: Mapped[int] = mapped_column(BigInteger)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    subsidy_rate: Mapped[Decimal] = mapped_column(Numeric(7, 6))
    cost_fen: Mapped[int] = mapped_column(BigInteger)
    subsidy_fen: Mapped[int] = mapped_column(BigInteger)
    buyer_pays_fen: Mapped[int] = mapped_column(BigInteger)
    voucher_id: Mapped[int | None] = mapped_column(BigInteger)
    voucher_hold_id: Mapped[str | None] = mapped_column(String(100))
    buyer_hold_id: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[ContractState] = mapped_column(String(16), default=ContractState.RESERVED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    running_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_charge_fen: Mapped[int | None] = mapped_column(BigInteger)

    offer: Mapped[Offer] = relationship(lazy="joined")
    buyer: Mapped[Organisation] = relationship(lazy="joined", foreign_keys=[buyer_org_id])
    provider: Mapped[Organisation] = relationship(lazy="joined",
                                                  foreign_keys=[provider_org_id])
    # Which GPUs serve it, when (loaded only when read: the contract's API view shows it).
    placement: Mapped[list[ContractGpu]] = relationship(
        viewonly=True, order_by=lambda: [ContractGpu.since, ContractGpu.hostname,
                                         ContractGpu.gpu_uuid])


class ContractGpu(Base):
    """A GPU placed on a contract from `since` until `until`: which hardware serves it.

    Recorded when the contract starts (free attested GPUs of its cluster, chosen by
    `placing.choose`), changed by the provider; usage named by GPU UUID is attributed and
    billed only while the GPU is placed. A change ends the current rows, never edits the past.
    """

    __tablename__ = "market_contract_gpus"
    __table_args__ = (
        CheckConstraint("until > since", name="span_forward"),
        Index("ix_market_contract_gpus_gpu_uuid_since", "gpu_uuid", "since"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("market_contracts.id"), index=True)
    gpu_uuid: Mapped[str] = mapped_column(String(100))
    hostname: Mapped[str] = mapped_column(String(255))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
