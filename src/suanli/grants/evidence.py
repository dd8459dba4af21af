"""Grant evidence as documents: a provider attaches purchase invoices to its own cluster
(`object_type=grant_evidence`, `object_id=<cluster id>`, through the generic upload route
or the grant form); the authorities of programs it applied to read them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.documents import service as documents
from suanli.documents.models import Document, Purpose
from suanli.grants import permissions as perms
from suanli.grants import repository
from suanli.grants.service import EVIDENCE_OBJECT
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.programs import repository as programs_repo
from suanli.providers import repository as providers_repo


def _attach(session: Session, principal: Principal, object_id: str) -> documents.Attachment:
    if not object_id.isdigit():
        raise ValidationFailed("must be a cluster id", field="object_id")
    cluster = providers_repo.cluster(session, int(object_id))
    if cluster is None or cluster.organisation_id not in principal.org_ids_with(
            perms.GRANTS_APPLY):
        raise NotFound(f"no cluster {object_id}", field="object_id")
    return documents.Attachment(cluster.organisation_id, Purpose.EVIDENCE)


def _readers(session: Session, document: Document) -> documents.Readers:
    """Reviewers and program admins of the programs the cluster applied to for grants."""
    text = document.object_id or ""
    cluster_id = int(text) if text.isdigit() else -1
    authorities: set[int] = set()
    for grant in repository.on_cluster(session, cluster_id):
        program = programs_repo.get(session, grant.program_id)
        if program is not None:
            authorities.add(program.authority_org_id)
    return documents.Readers(org_ids=frozenset(authorities),
                             roles=frozenset({Role.REVIEWER, Role.PROGRAM_ADMIN}),
                             anywhere=frozenset({Role.PLATFORM_ADMIN}))


documents.register(EVIDENCE_OBJECT, attach=_attach, readers=_readers)
