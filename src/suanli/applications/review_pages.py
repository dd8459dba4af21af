"""Pages for evidence uploads and for reviewers: the queue, decisions, held-up issuance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.applications import evidence, review, views
from suanli.applications import permissions as perms
from suanli.applications.models import Application
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
from suanli.web.listing import Listing, ListQuery, paginate
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
def queue_page(request: Request, session: DbSession, principal: Reviewer,
               query: Listing) -> Response:
    return _queue(request, session, principal, query=query)


def _queue(request: Request, session: DbSession, principal: Principal, *,
           query: ListQuery | None = None, status: int = 200,
           results: list[review.BatchResult] | None = None,
           errors: dict[str, str] | None = None) -> Response:
    query = query or ListQuery()
    waiting = review.queue(session, authority_ids=access.reviewed_ids(principal))
    programs = {p.id: p for p in program_repo.programs(
        session, authority_ids=access.reviewed_ids(principal), public=False)}
    orgs = program_repo.organisations(session, {a.organisation_id for a in waiting})

    def keep(a: Application) -> bool:
        program = programs.get(a.program_id)
        return (not query.status or str(a.status) == query.status) and query.matches(
            a.id, orgs[a.organisation_id].slug if a.organisation_id in orgs else "",
            program.name if program else "", (program.name_zh or "") if program else "")

    rows, pager = paginate(waiting, query, "/review", keep=keep)
    return render(request, "applications/queue.html", status, applications=rows,
                  programs=programs, pager=pager,
                  statuses=sorted({str(a.status) for a in waiting}),
                  orgs={k: o.slug for k, o in orgs.items()},
                  results=results or [], errors=errors or {})


@router.post("/review/batch", response_class=HTMLResponse)
async def batch_submit(request: Request, session: DbSession,
                       principal: Reviewer, _confirmed: RejectConfirmed) -> Response:
    """Batch review from the queue: the ticked applications, one decision and reason."""
    form = await request.form()
    ids = [int(v) for v in form.getlist("application_ids") if isinstance(v, str) and v.isdigit()]
    decision = str(form.get("decision") or "")
    if decision not in ("approve", "reject") or not ids:
        return _queue(request, session, principal, status=422, errors={
            "application_ids" if not ids else "decision": "tick applications and choose "
                                                          "approve or reject"})
    try:
        results = review.decide_batch(
            session, application_ids=ids, approve=decision == "approve",
            reason=str(form.get("reason") or ""), user_id=principal.user_id,
            authority_ids=access.reviewed_ids(principal))
    except AppError as exc:
        return _queue(request, session, principal, status=exc.status,
                      errors={exc.field or "form": exc.detail})
    return _queue(request, session, principal, results=results)


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
                          authority_ids=access.reviewed_ids(principal),
                          tier=(fields.get("tier") or "").strip() or None)
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
