"""Flash messages: every state change made through a page says so on the next page.

A page form that succeeds answers 303 (post, redirect, get). This middleware marks such
an answer with a short-lived signed cookie naming the route; the next rendered page shows
that route's message ("flash.<route key>" in the catalogues) once and clears the cookie.
The key is the route's path without its parameters: POST /market/orders/{order_id}/cancel
is "flash.market.orders.cancel".
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from suanli.config import get_settings

COOKIE = "suanli_flash"
MAX_AGE = 120  # seconds: the next page follows the redirect at once
QUIET = ("/login", "/logout", "/api/", "/lang/")  # they say what happened by themselves


def route_key(path: str) -> str:
    """The message key of a route: its path's fixed segments joined by dots."""
    return ".".join(part for part in path.split("/") if part and "{" not in part)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="suanli-flash")


class FlashMiddleware:
    """Marks each successful page POST (a 303) with the flash cookie of its route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or scope["path"].startswith(QUIET)):
            await self.app(scope, receive, send)
            return

        async def send_marked(message: Message) -> None:
            route = scope.get("route")
            if message["type"] == "http.response.start" and message["status"] == 303 \
                    and route is not None:
                value = _serializer().dumps(route_key(getattr(route, "path", "")))
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", f"{COOKIE}={value}; Max-Age={MAX_AGE}; Path=/; "
                                             "HttpOnly; SameSite=Lax")
            await send(message)

        await self.app(scope, receive, send_marked)


def pending(request: Request) -> str | None:
    """The message key waiting for this page, if any (a forged or stale cookie: none)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        key = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:
        return None
    return f"flash.{key}" if isinstance(key, str) and key else None


def context(request: Request) -> dict[str, Any]:
    """The page context: the flash message's key (the page template shows it)."""
    return {"flash_key": pending(request)}


def consume(request: Request, response: Response) -> None:
    """A page that showed (or could have shown) the flash clears it."""
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/")
