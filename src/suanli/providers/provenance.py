"""Provenance evidence of clusters built on controlled foreign parts.

The files are stored by the ``documents`` domain (purpose ``provenance``, attached to
``("cluster", id)``); a ``provenance_records`` row adds what the document is (export
licence, purchase record, other) and the date it bears. A purchase record dated on or
after the control date (2023-11-17) is flagged for the auditor: such a part needed a
licence. Files may also come through the generic ``POST /api/v1/documents`` with
``object_type=cluster``; they count as evidence of kind "other".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.documents import service as documents
from suanli.documents.models import Document, Purpose
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.providers import permissions as perms
from suanli.providers import repository
from suanli.providers.models import Cluster, ClusterStatus, ProvenanceKind, ProvenanceRecord
from suanli.providers.screening import CONTROL_DATE, needs_provenance
from suanli.providers.service import get_cluster, rescreen

OBJECT_TYPE = "cluster"
CONTROL = date.fromisoformat(CONTROL_DATE)


@dataclass(frozen=True)
class ProvenanceDoc:
    document: Document
    kind: ProvenanceKind
    document_date: date | None

    @property
    def filename(self) -> str:
        return self.document.filename

    @property
    def url(self) -> str:
        return f"/api/v1/documents/{self.document.id}/content"

    @property
    def after_control_date(self) -> bool:
        """A purchase made once the controls applied: it needed a licence."""
        return (self.kind == ProvenanceKind.PURCHASE_RECORD and self.document_date is not None
                and self.document_date >= CONTROL)


def documents_of(session: Session, cluster_id: int) -> list[ProvenanceDoc]:
    """The cluster's provenance documents, oldest first, with their kind and date."""
    records = {r.document_id: r for r in repository.provenance_records(session, cluster_id)}
    out = []
    for document in documents.for_object(session, OBJECT_TYPE, cluster_id, Purpose.PROVENANCE):
        record = records.get(document.id)
        out.append(ProvenanceDoc(document, ProvenanceKind(record.kind) if record
                                 else ProvenanceKind.OTHER,
                                 record.document_date if record else None))
    return out


def _accepting(session: Session, cluster_id: int, org_ids: Collection[int],
               field: str = "cluster_id") -> Cluster:
    cluster = get_cluster(session, cluster_id, org_ids, field=field)
    if cluster.status == ClusterStatus.REJECTED:
        raise Conflict("the auditor rejected this cluster", field=field)
    if not needs_provenance(cluster.eccn, cluster.accelerator.domestic):
        raise ValidationFailed(f"a {cluster.eccn} part needs no provenance evidence",
                               field=field)
    return cluster


def _check_date(kind: ProvenanceKind, document_date: date | None) -> None:
    if document_date is None and kind != ProvenanceKind.OTHER:
        raise ValidationFailed("give the date the document bears (YYYY-MM-DD)",
                               field="document_date")
    if document_date is not None and document_date > utcnow().date():
        raise ValidationFailed("must not be in the future", field="document_date")


def upload(session: Session, *, org_ids: Collection[int], user_id: int | None,
           cluster_id: int, filename: str, data: bytes, kind: str,
           document_date: date | None) -> ProvenanceDoc:
    """Store a provenance document of one of the caller's clusters; audited, re-screened.

    Refused: another organisation's cluster (404), a rejected cluster (409), a part that
    needs no provenance or a bad kind, date or file (422/413, naming the field).
    """
    cluster = _accepting(session, cluster_id, org_ids)
    if kind not in set(ProvenanceKind):
        raise ValidationFailed("must be export_licence, purchase_record or other",
                               field="kind")
    what = ProvenanceKind(kind)
    _check_date(what, document_date)
    document = documents.upload(session, owner_org_id=cluster.organisation_id,
                                uploaded_by=user_id, filename=filename, data=data,
                                purpose=Purpose.PROVENANCE, object_type=OBJECT_TYPE,
                                object_id=cluster.id)
    repository.add(session, ProvenanceRecord(cluster_id=cluster.id, document_id=document.id,
                                             kind=what, document_date=document_date))
    audit.record(session, action="provenance.upload", object_type="cluster",
                 object_id=cluster.id, after={"document_id": document.id, "kind": str(what),
                                              "document_date": None if document_date is None
                                              else document_date.isoformat()},
                 organisation_id=cluster.organisation_id)
    rescreen(session, cluster)
    return ProvenanceDoc(document, what, document_date)


def _attach(session: Session, principal: Principal, object_id: str) -> documents.Attachment:
    """The generic upload route's check: only a cluster of the caller's own organisation."""
    if not object_id.isdigit():
        raise ValidationFailed("must be a cluster id", field="object_id")
    cluster = _accepting(session, int(object_id), principal.org_ids_with(perms.PROVIDERS_MANAGE),
                         field="object_id")
    return documents.Attachment(cluster.organisation_id, Purpose.PROVENANCE)


def _readers(session: Session, document: Document) -> documents.Readers:
    """The platform admin screens clusters (compliance cases), so it reads their
    provenance; the owning provider and auditors read it anyway."""
    return documents.Readers(anywhere=frozenset({Role.PLATFORM_ADMIN}))


documents.register(OBJECT_TYPE, attach=_attach, readers=_readers)
