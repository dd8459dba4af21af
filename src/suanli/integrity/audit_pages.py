"""The audit log page for auditors and platform administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from suanli.audit import repository
from suanli.auth import roles as perms
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.integrity import service as integrity
from suanli.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: DbSession,
               principal: Annotated[Principal, Guard(perms.AUDIT_READ)],
               offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    records, total = repository.list_records(session, limit=50, offset=offset)
    return render(request, "audit/log.html", records=records, total=total, offset=offset,
                  checks=integrity.latest(session))
