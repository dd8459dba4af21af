"""Data centres and clusters: registration, scoping, screening and listability.

Screening itself is pure (``screening.py``); this module gathers the facts, stores the
resulting status on the cluster (``Cluster.status``, which the market reads) and audits
every change of status.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.audit.service import current_actor
from suanli.catalog import service as catalog
from suanli.catalog.models import Accelerator
from suanli.documents import service as documents
from suanli.documents.models import Purpose
from suanli.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from suanli.providers import repository
from suanli.providers.attestation import BadKey, parse_public_key
from suanli.providers.models import (
    CaseKind,
    CaseStatus,
    Cluster,
    ClusterStatus,
    ComplianceCase,
    DataCentre,
    Decision,
)
from suanli.providers.schemas import ClusterCreate, DataCentreCreate
from suanli.providers.screening import Facts, Reason, Screening, needs_provenance, screen

Scope = Collection[int] | None  # organisation ids the caller may see; None: all of them


@dataclass(frozen=True)
class Listability:
    """Whether a cluster's offers may be live, and the human reasons when not."""

    listable: bool
    reasons: list[str]
    details: tuple[Reason, ...] = ()
    status: ClusterStatus = ClusterStatus.PENDING


def location_key(data_centre: DataCentre) -> str:
    """Where a data centre is for latency: its hub id, or ``city:<id>`` outside the hubs."""
    if data_centre.hub_id:
        return data_centre.hub_id
    if data_centre.city_id is None:  # registration requires one of them
        raise ValueError(f"data centre {data_centre.id} has neither hub nor city")
    return catalog.city_location(data_centre.city_id)


def dc_snapshot(dc: DataCentre) -> dict[str, Any]:
    return {"name": dc.name, "hub_id": dc.hub_id, "city_id": dc.city_id,
            "operator_type": str(dc.operator_type), "pue": str(dc.pue),
            "green_share": str(dc.green_share), "racks": dc.racks}


def cluster_snapshot(cluster: Cluster) -> dict[str, Any]:
    return {"name": cluster.name, "data_centre_id": cluster.data_centre_id,
            "accelerator_model": cluster.accelerator_model, "nodes": cluster.nodes,
            "gpus_per_node": cluster.gpus_per_node, "interconnect": cluster.interconnect,
            "eccn": cluster.eccn, "status": str(cluster.status),
            "attestation_key": cluster.attestation_key}


def acting_organisation(org_ids: Collection[int], organisation_id: int | None) -> int:
    """The provider organisation a registration is for: the one named, or the only one."""
    if organisation_id is None:
        if len(org_ids) == 1:
            return next(iter(org_ids))
        if not org_ids:
            raise Forbidden("you manage no provider organisation", field="organisation_id")
        raise ValidationFailed("you manage several provider organisations: name one",
                               field="organisation_id")
    if organisation_id not in org_ids:
        raise Forbidden(f"you do not manage organisation {organisation_id}",
                        field="organisation_id")
    return organisation_id


def _check_place(session: Session, hub_id: str | None, city_id: str | None) -> None:
    if hub_id is None and city_id is None:
        raise ValidationFailed("give the hub the data centre is in, or its city",
                               field="hub_id")
    if hub_id is not None and catalog.find_hub(session, hub_id) is None:
        raise ValidationFailed(f"no hub {hub_id!r}; see GET /api/v1/catalog/hubs",
                               field="hub_id")
    if city_id is not None and catalog.find_city(session, city_id) is None:
        raise ValidationFailed(f"no city {city_id!r}; see GET /api/v1/catalog/cities",
                               field="city_id")


def register_data_centre(session: Session, *, org_ids: Collection[int],
                         data: DataCentreCreate) -> DataCentre:
    """A provider's new data centre in a hub or a city; audited.

    The schema bounds PUE to [1, 3], the green share to [0, 1] and racks to >= 1; here
    the place must exist and the name be new within the organisation.
    """
    org_id = acting_organisation(org_ids, data.organisation_id)
    _check_place(session, data.hub_id, data.city_id)
    if repository.data_centre_by_name(session, org_id, data.name) is not None:
        raise Conflict(f"your organisation already has a data centre {data.name!r}",
                       field="name")
    dc = DataCentre(organisation_id=org_id, name=data.name, name_zh=data.name_zh,
                    hub_id=data.hub_id, city_id=data.city_id, operator_type=data.operator_type,
                    pue=data.pue, green_share=data.green_share, racks=data.racks,
                    time_zone=data.time_zone)
    repository.add(session, dc)
    audit.record(session, action="data_centre.register", object_type="data_centre",
                 object_id=dc.id, after=dc_snapshot(dc), organisation_id=org_id)
    return dc


