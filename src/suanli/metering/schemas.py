"""Request and response shapes of the metering API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from suanli.metering.parse_json import UsageRecordIn

Percent = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
MAX_RECORDS = 5000


class UsageReport(BaseModel):
    """Usage of one or more contracts; stored whole or not at all."""

    model_config = ConfigDict(extra="forbid")

    records: list[UsageRecordIn] = Field(min_length=1, max_length=MAX_RECORDS)


class UnattributedRead(BaseModel):
    """GPU time of a record that no contract's placement held: reported, not billed."""

    record: int = Field(description="Index of the record in the request")
    gpu_uuid: str
    start: datetime
    end: datetime
    gpu_seconds: int
    reason: str


class UsageReportResult(BaseModel):
    batch_id: int
    accepted: int = Field(description="Records stored now (a GPU interval split at a contract "
                                      "boundary is one record per contract)")
    duplicates: int = Field(description="Records already stored before (same contract, "
                                        "ref and GPU): nothing added")
    flagged: int = Field(description="Stored records that reconciliation flagged")
    unattributed_gpu_seconds: int = Field(
        default=0, description="GPU-seconds of named GPUs that no contract's placement held "
                               "at the time (or not attested in the cluster named): not billed")
    unattributed: list[UnattributedRead] = Field(
        default_factory=list, description="The first 100 such stretches")


class UsageRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    contract_id: int
    source: str
    source_ref: str
    gpu_uuid: str | None
    gpus: int
    started_at: datetime
    ended_at: datetime
    gpu_seconds: int
    billable_gpu_seconds: int
    utilisation_pct: Percent | None
    flags: list[str]
    settlement_id: int | None


class UsageSummary(BaseModel):
    records: int
    gpu_seconds: int
    billable_gpu_seconds: int
    flagged: int


class ContractUsage(BaseModel):
    contract_id: int
    summary: UsageSummary
    items: list[UsageRecordRead]
    total: int
    limit: int
    offset: int


class BatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    run: str
    source: str
    channel: str
    filename: str | None
    accepted: int
    duplicates: int
    rejected: int
    flagged: int
    errors: list[dict[str, Any]]
    created_by: str
    created_at: datetime
