"""Request and response shapes of the providers API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from suanli.catalog.schemas import Text
from suanli.providers.models import CaseKind, CaseStatus, ClusterStatus, OperatorType, Verdict

Figure = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class DataCentreCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: int | None = Field(
        default=None, description="Your provider organisation; needed only if you manage several")
    name: Text = Field(min_length=1, max_length=200)
    name_zh: Text | None = Field(default=None, max_length=200)
    hub_id: str | None = Field(default=None, description="One of the ten hub ids, if in a hub")
    city_id: str | None = Field(default=None, description="City id; required when not in a hub")
    operator_type: OperatorType
    pue: Decimal = Field(ge=1, le=3, decimal_places=2, description="Power usage effectiveness",
                         json_schema_extra={"multipleOf": 0.01})
    green_share: Decimal = Field(ge=0, le=1, decimal_places=3, json_schema_extra={
                                     "multipleOf": 0.001},
                                description="Share of power from renewables, 0-1")
    racks: int = Field(ge=1, le=1_000_000)
    time_zone: str | None = Field(default=None, max_length=64,
                                  description="IANA zone of the local times its clusters' "
                                              "exports print (default Asia/Shanghai)")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and value not in available_timezones():
            raise ValueError(f"{value!r} is not an IANA time zone such as Asia/Shanghai")
        return value


class DataCentreRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    organisation_id: int
    name: str
    name_zh: str | None
    hub_id: str | None
    city_id: str | None
    location: str = Field(description="Hub id, or `city:<id>` outside the hubs")
    operator_type: OperatorType
    pue: Figure
    green_share: Figure
    racks: int
    time_zone: str | None = None
    created_at: datetime


class ClusterCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_centre_id: int
    name: Text = Field(min_length=1, max_length=200)
    accelerator_model: Text = Field(min_length=1, max_length=64)
    nodes: int = Field(ge=1, le=100_000)
    gpus_per_node: int = Field(ge=1, le=64)
    interconnect: Text = Field(default="", max_length=100,
                              description="e.g. `NVLink 400 GB/s, 8 x 200G RoCE`")
    attestation_key: str | None = Field(
        default=None, description="Ed25519 public key (PEM or base64) the agent signs with")


class AttestationKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attestation_key: Text = Field(min_length=1, max_length=1000)


class ReasonRead(BaseModel):
    key: str
    text: str
    params: dict[str, Any]


class ClusterRead(BaseModel):
    id: int
    organisation_id: int
    data_centre_id: int
    name: str
    accelerator_model: str
    nodes: int
    gpus_per_node: int
    gpus: int
    interconnect: str
    eccn: str
    status: ClusterStatus
    listable: bool
    reasons: list[ReasonRead]
    attestation_key: str | None
    attested_nodes: int
    attested_gpus: int
    attested_at: datetime | None
    location: str
    created_at: datetime


class GpuReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(ge=0, le=1023)
    name: Text = Field(min_length=1, max_length=200)
    uuid: Text = Field(min_length=1, max_length=100)
    memory_total_mib: int = Field(ge=0, le=10_000_000)


class AttestationPayload(BaseModel):
    """One node's inventory; signed in canonical JSON (see providers/attestation.py)."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    cluster_id: int
    hostname: Text = Field(min_length=1, max_length=255)
    timestamp: datetime
    nonce: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    gpus: list[GpuReport] = Field(max_length=1024)

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone (UTC, ending in Z)")
        return value

    @field_validator("gpus")
    @classmethod
    def _unique(cls, value: list[GpuReport]) -> list[GpuReport]:
        uuids = [g.uuid for g in value]
        if len(set(uuids)) != len(uuids):
            raise ValueError("each GPU UUID may appear once")
        return value


class AttestationSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payload: dict[str, Any]
    signature: str = Field(min_length=1, max_length=200, description="base64 Ed25519")


class AttestationRead(BaseModel):
    id: int
    cluster_id: int
    hostname: str
    reported_at: datetime
    received_at: datetime
    gpu_count: int
    verdict: Verdict
    problems: list[ReasonRead]
    cluster_status: ClusterStatus
    reasons: list[ReasonRead]


class CaseRead(BaseModel):
    id: int
    cluster_id: int
    organisation_id: int
    kind: CaseKind
    status: CaseStatus
    opened_at: datetime
    opened_by: str
    details: dict[str, Any]
    decision: str | None
    decision_reason: str | None
    decided_at: datetime | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject", "lift"]
    reason: Text = Field(min_length=1, max_length=2000)


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)


class QueueItem(BaseModel):
    cluster: ClusterRead
    open_cases: list[CaseRead]


class ProvenanceRead(BaseModel):
    document_id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    kind: str
    document_date: date | None
    after_control_date: bool = Field(
        description="A purchase record dated on or after 2023-11-17: the part needed a licence")
    url: str
    uploaded_at: datetime
