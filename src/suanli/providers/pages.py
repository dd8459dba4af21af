"""Providers' pages: data centres, clusters with their attestation status, keys."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.catalog import repository as catalog_repo
from suanli.catalog.forms import FormFields, app_error, field_errors, optional
from suanli.deps import DbSession, Guard
from suanli.documents.api import read_upload
from suanli.kit.errors import AppError, ValidationFailed
from suanli.providers import overview, provenance, repository, service
from suanli.providers import permissions as perms
from suanli.providers import reasons as _reasons  # noqa: F401 - registers the reasons
from suanli.providers.schemas import ClusterCreate, DataCentreCreate
from suanli.providers.views import manage_scope, read_scope
from suanli.web import names
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.PROVIDERS_READ)]
Manager = Annotated[Principal, Guard(perms.PROVIDERS_MANAGE)]

DC_FIELDS = ("organisation_id", "name", "name_zh", "hub_id", "city_id", "operator_type",
             "pue", "green_share", "racks", "time_zone")
CLUSTER_FIELDS = ("data_centre_id", "name", "accelerator_model", "nodes", "gpus_per_node",
                  "interconnect", "attestation_key")


def _provider_orgs(request: Request, session: DbSession, principal: Principal
                   ) -> list[tuple[int | str, str]]:
    return names.choices(session, language(request), [
        g.organisation_id for g in principal.grants if g.role == Role.PROVIDER])


def _data_centres(request: Request, session: DbSession, principal: Principal, *,
                  values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                  status: int = 200) -> Response:
    rows = repository.data_centres(session, read_scope(principal))
    lang = language(request)
    return render(request, "providers/data_centres.html", status, data_centres=rows,
                  names=overview.organisation_names(session, {d.organisation_id for d in rows}),
                  location=service.location_key, orgs=_provider_orgs(request, session, principal),
                  hub_options=[(h.id, translate(lang, f"catalog.hub_name.{h.id}") if lang == "zh"
                               else h.name) for h in catalog_repo.hubs(session)],
                  city_options=[(c.id, c.name_zh if language(request) == "zh" else c.name)
                                for c in catalog_repo.cities(session)],
                  can_manage=principal.can(perms.PROVIDERS_MANAGE),
                  values=values or {"operator_type": "state"}, errors=errors or {})


@router.get("/providers/data-centres", response_class=HTMLResponse)
def data_centres_page(request: Request, session: DbSession, principal: Reader) -> Response:
    return _data_centres(request, session, principal)


def _validated(schema: type[BaseModel], values: dict[str, Any]) -> Any:
    return schema.model_validate({k: v for k, v in values.items() if v is not None})


@router.post("/providers/data-centres", response_class=HTMLResponse)
def data_centres_submit(request: Request, session: DbSession, principal: Manager,
                        fields: FormFields) -> Response:
    values = optional(fields, DC_FIELDS)
    try:
        data = _validated(DataCentreCreate, values)
        service.register_data_centre(session, org_ids=manage_scope(principal), data=data)
    except ValidationError as exc:
        return _data_centres(request, session, principal, values=values,
                             errors=field_errors(exc), status=422)
    except AppError as exc:
        return _data_centres(request, session, principal, values=values,
                             errors=app_error(exc), status=exc.status)
    return RedirectResponse("/providers/data-centres", status_code=303)


def _clusters(request: Request, session: DbSession, principal: Principal, *,
              values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
              status: int = 200) -> Response:
    scope = read_scope(principal)
    can_manage = principal.can(perms.PROVIDERS_MANAGE)
    own = repository.data_centres(session, manage_scope(principal)) if can_manage else []
    return render(request, "providers/clusters.html", status,
                  clusters=overview.views(session, repository.clusters(session, scope)),
                  data_centres=own, accelerators=catalog_repo.accelerators(session),
                  can_manage=can_manage, values=values or {"nodes": 1, "gpus_per_node": 8},
                  errors=errors or {})


@router.get("/providers/clusters", response_class=HTMLResponse)
def clusters_page(request: Request, session: DbSession, principal: Reader) -> Response:
    return _clusters(request, session, principal)


@router.post("/providers/clusters", response_class=HTMLResponse)
def clusters_submit(request: Request, session: DbSession, principal: Manager,
                    fields: FormFields) -> Response:
    values = optional(fields, CLUSTER_FIELDS)
    try:
        data = _validated(ClusterCreate, values)
        cluster = service.register_cluster(session, org_ids=manage_scope(principal), data=data)
    except ValidationError as exc:
        return _clusters(request, session, principal, values=values, errors=field_errors(exc),
                         status=422)
    except AppError as exc:
        return _clusters(request, session, principal, values=values, errors=app_error(exc),
                         status=exc.status)
    return RedirectResponse(f"/providers/clusters/{cluster.id}", status_code=303)


def cluster_page_context(session: DbSession, principal: Principal, cluster_id: int
                         ) -> dict[str, Any]:
    """Everything the cluster page shows; shared with the upload and key forms."""
    cluster = service.get_cluster(session, cluster_id, read_scope(principal))
    (view,) = overview.views(session, [cluster])
    return {
        "view": view, "cluster": cluster,
        "attestations": repository.attestations(session, cluster.id, limit=20),
        "gpus": repository.attested_gpus(session, cluster.id),
        "cases": repository.cases_of(session, cluster.id)
        if principal.can(perms.COMPLIANCE_READ) else [],
        "documents": provenance.documents_of(session, cluster.id),
        "can_manage": cluster.organisation_id in manage_scope(principal),
        "can_decide": principal.can(perms.COMPLIANCE_DECIDE),
        "errors": {}, "values": {},
    }


@router.get("/providers/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(cluster_id: int, request: Request, session: DbSession,
                 principal: Reader) -> Response:
    context = cluster_page_context(session, principal, cluster_id)
    return render(request, "providers/cluster.html", **context)


@router.post("/providers/clusters/{cluster_id}/key", response_class=HTMLResponse)
def cluster_key_submit(cluster_id: int, request: Request, session: DbSession,
                       principal: Manager, fields: FormFields) -> Response:
    try:
        service.set_attestation_key(session, org_ids=manage_scope(principal),
                                    cluster_id=cluster_id,
                                    key=fields.get("attestation_key", ""))
    except AppError as exc:
        if exc.status == 404:
            raise
        context = cluster_page_context(session, principal, cluster_id)
        context["errors"] = app_error(exc)
        return render(request, "providers/cluster.html", exc.status, **context)
    return RedirectResponse(f"/providers/clusters/{cluster_id}", status_code=303)


@router.post("/providers/clusters/{cluster_id}/provenance", response_class=HTMLResponse)
def provenance_submit(
    cluster_id: int, request: Request, session: DbSession, principal: Manager,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form()] = "", document_date: Annotated[str, Form()] = "",
) -> Response:
    values = {"kind": kind, "document_date": document_date}
    try:
        when = _parse_date(document_date)
        if file is None or not file.filename:
            raise ValidationFailed(translate(language(request), "providers.provenance."
                                             "missing_file"), field="file")
        provenance.upload(session, org_ids=manage_scope(principal), user_id=principal.user_id,
                          cluster_id=cluster_id, filename=file.filename,
                          data=read_upload(request, file), kind=kind, document_date=when)
    except AppError as exc:
        if exc.status == 404:
            raise
        context = cluster_page_context(session, principal, cluster_id)
        context["errors"], context["values"] = app_error(exc), values
        return render(request, "providers/cluster.html", exc.status, **context)
    return RedirectResponse(f"/providers/clusters/{cluster_id}#provenance", status_code=303)


def _parse_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed("must be a date such as 2023-08-21",
                               field="document_date") from None
