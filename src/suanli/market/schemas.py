"""Shapes of the market's JSON: money as decimal strings, times as ISO 8601 with a zone."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import POSITIVE_PATTERN, MoneyError, parse_cny
from suanli.market.models import ServiceClass

MONEY = "CNY as a decimal string with at most 2 places, such as \"9.80\""
POSITIVE: JsonDict = {"pattern": POSITIVE_PATTERN}  # what _positive_money accepts, for the document
# Ids of models, hubs, cities and organisations: checked before they reach a query (a NUL
# byte in a PostgreSQL query is a server error, not an answer).
MAX_ID = 2**63 - 1  # ids are BIGINT: a larger number is no id, not a server error
IDENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,63}$")
# check_ident's rule, for the OpenAPI document (check_ident stays the rule).
Ident = Annotated[str, Field(json_schema_extra={"pattern": IDENT.pattern})]


def check_ident(value: str, *, field: str) -> str:
    """An id as typed by a person or a script, or 422 naming the field."""
    if not IDENT.match(value):
        raise ValidationFailed("must be an id of letters, digits and '._:~-' (1-64)",
                               field=field)
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("must include a time zone, such as 2026-12-01T08:00:00+08:00")
    return value


def _positive_money(value: str) -> str:
    try:
        fen = parse_cny(value)
    except MoneyError as exc:
        raise ValueError(str(exc).split(": ", 1)[-1]) from None
    if fen <= 0:
        raise ValueError("must be more than 0")
    return value


class OfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster_id: int = Field(ge=1, le=MAX_ID)
    accelerator: str | None = Field(default=None, max_length=64,
                                    description="When given, must be the cluster's model")
    gpus: int = Field(ge=1, le=1_000_000)
    start_at: datetime
    end_at: datetime
    ask_cny_per_gpu_hour: str = Field(description=MONEY, json_schema_extra=POSITIVE)
    min_lease_hours: int = Field(default=1, ge=1, le=8784)
    service_class: ServiceClass = ServiceClass.TRAINING
    cancel_fee_rate: Decimal = Field(default=Decimal("0.2"), ge=0, le=1, decimal_places=3,
                                     json_schema_extra={"multipleOf": 0.001},
                                     description="Share of the undelivered cost owed when "
                                                 "a buyer cancels after the start")

    _zones = field_validator("start_at", "end_at")(_aware)
    _ask = field_validator("ask_cny_per_gpu_hour")(_positive_money)


class OfferRead(BaseModel):
    id: int
    organisation: str
    cluster_id: int
    cluster: str
    accelerator: str
    gpus: int
    free_gpus: int = Field(description="The most GPUs still free at some hour of the "
                                       "offer's remaining window")
    start_at: datetime
    end_at: datetime
    ask_cny_per_gpu_hour: str
    min_lease_hours: int
    service_class: str
    cancel_fee_rate: str
    status: str = Field(description="live, withdrawn, or suspended: live but its cluster "
                                    "may not list now (an attestation mismatch, a compliance "
                                    "hold), so it is out of search and cannot be bought")
    status_reason: str | None = Field(default=None, description="Why it is suspended")
    location: str
    hub: str | None
    city: str | None
    operator: str
    created_at: datetime


class OfferHit(OfferRead):
    """A search result: the offer and what it costs this buyer."""

    subsidy_rate: str
    effective_cny_per_gpu_hour: str
    voucher_accepted: bool | None
    latency_ms: int | None


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Ident | None = Field(default=None, description="Buyer slug; needed only "
                                     "when you buy for several startups")
    accelerators: list[Ident] = Field(default_factory=list, max_length=30)
    min_memory_gb: int | None = Field(default=None, ge=1, le=10_000)
    min_tflops: int | None = Field(default=None, ge=1, le=100_000)
    gpus: int = Field(ge=1, le=100_000)
    duration_hours: int = Field(ge=1, le=8784)
    earliest_start: datetime
    latest_end: datetime
    limit_cny_per_gpu_hour: str = Field(description=MONEY + "; what you pay yourself",
                                        json_schema_extra=POSITIVE)
    voucher_id: int | None = Field(default=None, ge=1, le=MAX_ID,
                                   description="The voucher you choose to spend")
    voucher_choice: Literal["none", "soonest"] = Field(
        default="none", description="Without voucher_id: soonest spends your voucher that "
        "expires first (and may pay for this order); none spends no voucher")
    origin_city: Ident | None = Field(default=None, max_length=64)
    max_latency_ms: int | None = Field(default=None, ge=1, le=1000)

    _zones = field_validator("earliest_start", "latest_end")(_aware)
    _limit = field_validator("limit_cny_per_gpu_hour")(_positive_money)


class OrderRead(BaseModel):
    id: int
    organisation: str
    accelerators: list[str]
    min_memory_gb: int | None
    min_tflops: int | None
    gpus: int
    duration_hours: int
    earliest_start: datetime
    latest_end: datetime
    limit_cny_per_gpu_hour: str
    voucher_id: int | None
    origin_city: str | None
    max_latency_ms: int | None
    status: str
    status_reason: str | None
    created_at: datetime


class PreviewOffer(BaseModel):
    offer_id: int
    provider: str
    location: str
    operator: str
    accelerator: str
    ask_cny_per_gpu_hour: str
    subsidy_rate: str
    effective_cny_per_gpu_hour: str
    voucher_accepted: bool | None
    earliest_start: datetime
    cost_cny: str
    subsidy_cny: str
    buyer_pays_cny: str


class PreviewReason(BaseModel):
    reason: str
    offers: int
    text: str


class VoucherOption(BaseModel):
    voucher_id: int
    valid_until: datetime
    available_cny: str


class VoucherChoice(VoucherOption):
    chosen_by: Literal["buyer", "soonest"] = Field(
        description="buyer: the one you named; soonest: your voucher expiring first")
    others: list[VoucherOption] = Field(description="Your other vouchers that could pay, "
                                        "expiring soonest first")


class Preview(BaseModel):
    accelerators: list[str]
    voucher: VoucherChoice | None = Field(default=None,
                                          description="The voucher this order would spend")
    can_match: bool
    candidates: list[PreviewOffer]
    reasons: list[PreviewReason]


class InstantBuy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Ident | None = None
    offer_id: int = Field(ge=1, le=MAX_ID)
    gpus: int = Field(ge=1, le=100_000)
    hours: int = Field(ge=1, le=8784)
    start_at: datetime | None = Field(default=None, description="A whole hour; default: "
                                      "the next whole hour")
    voucher_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    _zones = field_validator("start_at")(lambda v: v if v is None else _aware(v))


class PlacedGpu(BaseModel):
    """A GPU serving the contract from `since` until `until`."""

    gpu_uuid: str
    hostname: str
    since: datetime
    until: datetime
    placed_by: str


class PlacementSet(BaseModel):
    """The GPUs that serve the contract from a moment on (the time before keeps its GPUs)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    gpu_uuids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=4096, description="Attested GPUs of the contract's cluster, "
                                                   "at most the contract's GPUs")
    effective_from: datetime | None = Field(
        default=None, alias="from", description="From when (default: now, or the contract's "
                                                "start if later); ISO 8601 with an offset")

    _zones = field_validator("effective_from")(lambda v: v if v is None else _aware(v))

    @field_validator("gpu_uuids")
    @classmethod
    def _distinct(cls, uuids: list[str]) -> list[str]:
        if len(set(uuids)) != len(uuids):
            raise ValueError("a GPU is named twice")
        return uuids


