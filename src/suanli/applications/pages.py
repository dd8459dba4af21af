"""The startups' pages: applications, the profile, the application form with the live rule
preview, one application (evidence, submit)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from suanli.applications import evidence, repository, service, states, views
from suanli.applications import permissions as perms
from suanli.applications import reasons as _reasons  # noqa: F401 - registers the reasons
from suanli.applications.schemas import ProfileIn
from suanli.applications.states import ApplicationStatus
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError
from suanli.kit.money import MoneyError, format_cny, parse_cny
from suanli.programs import access
from suanli.programs import repository as program_repo
from suanli.programs.api import visible as visible_program
from suanli.programs.editor import pydantic_errors
from suanli.programs.enums import ProgramStatus
from suanli.programs.models import Program
from suanli.programs.service import city_names
from suanli.web.listing import Listing, known, paginate
from suanli.web.render import language, render

router = APIRouter(include_in_schema=False)
Applicant = Annotated[Principal, Guard(perms.APPLICATIONS_APPLY)]
Reader = Annotated[Principal, Guard(perms.APPLICATIONS_READ)]
PROFILE_INPUTS = ("registered_city", "annual_revenue_cny", "research_project_member",
                  "research_project_number", "headcount", "founded_on", "model_filings",
                  "credit_record", "other_subsidies", "affiliates", "organisation_type",
                  "project_lead")


def cities(request: Request) -> list[tuple[str, str]]:
    zh = language(request) == "zh"
    return sorted(((cid, pair[1] if zh else pair[0]) for cid, pair in city_names().items()),
                  key=lambda item: item[0])


def profile_body(fields: dict[str, str]) -> dict[str, Any]:
    """The profile inputs as the API's profile (blank: not given)."""
    get = {name: (fields.get(name) or "").strip() for name in PROFILE_INPUTS}
    member = {"yes": True, "no": False}.get(get["research_project_member"])
    return {
        "registered_city": get["registered_city"] or None,
        "annual_revenue_cny": get["annual_revenue_cny"] or None,
        "research_project_member": member,
        "research_project_number": get["research_project_number"] or None,
        "headcount": get["headcount"] or None, "founded_on": get["founded_on"] or None,
        "model_filings": get["model_filings"] or None,
        "credit_record": get["credit_record"] or None,
        "other_subsidies": [s.strip() for s in get["other_subsidies"].split(",") if s.strip()],
        "affiliates": [s.strip() for s in get["affiliates"].replace(",", " ").split()],
        "organisation_type": get["organisation_type"] or None,
        "project_lead": get["project_lead"] or None,
    }


def profile_inputs(values: dict[str, Any]) -> dict[str, str]:
    """Profile columns as the form's input values."""
    revenue = values.get("annual_revenue_fen")
    member = values.get("research_project_member")
    founded = values.get("founded_on")
    return {
        "registered_city": values.get("registered_city") or "",
        "annual_revenue_cny": "" if revenue is None else format_cny(revenue),
        "research_project_member": "" if member is None else ("yes" if member else "no"),
        "research_project_number": values.get("research_project_number") or "",
        "headcount": "" if values.get("headcount") is None else str(values["headcount"]),
        "founded_on": "" if founded is None else founded.isoformat(),
        "model_filings": "" if values.get("model_filings") is None
        else str(values["model_filings"]),
        "credit_record": str(values.get("credit_record") or ""),
        "other_subsidies": ", ".join(values.get("other_subsidies") or []),
        "affiliates": ", ".join(values.get("affiliates") or []),
        "organisation_type": values.get("organisation_type") or "",
        "project_lead": values.get("project_lead") or "",
    }


@router.get("/applications", response_class=HTMLResponse)
def applications_page(request: Request, session: DbSession, principal: Reader,
                      query: Listing) -> Response:
    status = known(query.status, ApplicationStatus)
    everything = views.listed(session, principal,
                              ApplicationStatus(status) if status else None, None)
    open_programs: list[Program] = []
    if principal.can(perms.APPLICATIONS_APPLY):
        open_programs = program_repo.programs(session, authority_ids=None, public=True,
                                              statuses=[ProgramStatus.PUBLISHED])
    names = {p.id: p for p in program_repo.programs(session, authority_ids=None, public=False)
             if p.id in {a.program_id for a in everything}}
    orgs = program_repo.organisations(session, {a.organisation_id for a in everything})
    rows, pager = paginate(everything, query, "/applications", keep=lambda a: query.matches(
        a.id, *_org_words(orgs.get(a.organisation_id)),
        *_program_names(names.get(a.program_id))))
    return render(request, "applications/list.html", applications=rows, programs=names,
                  pager=pager, statuses=list(ApplicationStatus),
                  orgs={k: o.slug for k, o in orgs.items()}, open_programs=open_programs,
                  can_apply=principal.can(perms.APPLICATIONS_APPLY))


def _org_words(org: Any) -> tuple[str, ...]:
    """What a search may match of an organisation: its name in both languages and slug."""
    return () if org is None else (org.name, org.name_zh or "", org.slug)


def _program_names(program: Program | None) -> tuple[str, ...]:
    return () if program is None else (program.name, program.name_zh or "")


def _profile_page(request: Request, values: dict[str, str], errors: dict[str, str],
                  status: int = 200, saved: bool = False) -> Response:
    return render(request, "applications/profile.html", status, values=values, errors=errors,
                  cities=cities(request), saved=saved)


