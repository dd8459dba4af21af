"""JSON routes of the audit domain: read the log, verify the chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from suanli.audit import repository, service
from suanli.audit.schemas import AuditRecordRead, VerifyRead
from suanli.auth import roles as perms
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.kit.db import snapshot_of
from suanli.kit.pagination import Page, PageParams, page_params

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=Page[AuditRecordRead], summary="Audit records, newest first")
def list_audit(
    session: DbSession, principal: Annotated[Principal, Guard(perms.AUDIT_READ)],
    page: Annotated[PageParams, Depends(page_params)],
    object_type: str | None = None, object_id: str | None = None,
) -> Page[AuditRecordRead]:
    rows, total = repository.list_records(session, limit=page.limit, offset=page.offset,
                                          object_type=object_type, object_id=object_id)
    return Page(items=[AuditRecordRead.model_validate(r) for r in rows], total=total,
                limit=page.limit, offset=page.offset)


@router.get("/audit/verify", response_model=VerifyRead, summary="Verify the hash chain")
def verify_audit(session: DbSession,
                 principal: Annotated[Principal, Guard(perms.AUDIT_READ)]) -> VerifyRead:
    with snapshot_of(session) as snapshot:  # one moment; writers carry on
        verdict = service.verify(snapshot)
    return VerifyRead(ok=verdict.ok, checked=verdict.checked, problem=verdict.problem,
                      seq=verdict.seq)