def get_data_centre(session: Session, dc_id: int, scope: Scope,
                    field: str = "data_centre_id") -> DataCentre:
    """The data centre if the caller may see it; 404 otherwise (whether or not it exists)."""
    dc = repository.data_centre(session, dc_id)
    if dc is None or (scope is not None and dc.organisation_id not in scope):
        raise NotFound(f"no data centre {dc_id}", field=field)
    return dc


def get_cluster(session: Session, cluster_id: int, scope: Scope,
                field: str = "cluster_id") -> Cluster:
    """The cluster if the caller may see it; 404 otherwise (whether or not it exists)."""
    cluster = repository.cluster(session, cluster_id)
    if cluster is None or (scope is not None and cluster.organisation_id not in scope):
        raise NotFound(f"no cluster {cluster_id}", field=field)
    return cluster


def _public_key(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_public_key(text)
    except BadKey as exc:
        raise ValidationFailed(str(exc), field="attestation_key") from None


def register_cluster(session: Session, *, org_ids: Collection[int],
                     data: ClusterCreate) -> Cluster:
    """A cluster in one of the caller's data centres, screened on the way in; audited.

    A data centre of another organisation is 404 (``data_centre_id``), an unknown model
    422 (``accelerator_model``). A foreign 3A090 part opens a provenance case.
    """
    dc = get_data_centre(session, data.data_centre_id, org_ids)
    accelerator = catalog.find_accelerator(session, data.accelerator_model)
    if accelerator is None:
        raise ValidationFailed(f"no accelerator model {data.accelerator_model!r} in the "
                               "catalogue", field="accelerator_model")
    if repository.cluster_by_name(session, dc.id, data.name) is not None:
        raise Conflict(f"data centre {dc.name!r} already has a cluster {data.name!r}",
                       field="name")
    cluster = Cluster(data_centre_id=dc.id, organisation_id=dc.organisation_id,
                      name=data.name, accelerator_model=accelerator.model, nodes=data.nodes,
                      gpus_per_node=data.gpus_per_node, interconnect=data.interconnect,
                      eccn=accelerator.eccn, status=ClusterStatus.PENDING,
                      attestation_key=_public_key(data.attestation_key))
    repository.add(session, cluster)
    audit.record(session, action="cluster.register", object_type="cluster",
                 object_id=cluster.id, after=cluster_snapshot(cluster),
                 organisation_id=cluster.organisation_id)
    rescreen(session, cluster)
    return cluster


def set_attestation_key(session: Session, *, org_ids: Collection[int], cluster_id: int,
                        key: str) -> Cluster:
    """Register (or rotate) the Ed25519 public key the cluster's agents sign with."""
    cluster = get_cluster(session, cluster_id, org_ids)
    new = _public_key(key)
    if new is None:
        raise ValidationFailed("must not be empty", field="attestation_key")
    before = cluster.attestation_key
    cluster.attestation_key = new
    session.flush()
    audit.record(session, action="cluster.attestation_key", object_type="cluster",
                 object_id=cluster.id, before={"attestation_key": before},
                 after={"attestation_key": new}, organisation_id=cluster.organisation_id)
    rescreen(session, cluster)
    return cluster


# --- screening ---------------------------------------------------------------------------


def open_case(session: Session, *, cluster: Cluster, kind: CaseKind,
              details: dict[str, Any]) -> ComplianceCase:
    """Open a compliance case on a cluster for the auditors; audited."""
    case = ComplianceCase(cluster_id=cluster.id, organisation_id=cluster.organisation_id,
                          kind=kind, status=CaseStatus.OPEN, details=details,
                          opened_by=current_actor(session).name)
    repository.add(session, case)
    audit.record(session, action="compliance_case.open", object_type="compliance_case",
                 object_id=case.id, after={"cluster_id": cluster.id, "kind": str(kind),
                                           "details": details},
                 organisation_id=cluster.organisation_id)
    outbox.emit(session, "compliance.case_opened", subject=("compliance_case", case.id),
                orgs={"provider": cluster.organisation_id}, payload={
                    "case_id": case.id, "cluster_id": cluster.id, "case_kind": kind})
    return case


def _case_facts(cases: list[ComplianceCase]) -> dict[str, Any]:
    facts: dict[str, Any] = {"holds": [], "mismatches": [], "approved": False, "rejected": None}
    for case in cases:
        if case.status == CaseStatus.OPEN and case.kind == CaseKind.HOLD:
            facts["holds"].append(str(case.details.get("reason", "")))
        elif case.status == CaseStatus.OPEN and case.kind == CaseKind.ATTESTATION_MISMATCH:
            facts["mismatches"] += [Reason.from_dict(p) for p in case.details.get("problems", [])]
        elif case.decision == Decision.REJECT:
            facts["rejected"] = case.decision_reason or "rejected"
        elif case.kind == CaseKind.PROVENANCE and case.decision == Decision.APPROVE:
            facts["approved"] = True
    return facts


def provenance_documents(session: Session, cluster_id: int) -> int:
    """How many provenance documents are attached to the cluster (documents domain)."""
    return documents.count_for(session, "cluster", cluster_id, Purpose.PROVENANCE)


def facts_for(session: Session, cluster: Cluster) -> Facts:
    """Everything screening needs to know about a cluster, read from the tables."""
    accelerator: Accelerator = cluster.accelerator
    cases = _case_facts(repository.cases_of(session, cluster.id))
    nodes, gpus = repository.attested_counts(session, cluster.id)
    return Facts(
        eccn=cluster.eccn, eccn_reason=accelerator.eccn_reason, domestic=accelerator.domestic,
        nodes=cluster.nodes, gpus_per_node=cluster.gpus_per_node,
        has_key=cluster.attestation_key is not None,
        provenance_documents=provenance_documents(session, cluster.id),
        provenance_approved=cases["approved"], rejected_reason=cases["rejected"],
        holds=tuple(cases["holds"]), mismatches=tuple(cases["mismatches"]),
        attested_nodes=nodes, attested_gpus=gpus,
    )


def _ensure_provenance_case(session: Session, cluster: Cluster, accelerator: Accelerator
                            ) -> None:
    if not needs_provenance(cluster.eccn, accelerator.domestic):
        return
    for case in repository.cases_of(session, cluster.id, kind=CaseKind.PROVENANCE):
        if case.status == CaseStatus.OPEN or case.decision == Decision.APPROVE:
            return
    open_case(session, cluster=cluster, kind=CaseKind.PROVENANCE, details={
        "eccn": cluster.eccn, "eccn_reason": accelerator.eccn_reason,
        "accelerator_model": cluster.accelerator_model})


def rescreen(session: Session, cluster: Cluster) -> Screening:
    """Screen the cluster again and store its status; audits a change. The market reads
    the status: offers of a cluster that is not listable show as suspended and leave
    search until it is listable again."""
    _ensure_provenance_case(session, cluster, cluster.accelerator)
    result = screen(facts_for(session, cluster))
    new = ClusterStatus(result.status)
    before = ClusterStatus(cluster.status)
    cluster.status = new
    cluster.status_reason = "; ".join(r.text for r in result.reasons) or None
    session.flush()
    if new != before:
        audit.record(session, action="cluster.status", object_type="cluster",
                     object_id=cluster.id, before={"status": str(before)},
                     after={"status": str(new), "reasons": cluster.status_reason},
                     organisation_id=cluster.organisation_id)
    return result


def listability(session: Session, cluster: Cluster) -> Listability:
    """Whether the cluster's offers may go live, with every human reason it waits.

    Read-only: computed from the current facts, so it always agrees with a fresh screen.
    """
    result = screen(facts_for(session, cluster))
    return Listability(result.listable, [r.text for r in result.reasons], result.reasons,
                       ClusterStatus(result.status))


def attested_gpu_uuids(session: Session, cluster_id: int) -> set[str]:
    """UUIDs of the GPUs proven present in the cluster by matching attestations."""
    return {gpu.uuid for gpu in repository.attested_gpus(session, cluster_id)}


def rescreen_model(session: Session, accelerator: Accelerator) -> None:
    """After the catalogue reclassified a model, re-screen every cluster built on it."""
    for cluster in repository.clusters_of_model(session, accelerator.model):
        if cluster.eccn != accelerator.eccn:
            before = cluster.eccn
            cluster.eccn = accelerator.eccn
            audit.record(session, action="cluster.reclassified", object_type="cluster",
                         object_id=cluster.id, before={"eccn": before},
                         after={"eccn": cluster.eccn},
                         organisation_id=cluster.organisation_id)
            rescreen(session, cluster)


if rescreen_model not in catalog.RECLASSIFY_HOOKS:
    catalog.RECLASSIFY_HOOKS.append(rescreen_model)
