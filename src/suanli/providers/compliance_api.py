"""JSON routes of compliance: the auditors' queue, cases, decisions and holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.providers import compliance, repository, views
from suanli.providers import permissions as perms
from suanli.providers.models import CaseStatus
from suanli.providers.schemas import CaseRead, DecisionIn, HoldIn, QueueItem

router = APIRouter(tags=["compliance"])
Reader = Annotated[Principal, Guard(perms.COMPLIANCE_READ)]
Decider = Annotated[Principal, Guard(perms.COMPLIANCE_DECIDE)]


@router.get("/compliance/queue", response_model=list[QueueItem],
            summary="Every cluster that is not listable, with why it waits")
def get_queue(session: DbSession, principal: Reader) -> list[QueueItem]:
    return [QueueItem(cluster=views.cluster(session, e.cluster),
                      open_cases=[views.case(c) for c in e.open_cases])
            for e in compliance.queue(session)]


@router.get("/compliance/cases", response_model=Page[CaseRead], summary="Compliance cases")
def list_cases(session: DbSession, principal: Reader,
               page: Annotated[PageParams, Depends(page_params)],
               status: CaseStatus | None = None) -> Page[CaseRead]:
    rows, total = repository.cases(session, status=status, limit=page.limit,
                                   offset=page.offset)
    return Page(items=[views.case(c) for c in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/compliance/cases/{case_id}", response_model=CaseRead, summary="One case")
def get_case(case_id: int, session: DbSession, principal: Reader) -> CaseRead:
    return views.case(compliance.get_case(session, case_id))


@router.post("/compliance/cases/{case_id}/decision", response_model=CaseRead,
             summary="Decide an open case: approve, reject, or lift a hold (audited)")
def decide_case(case_id: int, body: DecisionIn, session: DbSession, principal: Decider,
                _key: Idempotent) -> CaseRead:
    case = compliance.decide(session, case_id=case_id, decision=body.decision,
                             reason=body.reason, user_id=principal.user_id)
    return views.case(case)


@router.post("/compliance/clusters/{cluster_id}/holds", response_model=CaseRead,
             status_code=201, summary="Put a compliance hold on a cluster (suspends it)")
def put_hold(cluster_id: int, body: HoldIn, session: DbSession, principal: Decider,
             _key: Idempotent) -> CaseRead:
    return views.case(compliance.hold(session, cluster_id=cluster_id, reason=body.reason))
