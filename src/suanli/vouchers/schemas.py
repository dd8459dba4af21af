"""Request and response shapes of the vouchers API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from suanli.programs.enums import ProviderMode
from suanli.programs.text import plain
from suanli.vouchers.models import VoucherStatus


class VoucherRead(BaseModel):
    id: int
    program_id: int
    program: str
    holder_org_id: int
    holder: str
    application_id: int | None
    status: VoucherStatus
    face_value_cny: str
    available_cny: str = Field(description="Spendable now (the ledger's available balance)")
    held_cny: str = Field(description="Reserved by contracts")
    spent_cny: str
    returned_cny: str = Field(description="Given back to the program by expiry or clawback")
    rates: dict[str, str]
    domestic_bonus: str
    max_rate: str
    provider_mode: ProviderMode
    providers: list[str] | None = Field(description="Allowed providers; null: any "
                                                    "(state-only: see provider_mode)")
    valid_from: datetime
    valid_until: datetime
    closed_at: datetime | None
    close_reason: str | None
    terms: dict[str, Any] | None = Field(
        description="The voucher as the clearing snapshot reads it (null where it depends on "
                    "the offers: state-only, or any provider but excluded ones)")
    tier: str | None = Field(default=None, description="The program's rate tier it carries")
    unit: str = Field(default="gpu_hours", description="What it pays for: gpu_hours (market "
                                                      "contracts) or tokens (model services)")
    funder_shares: list[str] | None = Field(
        default=None, description="Co-funded: its tier's split across the program's funders "
                                  "(in their order); null: the program's shares")
    excluded_providers: list[str] = Field(default_factory=list,
                                          description="Providers it never pays (affiliates)")
    max_contract_days: int | None = None
    contracts_signed_from: datetime | None = None
    awaiting_cny: str = Field(default="0.00", description="Later tranches still held on "
                              "the program's budget until their milestones")
    tranches: list[TrancheRead] = Field(default_factory=list,
                                        description="Release plan; empty: all at issue")


class TrancheRead(BaseModel):
    index: int
    share: str
    milestone: str
    amount_cny: str
    released_at: datetime | None = Field(description="null: waits for its milestone")
    reason: str | None = None


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, AfterValidator(plain)] = Field(
        min_length=1, max_length=500, description="How the milestone was met")


class ClawbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, AfterValidator(plain)] = Field(
        min_length=1, max_length=500, description="Why (fraud, misuse ...)")


class SweepRead(BaseModel):
    expired: int
    returned_cny: str
    residual_returned_cny: str
