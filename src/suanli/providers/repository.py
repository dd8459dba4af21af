"""All SQL of the providers domain."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from suanli.providers.models import (
    Attestation,
    AttestedGpu,
    CaseKind,
    CaseStatus,
    Cluster,
    ClusterStatus,
    ComplianceCase,
    DataCentre,
    ProvenanceRecord,
)

MAX_ID = 2**63 - 1  # BIGINT; a larger id names no row and would overflow the driver


def _usable(row_id: int) -> bool:
    return 0 < row_id <= MAX_ID


def data_centre(session: Session, dc_id: int) -> DataCentre | None:
    return session.get(DataCentre, dc_id) if _usable(dc_id) else None


def data_centres(session: Session, org_ids: Collection[int] | None) -> list[DataCentre]:
    """Data centres of the given organisations (all when None), by name."""
    stmt = select(DataCentre).order_by(DataCentre.name, DataCentre.id)
    if org_ids is not None:
        stmt = stmt.where(DataCentre.organisation_id.in_(list(org_ids)))
    return list(session.execute(stmt).scalars())


def data_centre_by_name(session: Session, org_id: int, name: str) -> DataCentre | None:
    stmt = select(DataCentre).where(DataCentre.organisation_id == org_id,
                                    DataCentre.name == name)
    return session.execute(stmt).scalars().first()


def cluster(session: Session, cluster_id: int) -> Cluster | None:
    return session.get(Cluster, cluster_id) if _usable(cluster_id) else None


def clusters(session: Session, org_ids: Collection[int] | None, *,
             data_centre_id: int | None = None,
             statuses: Collection[ClusterStatus] | None = None) -> list[Cluster]:
    """Clusters of the given organisations (all when None), newest first."""
    stmt = select(Cluster).order_by(Cluster.id.desc())
    if org_ids is not None:
        stmt = stmt.where(Cluster.organisation_id.in_(list(org_ids)))
    if data_centre_id is not None:
        stmt = stmt.where(Cluster.data_centre_id == data_centre_id)
    if statuses is not None:
        stmt = stmt.where(Cluster.status.in_([str(s) for s in statuses]))
    return list(session.execute(stmt).scalars())


def cluster_by_name(session: Session, dc_id: int, name: str) -> Cluster | None:
    stmt = select(Cluster).where(Cluster.data_centre_id == dc_id, Cluster.name == name)
    return session.execute(stmt).scalars().first()


def clusters_of_model(session: Session, model: str) -> list[Cluster]:
    stmt = select(Cluster).where(Cluster.accelerator_model == model).order_by(Cluster.id)
    return list(session.execute(stmt).scalars())


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


# --- compliance cases --------------------------------------------------------------------


def case(session: Session, case_id: int) -> ComplianceCase | None:
    return session.get(ComplianceCase, case_id) if _usable(case_id) else None


def cases_of(session: Session, cluster_id: int, *, status: CaseStatus | None = None,
             kind: CaseKind | None = None) -> list[ComplianceCase]:
    stmt = select(ComplianceCase).where(ComplianceCase.cluster_id == cluster_id)
    if status is not None:
        stmt = stmt.where(ComplianceCase.status == str(status))
    if kind is not None:
        stmt = stmt.where(ComplianceCase.kind == str(kind))
    return list(session.execute(stmt.order_by(ComplianceCase.id)).scalars())


def cases(session: Session, *, status: CaseStatus | None, limit: int, offset: int
          ) -> tuple[list[ComplianceCase], int]:
    from suanli.kit.repository import paged

    stmt = select(ComplianceCase).order_by(ComplianceCase.id.desc())
    if status is not None:
        stmt = stmt.where(ComplianceCase.status == str(status))
    return paged(session, stmt, limit=limit, offset=offset)


def open_cases_for(session: Session, cluster_ids: Iterable[int]) -> list[ComplianceCase]:
    stmt = select(ComplianceCase).where(ComplianceCase.cluster_id.in_(list(cluster_ids)),
                                        ComplianceCase.status == str(CaseStatus.OPEN))
    return list(session.execute(stmt.order_by(ComplianceCase.id)).scalars())


# --- attestations ------------------------------------------------------------------------


def attestations(session: Session, cluster_id: int, *, limit: int = 50) -> list[Attestation]:
    stmt = (select(Attestation).where(Attestation.cluster_id == cluster_id)
            .order_by(Attestation.id.desc()).limit(limit))
    return list(session.execute(stmt).scalars())


def nonce_used(session: Session, cluster_id: int, nonce: str) -> bool:
    stmt = select(Attestation.id).where(Attestation.cluster_id == cluster_id,
                                        Attestation.nonce == nonce)
    return session.execute(stmt).first() is not None


def hostnames_of(session: Session, attestation_ids: Collection[int]) -> set[str]:
    if not attestation_ids:
        return set()
    stmt = select(Attestation.hostname).where(Attestation.id.in_(list(attestation_ids)))
    return set(session.execute(stmt).scalars())


def latest_verdicts(session: Session, cluster_id: int, hostnames: Collection[str]
                    ) -> dict[str, str]:
    """Each node's most recent verdict on this cluster (nodes never heard of are absent)."""
    if not hostnames:
        return {}
    latest = (select(Attestation.hostname, func.max(Attestation.id).label("last"))
              .where(Attestation.cluster_id == cluster_id,
                     Attestation.hostname.in_(list(hostnames)))
              .group_by(Attestation.hostname).subquery())
    stmt = select(Attestation.hostname, Attestation.verdict).join(
        latest, Attestation.id == latest.c.last)
    return {host: str(verdict) for host, verdict in session.execute(stmt)}


