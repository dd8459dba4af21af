"""JSON routes of providers: data centres, clusters, keys and attestations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.documents.api import read_upload
from suanli.providers import attestations, provenance, repository, service, views
from suanli.providers import permissions as perms
from suanli.providers.models import ClusterStatus
from suanli.providers.schemas import (
    AttestationKeyIn,
    AttestationRead,
    AttestationSubmit,
    ClusterCreate,
    ClusterRead,
    DataCentreCreate,
    DataCentreRead,
    ProvenanceRead,
)
from suanli.providers.screening import Reason

router = APIRouter(tags=["providers"])
Reader = Annotated[Principal, Guard(perms.PROVIDERS_READ)]
Manager = Annotated[Principal, Guard(perms.PROVIDERS_MANAGE)]


@router.get("/providers/data-centres", response_model=list[DataCentreRead],
            summary="Data centres you may see (your organisations'; all for the platform "
                    "and auditors)")
def list_data_centres(session: DbSession, principal: Reader) -> list[DataCentreRead]:
    return [views.data_centre(dc)
            for dc in repository.data_centres(session, views.read_scope(principal))]


@router.post("/providers/data-centres", response_model=DataCentreRead, status_code=201,
             summary="Register a data centre in a hub or a city (audited)")
def create_data_centre(body: DataCentreCreate, session: DbSession, principal: Manager,
                       _key: Idempotent) -> DataCentreRead:
    dc = service.register_data_centre(session, org_ids=views.manage_scope(principal),
                                      data=body)
    return views.data_centre(dc)


@router.get("/providers/data-centres/{dc_id}", response_model=DataCentreRead,
            summary="One data centre")
def get_data_centre(dc_id: int, session: DbSession, principal: Reader) -> DataCentreRead:
    return views.data_centre(
        service.get_data_centre(session, dc_id, views.read_scope(principal), field="dc_id"))


@router.get("/providers/clusters", response_model=list[ClusterRead],
            summary="Clusters you may see, with their screening status and reasons")
def list_clusters(session: DbSession, principal: Reader,
                  status: ClusterStatus | None = None) -> list[ClusterRead]:
    rows = repository.clusters(session, views.read_scope(principal),
                               statuses=None if status is None else [status])
    return [views.cluster(session, c) for c in rows]


@router.post("/providers/clusters", response_model=ClusterRead, status_code=201,
             summary="Register a cluster in one of your data centres (screened; audited)")
def create_cluster(body: ClusterCreate, session: DbSession, principal: Manager,
                   _key: Idempotent) -> ClusterRead:
    cluster = service.register_cluster(session, org_ids=views.manage_scope(principal),
                                       data=body)
    return views.cluster(session, cluster)


@router.get("/providers/clusters/{cluster_id}", response_model=ClusterRead,
            summary="One cluster, with why it is not listable yet")
def get_cluster(cluster_id: int, session: DbSession, principal: Reader) -> ClusterRead:
    cluster = service.get_cluster(session, cluster_id, views.read_scope(principal))
    return views.cluster(session, cluster)


@router.put("/providers/clusters/{cluster_id}/attestation-key", response_model=ClusterRead,
            summary="Register or rotate the Ed25519 public key the agent signs with")
def put_attestation_key(cluster_id: int, body: AttestationKeyIn, session: DbSession,
                        principal: Manager, _key: Idempotent) -> ClusterRead:
    cluster = service.set_attestation_key(session, org_ids=views.manage_scope(principal),
                                          cluster_id=cluster_id, key=body.attestation_key)
    return views.cluster(session, cluster)


@router.get("/providers/clusters/{cluster_id}/attestations",
            response_model=list[AttestationRead], summary="Recent attestations, newest first")
def list_attestations(cluster_id: int, session: DbSession,
                      principal: Reader) -> list[AttestationRead]:
    cluster = service.get_cluster(session, cluster_id, views.read_scope(principal))
    state: tuple[Reason, ...] = service.listability(session, cluster).details
    return [views.attestation(a, cluster, state)
            for a in repository.attestations(session, cluster.id)]


@router.post("/providers/clusters/{cluster_id}/attestations", response_model=AttestationRead,
             status_code=201,
             summary="Post one node's signed GPU inventory (what `suanli-agent attest` does)")
def post_attestation(cluster_id: int, body: AttestationSubmit, session: DbSession,
                     principal: Manager, _key: Idempotent) -> AttestationRead:
    outcome = attestations.receive(session, org_ids=views.manage_scope(principal),
                                   cluster_id=cluster_id, payload=body.payload,
                                   signature=body.signature)
    cluster = service.get_cluster(session, cluster_id, None)
    return views.attestation(outcome.attestation, cluster, outcome.screening.reasons)


def _provenance_read(doc: provenance.ProvenanceDoc) -> ProvenanceRead:
    d = doc.document
    return ProvenanceRead(document_id=d.id, filename=d.filename, media_type=d.media_type,
                          size=d.size, sha256=d.sha256, kind=str(doc.kind),
                          document_date=doc.document_date,
                          after_control_date=doc.after_control_date, url=doc.url,
                          uploaded_at=d.created_at)


@router.get("/providers/clusters/{cluster_id}/provenance", response_model=list[ProvenanceRead],
            summary="The cluster's provenance documents (export licence, purchase records)")
def list_provenance(cluster_id: int, session: DbSession,
                    principal: Reader) -> list[ProvenanceRead]:
    cluster = service.get_cluster(session, cluster_id, views.read_scope(principal))
    return [_provenance_read(d) for d in provenance.documents_of(session, cluster.id)]


@router.post("/providers/clusters/{cluster_id}/provenance", response_model=ProvenanceRead,
             status_code=201,
             summary="Upload a provenance document of a controlled foreign part (PDF, image, "
                     "text; 10 MiB); audited")
def post_provenance(
    cluster_id: int, request: Request, session: DbSession, principal: Manager,
    _key: Idempotent, file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(min_length=1, json_schema_extra={
                                  "enum": ["export_licence", "purchase_record", "other"]},
                              description="export_licence, purchase_record or other")],
    document_date: Annotated[date | None, Form(description="Date on the document")] = None,
) -> ProvenanceRead:
    data = read_upload(request, file)
    doc = provenance.upload(session, org_ids=views.manage_scope(principal),
                            user_id=principal.user_id, cluster_id=cluster_id,
                            filename=file.filename or "", data=data, kind=kind,
                            document_date=document_date)
    return _provenance_read(doc)
