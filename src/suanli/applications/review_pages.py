"""Pages for evidence uploads and for reviewers: the queue, decisions, held-up issuance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.applications import evidence, review, views
from suanli.applications import permissions as perms
from suanli.applications.pages import detail
from suanli.auth.principal import Principal
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.documents.api import read_upload
from suanli.kit.errors import AppError
from suanli.kit.money import MoneyError, parse_cny
from suanli.programs import access
from suanli.programs import repository as program_repo
from suanli.web.confirm import RejectConfirmed
from suanli.web.render import render

router = APIRouter(include_in_schema=False)
Applicant = Annotated[Principal, Guard(perms.APPLICATIONS_APPLY)]
Reviewer = Annotated[Principal, Guard(perms.APPLICATIONS_REVIEW)]


@router.post("/applications/{application_id}/evidence", response_class=HTMLResponse)
def evidence_submit(application_id: int, request: Request, session: DbSession,
                    principal: Applicant,
                    file: Annotated[UploadFile | None, File()] = None) -> Response:
    views.own(session, principal, application_id)
    try:
        if file is None or not file.filename:
            return detail(request, session, principal, application_id, status=422,
                          errors={"file": "choose a file to upload"})
        with session.begin_nested():
            evidence.attach(session, principal, application_id=application_id,
                            filename=file.filename, data=read_upload(request, file))
    except AppError as exc:
        return detail(request, session, principal, application_id, status=exc.status,
                      errors={"file": exc.detail})
    return RedirectResponse(f"/applications/{application_id}", status_code=303)


@router.get("/review", response_class=HTMLResponse)
def queue_page(request: Request, session: DbSession, principal: Reviewer) -> Response:
    rows = review.queue(session, authority_ids=access.reviewed_ids(principal))
    programs = {p.id: p for p in program_repo.programs(
        session, authority_ids=access.reviewed_ids(principal), public=False)}
    orgs = program_repo.organisations(session, {a.organisation_id for a in rows})
    return render(request, "applications/queue.html", applications=rows, programs=programs,
                  orgs={k: o.slug for k, o in orgs.items()})


@router.post("/applications/{application_id}/decision", response_class=HTMLResponse)
def decision_submit(application_id: int, request: Request, session: DbSession,
                    principal: Reviewer, _confirmed: RejectConfirmed,
                    fields: FormFields) -> Response:
    decision = fields.get("decision")
    if decision not in ("approve", "reject"):
        return detail(request, session, principal, application_id, status=422,
                      errors={"decision": "choose approve or reject"})
    value_text = (fields.get("value_cny") or "").strip()
    try:
        value = parse_cny(value_text, field="value_cny") if value_text else None
        with session.begin_nested():
            review.decide(session, application_id=application_id,
                          approve=decision == "approve", reason=fields.get("reason"),
                          value_fen=value, user_id=principal.user_id,
                          authority_ids=access.reviewed_ids(principal))
    except MoneyError as exc:
        return detail(request, session, principal, application_id, status=422,
                      errors={"value_cny": str(exc).split(": ", 1)[-1]})
    except AppError as exc:
        if exc.status == 404:
            raise
        return detail(request, session, principal, application_id, status=exc.status,
                      errors={exc.field or "form": exc.detail})
    return RedirectResponse(f"/applications/{application_id}", status_code=303)


@router.post("/applications/{application_id}/issue", response_class=HTMLResponse)
def issue_submit(application_id: int, request: Request, session: DbSession,
                 principal: Reviewer) -> Response:
    try:
        with session.begin_nested():
            review.issue_pending(session, application_id=application_id,
                                 user_id=principal.user_id,
                                 authority_ids=access.reviewed_ids(principal))
    except AppError as exc:
        if exc.status == 404:
            raise
        return detail(request, session, principal, application_id, status=exc.status,
                      errors={"form": exc.detail})
    return RedirectResponse(f"/applications/{application_id}", status_code=303)
