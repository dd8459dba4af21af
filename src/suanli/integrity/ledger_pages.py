"""The ledger page for auditors and platform administrators: accounts, balances and the
last stored verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from suanli.auth.models import Organisation
from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.integrity import service as integrity
from suanli.ledger import permissions as perms
from suanli.ledger import reads
from suanli.web.render import render

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, session: DbSession,
                principal: Annotated[Principal, Guard(perms.LEDGER_READ_ALL)],
                offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    accounts, total = reads.list_accounts(session, org_ids=None, limit=PAGE, offset=offset)
    rows = [(a, reads.balance(a)) for a in accounts]
    ids = {a.owner_org_id for a in accounts if a.owner_org_id is not None}
    owners = {o.id: o for o in session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    return render(request, "ledger/index.html", rows=rows, total=total, offset=offset,
                  page=PAGE, checks=integrity.latest(session), owners=owners)
