"""Request and response bodies of model services (offers, subscriptions)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ModelOfferCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=100, examples=["qwen2.5-72b-instruct"],
                       description="The model's name as buyers and usage records name it")
    filing_number: str = Field(min_length=1, max_length=100,
                               description="The model's registration (filing) number: model "
                                           "vouchers pay only for registered models")
    price_in_cny_per_m: str = Field(examples=["4.00"],
                                    description="CNY per million input tokens")
    price_out_cny_per_m: str = Field(examples=["12.00"],
                                     description="CNY per million output tokens")


class ModelOfferRead(BaseModel):
    id: int
    provider_org_id: int
    model: str
    filing_number: str
    price_in_cny_per_m: str
    price_out_cny_per_m: str


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    offer_id: int = Field(ge=1)
    voucher_id: int | None = Field(default=None, ge=1,
                                   description="A model voucher of yours that pays its "
                                               "program's share of the bills; null: none")


class SubscriptionRead(BaseModel):
    id: int
    offer_id: int
    model: str
    buyer_org_id: int
    provider_org_id: int
    voucher_id: int | None
    price_in_cny_per_m: str
    price_out_cny_per_m: str
    tokens_in: int = Field(description="Input tokens reported so far")
    tokens_out: int = Field(description="Output tokens reported so far")
    billed_tokens_in: int
    billed_tokens_out: int
    billed_cny: str = Field(description="Charged so far (running total)")
    subsidy_cny: str = Field(description="Of it, paid by the voucher")
    buyer_cny: str = Field(description="Of it, paid by the buyer")
    settlements: int
    created_at: datetime
