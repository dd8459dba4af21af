"""Applications and profiles as the API and pages show them, and who may see which."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from suanli.applications import evidence, repository, states
from suanli.applications import permissions as perms
from suanli.applications.models import Application, StartupProfile
from suanli.applications.schemas import ApplicationRead, EventRead, ProfileIn, ProfileRead
from suanli.applications.service import profile_values
from suanli.applications.states import ApplicationStatus
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.documents.api import view as document_view
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.money import format_cny, parse_cny
from suanli.programs import access
from suanli.programs import repository as program_repo
from suanli.programs import service as programs
from suanli.programs.schemas import EvaluationRead


def startup_for(principal: Principal, requested: int | None) -> int:
    """The startup the caller acts for: the one asked for, or their only one."""
    own = principal.org_ids(Role.BUYER)
    if requested is not None:
        if requested not in own:
            raise ValidationFailed("you are a buyer of no such startup", field="organisation_id")
        return requested
    if len(own) != 1:
        raise ValidationFailed("name the startup: you belong to several",
                               field="organisation_id")
    return next(iter(own))


def profile_columns(body: ProfileIn) -> dict[str, Any]:
    """A profile from the API in internal units; an unknown city is refused."""
    city = body.registered_city.strip().lower() if body.registered_city else None
    if city is not None and city not in programs.known_cities():
        raise ValidationFailed(f"unknown city {city!r}", field="registered_city")
    number = (body.research_project_number or "").strip() or None
    return {
        "registered_city": city,
        "annual_revenue_fen": None if body.annual_revenue_cny is None
        else parse_cny(body.annual_revenue_cny, field="annual_revenue_cny"),
        "research_project_member": body.research_project_member,
        "research_project_number": number, "headcount": body.headcount,
        "founded_on": body.founded_on, "model_filings": body.model_filings,
        "credit_record": body.credit_record,
        "other_subsidies": None if body.other_subsidies is None
        else [s.strip() for s in body.other_subsidies],
        "affiliates": None if body.affiliates is None else sorted(set(body.affiliates)),
        "organisation_type": body.organisation_type, "project_lead": body.project_lead,
    }


def profile_read(organisation_id: int, profile: StartupProfile | None) -> ProfileRead:
    values = profile_values(profile)
    revenue = values.pop("annual_revenue_fen")
    return ProfileRead(**values, organisation_id=organisation_id,
                       annual_revenue_cny=None if revenue is None else format_cny(revenue),
                       updated_at=None if profile is None else profile.updated_at)


def can_see(session: Session, principal: Principal, application: Application) -> bool:
    if principal.can(perms.APPLICATIONS_READ_ALL):
        return True
    if application.organisation_id in principal.org_ids(Role.BUYER):
        return True
    program = program_repo.get(session, application.program_id)
    return program is not None and program.authority_org_id in access.own_ids(principal)


def visible(session: Session, principal: Principal, application_id: int) -> Application:
    application = repository.get(session, application_id)
    if application is None or not can_see(session, principal, application):
        raise NotFound(f"no application {application_id}", field="application_id")
    return application


def own(session: Session, principal: Principal, application_id: int) -> Application:
    """An application of one of the caller's startups (404 for any other)."""
    application = repository.get(session, application_id)
    if application is None or application.organisation_id not in principal.org_ids(Role.BUYER):
        raise NotFound(f"no application {application_id}", field="application_id")
    return application


def listed(session: Session, principal: Principal, status: ApplicationStatus | None,
           program_id: int | None) -> list[Application]:
    statuses = [status] if status else None
    if principal.can(perms.APPLICATIONS_READ_ALL):
        return repository.applications(session, statuses=statuses, program_id=program_id)
    mine = repository.applications(session, organisation_ids=principal.org_ids(Role.BUYER),
                                   statuses=statuses, program_id=program_id)
    authorities = access.own_ids(principal)
    theirs = repository.applications(session, authority_ids=authorities, statuses=statuses,
                                     program_id=program_id) if authorities else []
    merged = {a.id: a for a in [*mine, *theirs]}
    return sorted(merged.values(), key=lambda a: -a.id)


def reads(session: Session, rows: list[Application]) -> list[ApplicationRead]:
    orgs = program_repo.organisations(session, {a.organisation_id for a in rows} | {
        a.paired_provider_org_id for a in rows if a.paired_provider_org_id is not None})
    names = {pid: p.name for pid in {a.program_id for a in rows}
             if (p := program_repo.get(session, pid)) is not None}
    out = []
    for a in rows:
        out.append(ApplicationRead(
            id=a.id, program_id=a.program_id, program=names.get(a.program_id, ""),
            organisation_id=a.organisation_id,
            organisation=orgs[a.organisation_id].slug if a.organisation_id in orgs else "",
            status=a.status,
            waiting_for_budget=a.status in states.AWAITING_VOUCHER and a.voucher_id is None,
            requested_value_cny=None if a.requested_value_fen is None
            else format_cny(a.requested_value_fen),
            value_cny=None if a.value_fen is None else format_cny(a.value_fen),
            evaluation=None if a.evaluation is None
            else EvaluationRead.model_validate(a.evaluation),
            tier=a.tier_key, call_id=a.call_id, approvals=list(a.approvals or []),
            paired_provider=orgs[a.paired_provider_org_id].slug
            if a.paired_provider_org_id in orgs else None,
            decision_reason=a.decision_reason, voucher_id=a.voucher_id,
            created_at=a.created_at, submitted_at=a.submitted_at, decided_at=a.decided_at,
            events=[EventRead(from_status=e.from_status, to_status=e.to_status,
                              actor_user_id=e.actor_user_id, reason=e.reason, at=e.at)
                    for e in repository.events(session, a.id)],
            evidence=[document_view(d) for d in evidence.of(session, a.id)]))
    return out