def attested_gpus(session: Session, cluster_id: int) -> list[AttestedGpu]:
    stmt = (select(AttestedGpu).where(AttestedGpu.cluster_id == cluster_id)
            .order_by(AttestedGpu.hostname, AttestedGpu.gpu_index))
    return list(session.execute(stmt).scalars())


def attested_counts(session: Session, cluster_id: int) -> tuple[int, int]:
    """(distinct attested nodes, attested GPUs) of a cluster."""
    stmt = select(func.count(func.distinct(AttestedGpu.hostname)), func.count()).where(
        AttestedGpu.cluster_id == cluster_id)
    nodes, gpus = session.execute(stmt).one()
    return int(nodes), int(gpus)


def attested_hosts(session: Session, cluster_id: int) -> set[str]:
    stmt = select(AttestedGpu.hostname).where(AttestedGpu.cluster_id == cluster_id).distinct()
    return set(session.execute(stmt).scalars())


def gpus_attested_elsewhere(session: Session, cluster_id: int, uuids: Collection[str]
                            ) -> dict[str, int]:
    """Which of these GPU UUIDs are attested for another cluster, and for which."""
    if not uuids:
        return {}
    stmt = select(AttestedGpu.uuid, AttestedGpu.cluster_id).where(
        AttestedGpu.uuid.in_(list(uuids)), AttestedGpu.cluster_id != cluster_id)
    return {uuid: int(cid) for uuid, cid in session.execute(stmt)}


def forget_gpus(session: Session, cluster_id: int, *, hostname: str | None = None) -> None:
    """Drop a cluster's attested GPUs (of one node when ``hostname`` is given)."""
    stmt = delete(AttestedGpu).where(AttestedGpu.cluster_id == cluster_id)
    if hostname is not None:
        stmt = stmt.where(AttestedGpu.hostname == hostname)
    session.execute(stmt)
    session.flush()


def provenance_records(session: Session, cluster_id: int) -> list[ProvenanceRecord]:
    stmt = (select(ProvenanceRecord).where(ProvenanceRecord.cluster_id == cluster_id)
            .order_by(ProvenanceRecord.id))
    return list(session.execute(stmt).scalars())
