"""Turning clusters, attestations and cases into API shapes (shared by api modules)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.providers import permissions as perms
from suanli.providers import repository, service
from suanli.providers.models import Attestation, Cluster, ComplianceCase, DataCentre
from suanli.providers.schemas import (
    AttestationRead,
    CaseRead,
    ClusterRead,
    DataCentreRead,
    ReasonRead,
)
from suanli.providers.screening import Reason


def read_scope(principal: Principal) -> frozenset[int] | None:
    """Organisations whose data centres the caller may see; None for all of them."""
    if principal.can(perms.PROVIDERS_READ_ALL):
        return None
    return principal.org_ids_with(perms.PROVIDERS_READ)


def manage_scope(principal: Principal) -> frozenset[int]:
    return principal.org_ids_with(perms.PROVIDERS_MANAGE)


def reasons(items: Iterable[Reason]) -> list[ReasonRead]:
    return [ReasonRead(key=r.key, text=r.text, params=dict(r.params)) for r in items]


def data_centre(dc: DataCentre) -> DataCentreRead:
    return DataCentreRead(
        id=dc.id, organisation_id=dc.organisation_id, name=dc.name, name_zh=dc.name_zh,
        hub_id=dc.hub_id, city_id=dc.city_id, location=service.location_key(dc),
        operator_type=dc.operator_type, pue=dc.pue, green_share=dc.green_share,
        racks=dc.racks, time_zone=dc.time_zone, created_at=dc.created_at)


def cluster(session: Session, row: Cluster) -> ClusterRead:
    state = service.listability(session, row)
    nodes, gpus = repository.attested_counts(session, row.id)
    return ClusterRead(
        id=row.id, organisation_id=row.organisation_id, data_centre_id=row.data_centre_id,
        name=row.name, accelerator_model=row.accelerator_model, nodes=row.nodes,
        gpus_per_node=row.gpus_per_node, gpus=row.gpus, interconnect=row.interconnect,
        eccn=row.eccn, status=row.status, listable=state.listable,
        reasons=reasons(state.details), attestation_key=row.attestation_key,
        attested_nodes=nodes, attested_gpus=gpus, attested_at=row.attested_at,
        location=service.location_key(row.data_centre), created_at=row.created_at)


def attestation(row: Attestation, row_cluster: Cluster,
                screening_reasons: Iterable[Reason]) -> AttestationRead:
    return AttestationRead(
        id=row.id, cluster_id=row.cluster_id, hostname=row.hostname,
        reported_at=row.reported_at, received_at=row.received_at, gpu_count=row.gpu_count,
        verdict=row.verdict, problems=reasons(Reason.from_dict(p) for p in row.problems),
        cluster_status=row_cluster.status, reasons=reasons(screening_reasons))


def case(row: ComplianceCase) -> CaseRead:
    return CaseRead(
        id=row.id, cluster_id=row.cluster_id, organisation_id=row.organisation_id,
        kind=row.kind, status=row.status, opened_at=row.opened_at, opened_by=row.opened_by,
        details=row.details, decision=None if row.decision is None else str(row.decision),
        decision_reason=row.decision_reason, decided_at=row.decided_at)
