"""The help page: a glossary of the terms the pages use, linked from their fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from suanli.auth import roles as perms
from suanli.auth.principal import Principal
from suanli.deps import Guard
from suanli.web.render import render

router = APIRouter(include_in_schema=False)

# (anchor, message key stem): each has help.term.<stem> and help.def.<stem>.
TERMS = (("voucher", "voucher"), ("hold", "hold"), ("round", "round"),
         ("shadow-price", "shadow_price"), ("3a090", "3a090"), ("tpp", "tpp"),
         ("pue", "pue"), ("gpu-hour", "gpu_hour"))


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request,
              principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> Response:
    return render(request, "help.html", terms=TERMS)
