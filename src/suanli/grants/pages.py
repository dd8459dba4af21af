"""Capacity-grant pages: providers apply (with the purchase invoice), the program's
reviewers decide, everyone involved sees the state and the listing now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.catalog.forms import app_error
from suanli.deps import DbSession, Guard
from suanli.documents.api import read_upload
from suanli.grants import listing, service
from suanli.grants import permissions as perms
from suanli.grants.api import money, one, visible
from suanli.grants.models import CapacityGrant, GrantStatus
from suanli.kit.errors import AppError, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.market.schemas import MAX_ID
from suanli.programs import grant_terms
from suanli.programs import repository as programs_repo
from suanli.programs.enums import ProgramStatus
from suanli.programs.rates import percent
from suanli.providers import repository as providers_repo
from suanli.web.i18n import translate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.GRANTS_READ)]
Applicant = Annotated[Principal, Guard(perms.GRANTS_APPLY)]
Decider = Annotated[Principal, Guard(perms.GRANTS_DECIDE)]
FIELDS = ("program_id", "cluster_id", "purchase_cny", "grant_cny")


def _names(session: DbSession, grants: list[CapacityGrant], lang: str
           ) -> tuple[dict[int, str], dict[int, str]]:
    programs = {}
    for pid in {g.program_id for g in grants}:
        p = programs_repo.get(session, pid)
        if p is not None:
            programs[pid] = p.name_zh if lang == "zh" and p.name_zh else p.name
    clusters = {}
    for cid in {g.cluster_id for g in grants}:
        c = providers_repo.cluster(session, cid)
        if c is not None:
            clusters[cid] = c.name
    return programs, clusters


def _choices(session: DbSession, principal: Principal, lang: str) -> dict[str, Any]:
    """What a provider may apply with: published programs that make grants, its own
    clusters of domestic chips."""
    if not principal.can(perms.GRANTS_APPLY):
        return {"can_apply": False, "programs_open": [], "own_clusters": []}
    programs = [p for p in programs_repo.programs(session, authority_ids=None, public=True,
                                                  statuses=[ProgramStatus.PUBLISHED])
                if p.capacity_grant]
    clusters = [c for c in providers_repo.clusters(session, principal.org_ids_with(
        perms.GRANTS_APPLY)) if c.accelerator.domestic]
    opened = []
    for p in programs:
        terms = grant_terms.parse(p.capacity_grant)
        assert terms is not None
        opened.append((p.id, p.name_zh if lang == "zh" and p.name_zh else p.name,
                       percent(terms.share_bp), terms.listing_days))
    return {"can_apply": True, "programs_open": opened,
            "own_clusters": [(c.id, c.name, c.accelerator.name) for c in clusters]}


def _list(request: Request, session: DbSession, principal: Principal, *,
          errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Response:
    lang = language(request)
    grants = visible(session, principal)
    programs, clusters = _names(session, grants, lang)
    return render(request, "grants/list.html", status, grants=grants, programs=programs,
                  clusters=clusters, errors=errors or {}, values=values or {},
                  **_choices(session, principal, lang))


@router.get("/capacity-grants", response_class=HTMLResponse)
def grants_page(request: Request, session: DbSession, principal: Reader) -> Response:
    return _list(request, session, principal)


def _int(text: str, field: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text.strip()) <= MAX_ID:
        raise ValidationFailed("choose one", field=field)
    return int(text.strip())


@router.post("/capacity-grants", response_class=HTMLResponse)
def grant_submit(request: Request, session: DbSession, principal: Applicant,
                 file: Annotated[UploadFile | None, File()] = None,
                 program_id: Annotated[str, Form()] = "", cluster_id: Annotated[str, Form()] = "",
                 purchase_cny: Annotated[str, Form()] = "",
                 grant_cny: Annotated[str, Form()] = "") -> Response:
    """Upload the invoice onto the cluster and apply, all or nothing."""
    values = {"program_id": program_id, "cluster_id": cluster_id,
              "purchase_cny": purchase_cny.strip(), "grant_cny": grant_cny.strip()}
    providers = principal.org_ids_with(perms.GRANTS_APPLY)
    try:
        with session.begin_nested():
            cluster = _int(cluster_id, "cluster_id")
            program = _int(program_id, "program_id")
            purchase = money(values["purchase_cny"] or "", "purchase_cny")
            assert purchase is not None
            if file is None or not file.filename:
                raise ValidationFailed(translate(language(request), "grants.missing_file"),
                                       field="evidence_document_ids")
            document = service.upload_evidence(
                session, provider_ids=providers, cluster_id=cluster, filename=file.filename,
                data=read_upload(request, file), user_id=principal.user_id)
            grant = service.submit(
                session, provider_ids=providers, program_id=program, cluster_id=cluster,
                purchase_fen=purchase, grant_fen=money(values["grant_cny"] or None, "grant_cny"),
                evidence_document_ids=[document.id], user_id=principal.user_id)
    except AppError as exc:
        errors = app_error(exc)
        if "file" in errors:
            errors["evidence_document_ids"] = errors.pop("file")
        return _list(request, session, principal, errors=errors, values=values,
                     status=exc.status)
    return RedirectResponse(f"/capacity-grants/{grant.id}", status_code=303)


def _detail(request: Request, session: DbSession, principal: Principal, grant: CapacityGrant,
            *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    lang = language(request)
    programs, clusters = _names(session, [grant], lang)
    now_problem = None
    if grant.status == GrantStatus.APPROVED:
        left = listing.problem(service.facts(session, grant, utcnow()))
        now_problem = "" if left is None else (left.zh if lang == "zh" else left.en)
    program = programs_repo.get(session, grant.program_id)
    can_decide = (grant.status == GrantStatus.SUBMITTED and program is not None
                  and program.authority_org_id in principal.org_ids(Role.REVIEWER))
    return render(request, "grants/detail.html", status, grant=grant,
                  program_name=programs.get(grant.program_id, ""),
                  cluster_name=clusters.get(grant.cluster_id, ""),
                  evidence=service.evidence_documents(session, grant), now_problem=now_problem,
                  share=percent(grant.share_bp),
                  can_decide=can_decide, errors=errors or {})


@router.get("/capacity-grants/{grant_id}", response_class=HTMLResponse)
def grant_page(grant_id: int, request: Request, session: DbSession,
               principal: Reader) -> Response:
    return _detail(request, session, principal, one(session, principal, grant_id))


@router.post("/capacity-grants/{grant_id}/decision", response_class=HTMLResponse)
def grant_decide(grant_id: int, request: Request, session: DbSession, principal: Decider,
                 decision: Annotated[str, Form()] = "",
                 reason: Annotated[str, Form()] = "") -> Response:
    try:
        with session.begin_nested():
            if decision not in ("approve", "reject"):
                raise ValidationFailed("choose approve or reject", field="decision")
            service.decide(session, reviewer_ids=principal.org_ids_with(perms.GRANTS_DECIDE),
                           grant_id=grant_id, approve=decision == "approve", reason=reason,
                           user_id=principal.user_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        grant = one(session, principal, grant_id)
        return _detail(request, session, principal, grant, errors=app_error(exc),
                       status=exc.status)
    return RedirectResponse(f"/capacity-grants/{grant_id}", status_code=303)
