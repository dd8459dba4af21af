"""The "Verify now" button of the compliance dashboard, the audit page and the ledger page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.integrity import permissions as perms
from suanli.integrity import service

router = APIRouter(include_in_schema=False)
BACK_TO = frozenset({"/", "/audit", "/ledger"})  # only our own pages: no open redirect


@router.post("/integrity/checks")
def check_now_page(session: DbSession, fields: FormFields,
                   principal: Annotated[Principal, Guard(perms.INTEGRITY_CHECK)]) -> Response:
    service.check_now(session, by=service.Requester.of(principal))
    back = fields.get("next", "/")
    return RedirectResponse(back if back in BACK_TO else "/", status_code=303)
