"""JSON routes of applications: the profile, the live preview, applying, evidence, review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile

from suanli.applications import evidence, repository, review, service, views
from suanli.applications import permissions as perms
from suanli.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    BatchDecisionIn,
    BatchDecisionRead,
    DecisionIn,
    PreviewIn,
    ProfileIn,
    ProfileRead,
)
from suanli.applications.states import ApplicationStatus
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.documents.api import read_upload
from suanli.documents.api import view as document_view
from suanli.documents.schemas import DocumentRead
from suanli.kit.money import parse_cny
from suanli.programs import access
from suanli.programs.api import visible as visible_program
from suanli.programs.schemas import EvaluationRead

router = APIRouter(tags=["applications"])
Applicant = Annotated[Principal, Guard(perms.APPLICATIONS_APPLY)]
Reader = Annotated[Principal, Guard(perms.APPLICATIONS_READ)]
Reviewer = Annotated[Principal, Guard(perms.APPLICATIONS_REVIEW)]


def _one(session: DbSession, application_id: int) -> ApplicationRead:
    return views.reads(session, [service.get(session, application_id)])[0]


@router.get("/applications/profile", response_model=ProfileRead,
            summary="Your startup's profile (what the eligibility rules read)")
def get_profile(session: DbSession, principal: Applicant,
                organisation_id: int | None = None) -> ProfileRead:
    org = views.startup_for(principal, organisation_id)
    return views.profile_read(org, repository.profile_of(session, org))


@router.put("/applications/profile", response_model=ProfileRead,
            summary="Replace your startup's profile (audited)")
def put_profile(body: ProfileIn, session: DbSession, principal: Applicant, _key: Idempotent,
                organisation_id: int | None = None) -> ProfileRead:
    org = views.startup_for(principal, organisation_id)
    profile = service.save_profile(session, organisation_id=org,
                                   values=views.profile_columns(body), user_id=principal.user_id)
    return views.profile_read(org, profile)


@router.post("/programs/{program_id}/eligibility", response_model=EvaluationRead,
             summary="Evaluate a profile (yours by default) against a program's rules, with "
                     "a sentence per criterion; nothing is saved")
def preview(program_id: int, body: PreviewIn, session: DbSession,
            principal: Annotated[Principal, Guard(perms.ELIGIBILITY_PREVIEW)]
            ) -> EvaluationRead:
    program = visible_program(session, principal, program_id)
    if body.profile is not None:
        values = views.profile_columns(body.profile)
    else:
        org = views.startup_for(principal, body.organisation_id)
        values = service.profile_values(repository.profile_of(session, org))
    return EvaluationRead.model_validate(service.preview(program, values))


@router.get("/applications/queue", response_model=list[ApplicationRead],
            summary="What waits for you: applications needing review, and approved ones "
                    "waiting for budget")
def queue(session: DbSession, principal: Reviewer) -> list[ApplicationRead]:
    rows = review.queue(session, authority_ids=access.reviewed_ids(principal))
    return views.reads(session, rows)


@router.get("/applications", response_model=list[ApplicationRead],
            summary="Applications you may see: your startup's, or those to your programs")
def list_applications(session: DbSession, principal: Reader,
                      status: ApplicationStatus | None = None,
                      program_id: int | None = None) -> list[ApplicationRead]:
    return views.reads(session, views.listed(session, principal, status, program_id))


@router.post("/applications", response_model=ApplicationRead, status_code=201,
             summary="Start an application (refused as a duplicate, outside the window, past "
                     "the yearly cap or as a forbidden second subsidy)")
def create_application(body: ApplicationCreate, session: DbSession, principal: Applicant,
                       _key: Idempotent) -> ApplicationRead:
    org = views.startup_for(principal, body.organisation_id)
    program = visible_program(session, principal, body.program_id)
    requested = None if body.requested_value_cny is None else parse_cny(body.requested_value_cny,
                                                                      field="requested_value_cny")
    application = service.create(session, program=program, organisation_id=org,
                                 user_id=principal.user_id, requested_value_fen=requested,
                                 call_id=body.call_id, paired_provider=body.paired_provider)
    return _one(session, application.id)


@router.get("/applications/{application_id}", response_model=ApplicationRead,
            summary="One application with its rule results, steps and evidence")
def get_application(application_id: int, session: DbSession,
                    principal: Reader) -> ApplicationRead:
    return views.reads(session, [views.visible(session, principal, application_id)])[0]


@router.post("/applications/{application_id}/submit", response_model=ApplicationRead,
             summary="Submit: the rules approve, reject or send it to a reviewer")
def submit(application_id: int, session: DbSession, principal: Applicant,
           _key: Idempotent) -> ApplicationRead:
    application = views.own(session, principal, application_id)
    service.submit(session, application=application, user_id=principal.user_id)
    return _one(session, application_id)


@router.post("/applications/{application_id}/evidence", response_model=DocumentRead,
             status_code=201,
             summary="Attach an evidence file (PDF, PNG, JPEG, text, CSV; 10 MiB)")
def upload_evidence(application_id: int, request: Request, session: DbSession,
                    principal: Applicant, file: Annotated[UploadFile, File()],
                    _key: Idempotent) -> DocumentRead:
    data = read_upload(request, file)
    document = evidence.attach(session, principal, application_id=application_id,
                               filename=file.filename or "", data=data)
    return document_view(document)


@router.post("/applications/decisions", response_model=list[BatchDecisionRead],
             summary="Batch review: one decision and reason for several applications (an "
                     "approval grants what each asked for); each is decided on its own")
def decide_batch(body: BatchDecisionIn, session: DbSession, principal: Reviewer,
                 _key: Idempotent) -> list[BatchDecisionRead]:
    results = review.decide_batch(
        session, application_ids=body.application_ids, approve=body.decision == "approve",
        reason=body.reason, user_id=principal.user_id,
        authority_ids=access.reviewed_ids(principal))
    return [BatchDecisionRead(application_id=r.application_id, status=r.status,
                              error=None if r.error is None else
                              {"field": r.error.field, "detail": r.error.detail,
                               "status": r.error.status}) for r in results]


@router.post("/applications/{application_id}/decision", response_model=ApplicationRead,
             summary="Approve with a value within the range (the voucher is issued at once) "
                     "or reject; a reason either way")
def decide(application_id: int, body: DecisionIn, session: DbSession, principal: Reviewer,
           _key: Idempotent) -> ApplicationRead:
    value = None if body.value_cny is None else parse_cny(body.value_cny, field="value_cny")
    review.decide(session, application_id=application_id, approve=body.decision == "approve",
                  reason=body.reason, value_fen=value, user_id=principal.user_id,
                  authority_ids=access.reviewed_ids(principal), tier=body.tier)
    return _one(session, application_id)


@router.post("/applications/{application_id}/issue", response_model=ApplicationRead,
             summary="Issue the voucher of an approved application the budget could not "
                     "cover before (after a top-up)")
def issue(application_id: int, session: DbSession, principal: Reviewer,
          _key: Idempotent) -> ApplicationRead:
    review.issue_pending(session, application_id=application_id, user_id=principal.user_id,
                         authority_ids=access.reviewed_ids(principal))
    return _one(session, application_id)