@router.get("/applications/profile", response_class=HTMLResponse)
def profile_page(request: Request, session: DbSession, principal: Applicant,
                 saved: bool = False) -> Response:
    org = views.startup_for(principal, None)
    values = service.profile_values(repository.profile_of(session, org))
    return _profile_page(request, profile_inputs(values), {}, saved=saved)


def _save_profile(session: DbSession, principal: Principal, fields: dict[str, str]) -> None:
    org = views.startup_for(principal, None)
    columns = views.profile_columns(ProfileIn.model_validate(profile_body(fields)))
    service.save_profile(session, organisation_id=org, values=columns,
                         user_id=principal.user_id)


@router.post("/applications/profile", response_class=HTMLResponse)
def profile_submit(request: Request, session: DbSession, principal: Applicant,
                   fields: FormFields) -> Response:
    try:
        _save_profile(session, principal, fields)
    except ValidationError as exc:
        return _profile_page(request, fields, pydantic_errors(exc), 422)
    except AppError as exc:
        return _profile_page(request, fields, {exc.field or "form": exc.detail}, exc.status)
    return RedirectResponse("/applications/profile?saved=true", status_code=303)


def _new_page(request: Request, session: DbSession, program: Program,
              values: dict[str, str], errors: dict[str, str], status: int = 200,
              refused: AppError | None = None) -> Response:
    try:
        body = ProfileIn.model_validate(profile_body(values))
        verdict: dict[str, Any] | None = service.preview(program, views.profile_columns(body))
    except (ValidationError, AppError):
        verdict = None
    return render(request, "applications/new.html", status, program=program, values=values,
                  errors=errors, cities=cities(request), evaluation=verdict, refused=refused,
                  preview_url=f"/api/v1/programs/{program.id}/eligibility")


@router.get("/applications/new", response_class=HTMLResponse)
def new_application(request: Request, session: DbSession, principal: Applicant,
                    program_id: int) -> Response:
    program = visible_program(session, principal, program_id)
    org = views.startup_for(principal, None)
    values = profile_inputs(service.profile_values(repository.profile_of(session, org)))
    return _new_page(request, session, program, values, {})


@router.post("/applications/new", response_class=HTMLResponse)
def new_application_submit(request: Request, session: DbSession, principal: Applicant,
                           fields: FormFields) -> Response:
    raw_id = fields.get("program_id", "")
    program = visible_program(session, principal, int(raw_id) if raw_id.isdigit() else 0)
    if fields.get("action") == "check":
        return _new_page(request, session, program, fields, {})
    requested_text = (fields.get("requested_value_cny") or "").strip()
    try:
        requested = (parse_cny(requested_text, field="requested_value_cny") if requested_text
                     else None)
        _save_profile(session, principal, fields)
        application = service.create(session, program=program,
                                     organisation_id=views.startup_for(principal, None),
                                     user_id=principal.user_id, requested_value_fen=requested,
                                     paired_provider=(fields.get("paired_provider") or "").strip()
                                     or None)
    except MoneyError as exc:
        return _new_page(request, session, program, fields, status=422,
                         errors={exc.field or "requested_value_cny": exc.detail})
    except ValidationError as exc:
        return _new_page(request, session, program, fields, pydantic_errors(exc), 422)
    except AppError as exc:
        return _new_page(request, session, program, fields, {exc.field or "form": exc.detail},
                         exc.status, refused=exc)
    return RedirectResponse(f"/applications/{application.id}", status_code=303)


def detail(request: Request, session: DbSession, principal: Principal, application_id: int,
           *, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    application = views.visible(session, principal, application_id)
    program = program_repo.get(session, application.program_id)
    assert program is not None
    owner = application.organisation_id in principal.org_ids(Role.BUYER)
    verdict = application.evaluation
    if application.status == states.ApplicationStatus.DRAFT:
        profile = repository.profile_of(session, application.organisation_id)
        verdict = service.preview(program, service.profile_values(profile))
    org = program_repo.organisation(session, application.organisation_id)
    return render(request, "applications/detail.html", status, application=application,
                  program=program, organisation=org.slug if org else "", evaluation=verdict,
                  events=repository.events(session, application.id),
                  evidence=evidence.of(session, application.id), owner=owner,
                  takes_evidence=owner and application.status in states.TAKES_EVIDENCE,
                  can_review=principal.can(perms.APPLICATIONS_REVIEW)
                  and program.authority_org_id in access.reviewed_ids(principal),
                  errors=errors or {}, awaiting=states.AWAITING_VOUCHER)


@router.get("/applications/{application_id}", response_class=HTMLResponse)
def application_page(application_id: int, request: Request, session: DbSession,
                     principal: Reader) -> Response:
    return detail(request, session, principal, application_id)


@router.post("/applications/{application_id}/submit", response_class=HTMLResponse)
def submit_page(application_id: int, request: Request, session: DbSession,
                principal: Applicant) -> Response:
    application = views.own(session, principal, application_id)
    try:
        with session.begin_nested():
            service.submit(session, application=application, user_id=principal.user_id)
    except AppError as exc:
        session.refresh(application)
        return detail(request, session, principal, application_id, status=exc.status,
                      errors={"form": exc.detail})
    return RedirectResponse(f"/applications/{application_id}", status_code=303)
