"""Request and response shapes of the catalogue API."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from suanli.kit.nulls import null_refused
from suanli.kit.text import NO_CONTROL_BUT_BREAKS

MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}[a-z0-9]$")
# Control characters (NUL above all, which PostgreSQL cannot store) have no place in text
# people type; line breaks and tabs are allowed in longer notes.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: str) -> str:
    """Refuse control characters in a text field (pydantic reports the field)."""
    if CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


Text = Annotated[str, Field(json_schema_extra={"pattern": NO_CONTROL_BUT_BREAKS}),
                 AfterValidator(plain_text)]
NAMES_HELP = ("Names this model's parts report for themselves (NVML, npu-smi, cnmon ...), "
              "matched ignoring case and spacing; each name belongs to one model")

# Figures are JSON numbers at the edge (they are not money); kept exact as Decimal inside.
Figure = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
# multipleOf: decimal_places as the document states it (for JSON numbers).
CENTS: dict[str, float] = {"multipleOf": 0.01}
TFLOPS = Annotated[Decimal | None, Field(default=None, ge=0, le=1_000_000, decimal_places=2,
                                         json_schema_extra=CENTS)]
Count = Annotated[int | None, Field(default=None, ge=0, le=1_000_000)]


class AcceleratorFields(BaseModel):
    """Everything an administrator may set on a model except its id."""

    model_config = ConfigDict(extra="forbid")

    vendor: Text = Field(min_length=1, max_length=64)
    name: Text = Field(min_length=1, max_length=128)
    domestic: bool
    datacenter: bool = Field(description="Designed or marketed for data centres")
    bf16_tflops_dense: TFLOPS
    int8_tops_dense: TFLOPS
    memory_gb: Count
    memory_bw_gbs: Count
    interconnect_gbs: Count
    tdp_w: Count
    die_mm2: Annotated[Decimal | None, Field(default=None, gt=0, le=100_000, decimal_places=2,
                                             json_schema_extra=CENTS)]
    source: Text = Field(min_length=3, max_length=2000,
                         description="Where the figures come from (kept with every fact)")
    reported_names: list[Text] = Field(
        default_factory=list, max_length=50, description=NAMES_HELP)

    @field_validator("vendor", "name", "source")
    @classmethod
    def _stripped(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class AcceleratorCreate(AcceleratorFields):
    model: str = Field(description="Lower-case id such as `h100-sxm`",
                       json_schema_extra={"pattern": MODEL_ID.pattern})

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if not MODEL_ID.match(value):
            raise ValueError("must be 2-64 lower-case letters, digits, '.', '_' or '-'")
        return value


class AcceleratorUpdate(BaseModel):
    """A correction: only the fields given change; null clears a figure (unknown)."""

    # service.REQUIRED_FIELDS: these are never cleared.
    model_config = ConfigDict(extra="forbid", json_schema_extra=null_refused(
        only={"vendor", "name", "domestic", "datacenter", "source"}))

    vendor: Text | None = Field(default=None, min_length=1, max_length=64)
    name: Text | None = Field(default=None, min_length=1, max_length=128)
    domestic: bool | None = None
    datacenter: bool | None = None
    bf16_tflops_dense: TFLOPS
    int8_tops_dense: TFLOPS
    memory_gb: Count
    memory_bw_gbs: Count
    interconnect_gbs: Count
    tdp_w: Count
    die_mm2: Annotated[Decimal | None, Field(default=None, gt=0, le=100_000, decimal_places=2,
                                             json_schema_extra=CENTS)]
    source: Text | None = Field(default=None, min_length=3, max_length=2000)
    reported_names: list[Text] | None = Field(default=None, max_length=50,
                                              description=NAMES_HELP + "; replaces the list")


class AcceleratorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    model: str
    vendor: str
    name: str
    domestic: bool
    datacenter: bool
    bf16_tflops_dense: Figure | None
    int8_tops_dense: Figure | None
    memory_gb: int | None
    memory_bw_gbs: int | None
    interconnect_gbs: int | None
    tdp_w: int | None
    die_mm2: Figure | None
    source: str
    reported_names: list[str] = Field(description=NAMES_HELP)
    eccn: str = Field(description="3A090.a, 3A090.b, not-3A090 or undetermined")
    eccn_reason: str
    updated_at: datetime
    corrected_at: datetime | None


class HubRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    hub: str
    province: str
    side: str
    pue_target: Figure
    lat: float
    lon: float
    role: str
    source: str


class CityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    name_zh: str
    lat: float
    lon: float


class LatencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(ge=1, le=10_000, description="Measured round trip, whole ms")
    note: Text | None = Field(default=None, max_length=500,
                              description="How it was measured")


class LatencyOverrideRead(BaseModel):
    city_id: str
    hub_id: str
    latency_ms: int
    estimate_ms: int
    note: str | None
    set_at: datetime


class LatencyRead(BaseModel):
    """Round-trip ms from each city to each location: hub ids and `city:<id>` places."""

    latency_ms: dict[str, dict[str, int]]
    overrides: list[LatencyOverrideRead]
