"""The platform middleware, plain ASGI: request ids, the NUL screen, the admission gate, the
request's transaction (committed when the answer is a success, else rolled back), security
headers, the CSRF cookie, logs and metrics.

It was a `BaseHTTPMiddleware`, which costs a task group, memory streams and a streaming
response per request (12-16 % of a profiled GET). Here it wraps `send` instead: the commit
happens when the handler's answer starts (and, for a request that claimed an
Idempotency-Key, once its whole body is known and stored with it), before anything reaches
the client; a commit that fails replaces the answer (503 or 409) and nothing was saved.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from typing import Any

from fastapi import Request, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from suanli.deps import CSRF_COOKIE
from suanli.kit import idempotency
from suanli.kit.errors import PROBLEM_BASE
from suanli.kit.logs import request_id_var
from suanli.web import onehop
from suanli.web.http import (
    SECURITY_HEADERS,
    Metrics,
    busy_response,
    failure_response,
    problem_response,
    refuse_nul,
    wants_page,
)
from suanli.web.load import Gate, close_session, open_session

log = logging.getLogger("suanli.http")
_SECURITY = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_BODIES = ("application/json", "application/x-www-form-urlencoded")


class _Open(Gate):
    """No gate: static files need neither a connection nor a worker thread for long."""

    async def enter(self) -> bool:
        return True

    def leave(self) -> None:
        return None


_OPEN = _Open(0, 0)


def end_transaction(session: Session, *, commit: bool,
                    stored: tuple[Any, idempotency.StoredResponse] | None = None) -> None:
    """End the request's transaction and give its connection back, in one worker-thread
    hop (each hop waits for the event loop, and on SQLite the write lock is held
    meanwhile): store the idempotent answer, commit (or roll back), close."""
    try:
        if not commit:
            session.rollback()
            return
        if stored is not None:
            idempotency.store_response(session, *stored)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class _Client:
    """The client's side of `send`: every answer leaves decorated (request id, security
    headers, the CSRF cookie a page needs) and its status is kept for logs and metrics."""

    def __init__(self, request: Request, send: Send, rid: str) -> None:
        self.request, self._send, self.rid = request, send, rid
        self.status = 0

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self._decorate(message)
        await self._send(message)

    async def respond(self, response: Response) -> None:
        await response(self.request.scope, _nothing, self.send)

    def _decorate(self, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        headers["x-request-id"] = self.rid
        present = {k for k, _ in message["headers"]}
        message["headers"].extend(h for h in _SECURITY if h[0] not in present)
        request = self.request
        if CSRF_COOKIE not in request.cookies and wants_page(request):
            value = request.scope.get("state", {}).get("csrf_new") or secrets.token_urlsafe(24)
            cookie = Response()
            cookie.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", path="/")
            message["headers"].extend(h for h in cookie.raw_headers if h[0] == b"set-cookie")


async def _nothing() -> Message:  # pragma: no cover - our answers never read the request
    return {"type": "http.disconnect"}


class _Transaction:
    """The app's side of `send`: ends the request's transaction before its answer leaves."""

    def __init__(self, session: Session, state: dict[str, Any], client: _Client) -> None:
        self.session, self.state, self.client = session, state, client
        self.started = False  # the app began its answer
        self.replaced = False  # the commit failed: the app's answer is dropped
        self._start: Message | None = None  # an idempotent answer, held until whole
        self._body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if self.replaced:
            return
        if message["type"] == "http.response.start":
            self.started = True
            if message["status"] >= 400:
                await self.rollback()
            elif self.state.get("idempotency_claim") is not None:
                self._start = message
                return
            elif not await self._commit(None):
                return
        elif message["type"] == "http.response.body" and self._start is not None:
            self._body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._send_stored()
            return
        await self.client.send(message)

    async def _send_stored(self) -> None:
        start, body = self._start, b"".join(self._body)
        assert start is not None
        self._start = None
        headers = MutableHeaders(scope=start)
        stored = idempotency.StoredResponse(start["status"], headers.get("content-type", ""),
                                            body)
        if not await self._commit((self.state["idempotency_claim"], stored)):
            return
        headers["content-length"] = str(len(body))
        await self.client.send(start)
        await self.client.send({"type": "http.response.body", "body": body})

    async def _commit(self, stored: tuple[Any, idempotency.StoredResponse] | None) -> bool:
        """Commit; False when it failed and a 503 (busy) or 409 (conflict) went instead."""
        session = self.session
        if stored is None and not session.in_transaction():
            session.close()  # nothing to commit (nor a connection to give back): no hop
            return True
        try:
            await run_in_threadpool(end_transaction, session, commit=True, stored=stored)
            return True
        except OperationalError as exc:
            response = busy_response(str(exc.orig), "the database was busy at commit")
        except IntegrityError as exc:
            log.warning("commit failed", extra={"fields": {"error": str(exc.orig)}})
            response = problem_response(409, {
                "type": PROBLEM_BASE + "commit-conflict", "title": "Conflict", "status": 409,
                "detail": "the change conflicted with a concurrent one and was not saved; "
                          "retry"})
        self.replaced = True
        await self.client.respond(response)
        return False

    async def rollback(self) -> None:
        session = self.session
        if not session.in_transaction():
            session.close()
            return
        try:
            await run_in_threadpool(end_transaction, session, commit=False)
        except OperationalError as exc:  # the connection was cut; its transaction went too
            log.warning("rollback failed", extra={"fields": {"error": str(exc.orig)}})


class PlatformMiddleware:
    """The outer layer of every request (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        client = _Client(request, send, rid)
        try:
            await self._admit(request, receive, client)
        finally:
            request_id_var.reset(token)
        self._observe(request, client.status, started)

    async def _admit(self, request: Request, receive: Receive, client: _Client) -> None:
        scope = request.scope
        body: bytes | None = None
        if scope["method"] in ("POST", "PUT", "PATCH") and request.headers.get(
                "content-type", "").startswith(_BODIES):
            body = await request.body()  # read once here, replayed to the app below
            receive = _replay(body, receive)
        refused = refuse_nul(request, body)
        if refused is not None:
            await client.respond(refused)
            return
        gate: Gate = _OPEN if scope["path"].startswith("/static/") else scope["app"].state.gate
        if not await gate.enter():
            await client.respond(busy_response(
                "admission gate", f"the server is busy: {gate.size} requests in flight and "
                f"this one waited {gate.wait_s:g} s"))
            return
        try:
            await self._transact(scope, receive, client)
        finally:
            gate.leave()

    async def _transact(self, scope: Scope, receive: Receive, client: _Client) -> None:
        """The handler inside the request's own session, committed when it succeeded."""
        factory = scope["app"].state.sessions
        session = open_session(scope, factory)
        state = scope.setdefault("state", {})
        state["db"] = session
        state["db_factory_bind"] = factory.kw.get("bind")
        transaction = _Transaction(session, state, client)
        bound = onehop.bind(state)
        try:
            try:
                await self.app(scope, receive, transaction.send)
            except Exception as exc:
                if transaction.started:
                    raise
                await transaction.rollback()
                await client.respond(failure_response(exc, client.rid))
        finally:
            onehop.unbind(bound)
            if session.in_transaction():  # cancelled, or failed mid-answer
                await run_in_threadpool(session.close)
            close_session(scope)

    @staticmethod
    def _observe(request: Request, status: int, started: float) -> None:
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        metrics: Metrics = request.app.state.metrics
        metrics.requests.labels(request.method, name, str(status)).inc()
        metrics.latency.labels(request.method, name).observe(elapsed)
        if log.isEnabledFor(logging.INFO):
            log.info("request", extra={"fields": {
                "method": request.method, "path": request.url.path, "route": name,
                "status": status, "ms": round(elapsed * 1000, 1)}})


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
