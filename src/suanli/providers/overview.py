"""What pages show about clusters: status, reasons, attestation, organisation names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.providers import repository, service
from suanli.providers.models import Cluster
from suanli.providers.screening import needs_provenance


@dataclass(frozen=True)
class ClusterView:
    cluster: Cluster
    state: service.Listability
    attested_nodes: int
    attested_gpus: int
    organisation: str

    @property
    def needs_provenance(self) -> bool:
        return needs_provenance(self.cluster.eccn, self.cluster.accelerator.domestic)

    @property
    def location(self) -> str:
        return service.location_key(self.cluster.data_centre)


def organisation_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = frozenset(ids)
    if not wanted:
        return {}
    orgs, _ = auth_repo.list_orgs(session, ids=wanted, limit=len(wanted), offset=0)
    return {o.id: o.slug for o in orgs}


def views(session: Session, clusters: list[Cluster]) -> list[ClusterView]:
    """Each cluster with its screening state, attested counts and organisation slug."""
    names = organisation_names(session, {c.organisation_id for c in clusters})
    out = []
    for cluster in clusters:
        nodes, gpus = repository.attested_counts(session, cluster.id)
        out.append(ClusterView(cluster, service.listability(session, cluster), nodes, gpus,
                               names.get(cluster.organisation_id, "")))
    return out
