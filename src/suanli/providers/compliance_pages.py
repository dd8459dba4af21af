"""Auditors' pages: the compliance queue with its reasons, cases and decision forms."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.catalog.forms import FormFields, app_error
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.providers import compliance, overview, provenance, service
from suanli.providers import permissions as perms
from suanli.providers.pages import cluster_page_context
from suanli.providers.screening import Reason
from suanli.web.confirm import RejectConfirmed
from suanli.web.listing import Listing, paginate
from suanli.web.render import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.COMPLIANCE_READ)]
Decider = Annotated[Principal, Guard(perms.COMPLIANCE_DECIDE)]


@router.get("/compliance", response_class=HTMLResponse)
def queue_page(request: Request, session: DbSession, principal: Reader,
               query: Listing) -> Response:
    waiting = compliance.queue(session)
    names = overview.organisation_names(session, {e.cluster.organisation_id for e in waiting})
    entries, pager = paginate(waiting, query, "/compliance", keep=lambda e: (
        not query.status or str(e.cluster.status) == query.status) and query.matches(
        e.cluster.id, e.cluster.name, e.cluster.accelerator_model,
        names.get(e.cluster.organisation_id, "")))
    return render(request, "providers/queue.html", entries=entries, names=names, pager=pager,
                  statuses=sorted({str(e.cluster.status) for e in waiting}))


def _case_page(request: Request, session: DbSession, principal: Principal, case_id: int, *,
               errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
               status: int = 200) -> Response:
    case = compliance.get_case(session, case_id)
    cluster = service.get_cluster(session, case.cluster_id, None)
    (view,) = overview.views(session, [cluster])
    problems = [Reason.from_dict(p) for p in case.details.get("problems", [])]
    return render(request, "providers/case.html", status, case=case, view=view,
                  cluster=cluster, problems=problems,
                  documents=provenance.documents_of(session, cluster.id),
                  allowed=sorted(compliance.ALLOWED[case.kind]),
                  can_decide=principal.can(perms.COMPLIANCE_DECIDE),
                  errors=errors or {}, values=values or {})


@router.get("/compliance/cases/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, session: DbSession,
              principal: Reader) -> Response:
    return _case_page(request, session, principal, case_id)


@router.post("/compliance/cases/{case_id}/decision", response_class=HTMLResponse)
def decision_submit(case_id: int, request: Request, session: DbSession, principal: Decider,
                    _confirmed: RejectConfirmed, fields: FormFields) -> Response:
    values = {"decision": fields.get("decision", ""), "reason": fields.get("reason", "")}
    try:
        case = compliance.decide(session, case_id=case_id, decision=values["decision"],
                                 reason=values["reason"], user_id=principal.user_id)
    except AppError as exc:
        if exc.status == 404:
            raise
        return _case_page(request, session, principal, case_id, errors=app_error(exc),
                          values=values, status=exc.status)
    return RedirectResponse(f"/compliance/cases/{case.id}", status_code=303)


@router.post("/compliance/clusters/{cluster_id}/hold", response_class=HTMLResponse)
def hold_submit(cluster_id: int, request: Request, session: DbSession, principal: Decider,
                fields: FormFields) -> Response:
    try:
        case = compliance.hold(session, cluster_id=cluster_id, reason=fields.get("reason", ""))
    except AppError as exc:
        if exc.status == 404:
            raise
        context = cluster_page_context(session, principal, cluster_id)
        context["errors"] = app_error(exc)
        return render(request, "providers/cluster.html", exc.status, **context)
    return RedirectResponse(f"/compliance/cases/{case.id}", status_code=303)
