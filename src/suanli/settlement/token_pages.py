"""The model-services page: offers per million tokens, and the caller's subscriptions with
their tokens, bills and the voucher's part."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard
from suanli.metering import permissions as perms
from suanli.metering import token_repository as repo
from suanli.metering.model_api import read_scope
from suanli.metering.token_views import offer_read, subscription_reads
from suanli.web.render import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Guard(perms.MODELS_READ)]


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request, session: DbSession, principal: Reader) -> Response:
    offers = [offer_read(o) for o in repo.offers(session)]
    subs = subscription_reads(session, repo.subscriptions(session,
                                                          org_ids=read_scope(principal)))
    return render(request, "settlement/models.html", offers=offers, subscriptions=subs)
