"""Rendering pages: the Jinja2 environment, the caller's language, CSRF and formats."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from suanli.deps import CSRF_COOKIE, expected_csrf, session_secret
from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import to_shanghai
from suanli.web import flash
from suanli.web.i18n import LANG_COOKIE, pick_language, translate

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader([TEMPLATES, *sorted(Path(__file__).parent.parent.glob("*/templates"))]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else to_shanghai(value).strftime(fmt)


env.filters["local"] = _local_time
env.filters["cny"] = format_cny_grouped


# What higher domains add to every page (the inbox's unread count in the top bar): each
# takes the request and returns names for the templates; registered at start-up.
PAGE_CONTEXT: list[Callable[[Request], dict[str, Any]]] = []


def language(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def csrf_value(request: Request) -> str:
    """The token for forms: the login session's own; without a session the double-submit
    cookie, or a new one when the browser has none yet."""
    if session_secret(request) is not None:
        return expected_csrf(request)
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    new = getattr(request.state, "csrf_new", None)
    if new is None:
        new = secrets.token_urlsafe(24)
        request.state.csrf_new = new
    return str(new)


def _here(request: Request) -> str:
    """This page's path and query: where the language switch comes back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    """A page in the caller's language, with the CSRF token and the caller at hand."""
    lang = language(request)

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    extra: dict[str, Any] = flash.context(request)
    for provide in PAGE_CONTEXT:
        extra.update(provide(request))
    html = env.get_template(template).render(
        request=request, lang=lang, t=t, csrf_token=csrf_value(request), here=_here(request),
        principal=getattr(request.state, "principal", None), **extra, **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    flash.consume(request, response)
    return response


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, status=status, detail=detail)
