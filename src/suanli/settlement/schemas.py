"""Request and response shapes of the settlement API (money as decimal strings of CNY)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SettlementRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period_end: date = Field(description="The day (Asia/Shanghai) to settle, e.g. 2026-12-01")


class SettlementRunRead(BaseModel):
    period: date
    settled: int
    final: int
    unchanged: int
    charge_cny: str


class InvoiceLineRead(BaseModel):
    contract_id: int
    kind: str = Field(description="usage, cancellation, or adjustment (usage reported after "
                                  "the contract's final settlement)")
    provider_org_id: int
    provider: str
    gpu_hours: str
    unit_price_cny: str
    charge_cny: str
    voucher_share_cny: str
    buyer_share_cny: str
    uncovered_cny: str
    claim_id: int | None
    claim_status: str | None


class InvoiceRead(BaseModel):
    id: int
    number: str
    buyer_org_id: int
    buyer: str
    period: date
    charge_cny: str
    voucher_share_cny: str
    buyer_share_cny: str
    uncovered_cny: str
    lines: list[InvoiceLineRead] = Field(default_factory=list)


class StatementLineRead(BaseModel):
    period: date
    contract_id: int
    buyer: str
    gpu_hours: str
    charge_cny: str
    buyer_share_cny: str
    voucher_share_cny: str
    claim_status: str | None
    uncovered_cny: str


class StatementRead(BaseModel):
    provider_org_id: int
    provider: str
    since: date
    until: date
    paid_out_cny: str
    lines: list[StatementLineRead]


class ClaimRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    settlement_id: int
    contract_id: int
    program_id: int
    voucher_id: int
    authority_org_id: int
    claimant_org_id: int
    mode: str
    kind: str = Field(description="usage, cancellation, or adjustment")
    amount_cny: str
    status: str
    reason: str | None
    evidence: dict[str, Any]
    decided_at: datetime | None
    transfer_ids: list[str]
    created_at: datetime


class ClaimReject(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, description="Why the city refuses it")


class ClaimApprove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=1000)
