"""Tables of the providers domain: data centres and their clusters.

Attestation records, provenance decisions and compliance cases live beside these.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

import suanli.documents.models  # noqa: F401  (provenance records refer to documents)
from suanli.catalog.models import Accelerator
from suanli.kit.db import Base, BigId, JSONDoc, UTCDateTime
from suanli.kit.timeutil import utcnow


class OperatorType(StrEnum):
    STATE = "state"
    COMMERCIAL = "commercial"


class ClusterStatus(StrEnum):
    """Screening: `pending` until attested; controlled parts wait for an auditor's decision."""

    PENDING = "pending"  # registered, not yet attested
    AWAITING_DECISION = "awaiting_decision"  # 3A090 part: provenance and an auditor's decision
    LISTABLE = "listable"  # screened and attested: its offers may go live
    SUSPENDED = "suspended"  # attestation mismatch or compliance hold: offers are off
    REJECTED = "rejected"  # the auditor refused it


class DataCentre(Base):
    __tablename__ = "data_centres"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    city_id: Mapped[str | None] = mapped_column(ForeignKey("cities.id"))
    hub_id: Mapped[str | None] = mapped_column(ForeignKey("hubs.id"))
    operator_type: Mapped[OperatorType] = mapped_column(String(16))
    pue: Mapped[Decimal] = mapped_column(Numeric(4, 2))
    green_share: Mapped[Decimal] = mapped_column(Numeric(4, 3))  # 0..1 of power from renewables
    racks: Mapped[int] = mapped_column(Integer)
    # IANA zone of local times in its exports (Slurm); None: Asia/Shanghai.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cluster(Base):
    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    data_centre_id: Mapped[int] = mapped_column(ForeignKey("data_centres.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    accelerator_model: Mapped[str] = mapped_column(ForeignKey("accelerators.model"))
    nodes: Mapped[int] = mapped_column(Integer)
    gpus_per_node: Mapped[int] = mapped_column(Integer)
    interconnect: Mapped[str] = mapped_column(String(100))
    eccn: Mapped[str] = mapped_column(String(16))  # the accelerator's class at registration
    status: Mapped[ClusterStatus] = mapped_column(String(24), default=ClusterStatus.PENDING)
    status_reason: Mapped[str | None] = mapped_column(Text)
    attestation_key: Mapped[str | None] = mapped_column(String(100))  # Ed25519 public, base64
    attested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    data_centre: Mapped[DataCentre] = relationship(lazy="joined")
    accelerator: Mapped[Accelerator] = relationship(lazy="joined")

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node


class CaseKind(StrEnum):
    PROVENANCE = "provenance"  # a controlled foreign part: documents and a decision
    ATTESTATION_MISMATCH = "attestation_mismatch"  # the hardware is not what was claimed
    HOLD = "hold"  # an auditor suspended the cluster's offers


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Decision(StrEnum):
    APPROVE = "approve"  # provenance accepted, or a mismatch cleared (re-attestation needed)
    REJECT = "reject"  # the cluster may never list
    LIFT = "lift"  # a hold is lifted


class Verdict(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"


class ComplianceCase(Base):
    """Something an auditor must decide about a cluster; closed by a decision."""

    __tablename__ = "compliance_cases"
    __table_args__ = (Index("ix_compliance_cases_cluster_id_status", "cluster_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[CaseKind] = mapped_column(String(32))
    status: Mapped[CaseStatus] = mapped_column(String(16), default=CaseStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    decision: Mapped[Decision | None] = mapped_column(String(16))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attestation(Base):
    """One node's signed GPU inventory as received, with the platform's verdict."""

    __tablename__ = "attestations"
    # A nonce is accepted once per cluster: a replayed attestation is refused.
    __table_args__ = (UniqueConstraint("cluster_id", "nonce"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    hostname: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    gpu_count: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    signature: Mapped[str] = mapped_column(String(128))
    verdict: Mapped[Verdict] = mapped_column(String(16))
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)


class AttestedGpu(Base):
    """A GPU proven present by a matching attestation; a GPU belongs to one cluster only."""

    __tablename__ = "attested_gpus"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    attestation_id: Mapped[int] = mapped_column(ForeignKey("attestations.id"))
    hostname: Mapped[str] = mapped_column(String(255))
    gpu_index: Mapped[int] = mapped_column(Integer)
    uuid: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(64))
    memory_total_mib: Mapped[int] = mapped_column(Integer)
    attested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProvenanceKind(StrEnum):
    EXPORT_LICENCE = "export_licence"
    PURCHASE_RECORD = "purchase_record"  # should predate the control date, 2023-11-17
    OTHER = "other"  # customs declaration, invoice chain, vendor letter


class ProvenanceRecord(Base):
    """A provenance document of a cluster: what it is and the date it bears.

    The file itself is a `documents` row (purpose provenance, attached to the cluster).
    """

    __tablename__ = "provenance_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    kind: Mapped[ProvenanceKind] = mapped_column(String(32))
    document_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