class ContractRead(BaseModel):
    id: int
    source: str
    order_id: int | None
    round_id: int | None
    offer_id: int
    buyer: str
    provider: str
    accelerator: str
    gpus: int
    start_at: datetime
    end_at: datetime
    gpu_hours: int
    unit_price_cny: str
    subsidy_rate: str
    cost_cny: str
    subsidy_cny: str
    buyer_pays_cny: str
    voucher_id: int | None
    voucher_hold_id: str | None
    buyer_hold_id: str | None
    state: str
    cancel_charge_cny: str | None
    created_at: datetime
    placement: list[PlacedGpu] = Field(
        default_factory=list, description="Which GPUs serve it, when: recorded when it starts; "
                                          "usage of other GPUs is not billed to it")


class RoundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_at: datetime | None = Field(default=None, description="Default: the next whole hour")
    slots: int = Field(default=168, ge=1, le=24 * 31)
    time_limit_s: float = Field(default=30.0, gt=0, le=600)

    _zones = field_validator("start_at")(lambda v: v if v is None else _aware(v))


class RoundRead(BaseModel):
    id: int
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    horizon_start: datetime
    slot_hours: int
    slots: int
    orders: int
    offers: int
    result_status: str | None
    objective_cny: str | None
    contracts_written: int
    left_out: list[dict[str, Any]]
    shadow_prices: dict[str, Any] | None
    error: str | None


class Rerun(BaseModel):
    round_id: int
    same: bool
    differences: list[str]


class DepositCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation: Ident = Field(min_length=1, max_length=64)
    amount: str = Field(description=MONEY, json_schema_extra=POSITIVE)
    reference: str = Field(min_length=1, max_length=80, description="The bank's reference")

    _amount = field_validator("amount")(_positive_money)


class CashRead(BaseModel):
    organisation: str
    available_cny: str
    held_cny: str
    posted_cny: str


class DepositRead(CashRead):
    transfer_id: str
    amount_cny: str
    replayed: bool


class IndexPoint(BaseModel):
    accelerator: str
    day: date
    price_cny_per_gpu_hour: str
    gpu_hours: int
    contracts: int


class PriceIndex(BaseModel):
    days: int
    points: list[IndexPoint]
    shadow_prices: dict[str, str]
    shadow_round_id: int | None


class DepthRow(BaseModel):
    accelerator: str
    day: date
    demand_gpus: int
    supply_gpus: int


class Depth(BaseModel):
    days: int
    rows: list[DepthRow]


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
