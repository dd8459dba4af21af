"""Tables of the catalogue: accelerator models, hubs, cities and measured latencies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from suanli.kit.db import Base, UTCDateTime
from suanli.kit.timeutil import utcnow


class Accelerator(Base):
    """One accelerator model as published, with its export-control classification."""

    __tablename__ = "accelerators"

    model: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    domestic: Mapped[bool] = mapped_column(Boolean)
    datacenter: Mapped[bool] = mapped_column(Boolean)
    bf16_tflops_dense: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    int8_tops_dense: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    memory_gb: Mapped[int | None] = mapped_column(Integer)
    memory_bw_gbs: Mapped[int | None] = mapped_column(Integer)
    interconnect_gbs: Mapped[int | None] = mapped_column(Integer)
    tdp_w: Mapped[int | None] = mapped_column(Integer)
    die_mm2: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    source: Mapped[str] = mapped_column(Text)
    # Stored so that queues and searches can filter; recomputed whenever figures change.
    eccn: Mapped[str] = mapped_column(String(16))
    eccn_reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when an administrator added or corrected the row: loading the packaged CSV
    # again leaves such rows alone instead of reverting the correction.
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    names: Mapped[list[ReportedName]] = relationship(
        lazy="selectin", order_by="ReportedName.name", cascade="all, delete-orphan")

    @property
    def reported_names(self) -> list[str]:
        """The names this model's parts report for themselves (NVML, npu-smi, cnmon ...)."""
        return [n.name for n in self.names]


class ReportedName(Base):
    """A name a GPU reports for itself, and the one model it denotes (see
    ``reported_names.py``); the key makes a name belong to one model only."""

    __tablename__ = "accelerator_names"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # name_key(name)
    model: Mapped[str] = mapped_column(ForeignKey("accelerators.model"), index=True)
    name: Mapped[str] = mapped_column(String(128))


class Hub(Base):
    """One of the ten East Data West Computing clusters."""

    __tablename__ = "hubs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    hub: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100))
    side: Mapped[str] = mapped_column(String(8))
    pue_target: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    role: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)


class City(Base):
    __tablename__ = "cities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_zh: Mapped[str] = mapped_column(String(100))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class LatencyOverride(Base):
    """A measured round-trip latency between a city and a hub, set by an administrator."""

    __tablename__ = "latency_overrides"

    city_id: Mapped[str] = mapped_column(ForeignKey("cities.id"), primary_key=True)
    hub_id: Mapped[str] = mapped_column(ForeignKey("hubs.id"), primary_key=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
