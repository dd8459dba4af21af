"""HTTP plumbing: the per-request transaction, request ids, logs, metrics, security
headers, and errors rendered as RFC 9457 problem+json (or a page for browsers)."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from suanli.deps import CSRF_COOKIE
from suanli.kit import idempotency, text
from suanli.kit.errors import PROBLEM_BASE, AppError
from suanli.kit.logs import request_id_var
from suanli.kit.waits import Waits, is_busy
from suanli.web.load import Gate, close_session, install_load_guards, open_session

log = logging.getLogger("suanli.http")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
PROBLEM_JSON = "application/problem+json"
BODY_UNREADABLE = "There was an error parsing the body"
OUT_OF_RANGE = "a number is larger than any stored value can be"
BODY_RULE = "the body could not be read (malformed, or JSON nested too deeply)"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("suanli_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("suanli_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry)


def wants_page(request: Request) -> bool:
    """Browsers on page routes get pages; everything under /api gets problem+json."""
    return not request.url.path.startswith(("/api/", "/metrics", "/healthz"))


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None
                     ) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _end(session: Session, *, commit: bool, claim: Any = None,
         stored: idempotency.StoredResponse | None = None) -> None:
    """End the request's transaction and give its connection back, in one worker-thread
    hop (each hop waits for the event loop, and on SQLite the write lock is held
    meanwhile): store the idempotent answer, commit (or roll back), close."""
    try:
        if not commit:
            session.rollback()
            return
        if claim is not None and stored is not None:
            idempotency.store_response(session, claim, stored)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def _finish(request: Request, session: Session, response: Response) -> Response:
    """Commit when the handler succeeded (storing the idempotent answer), else roll back;
    the session is closed afterwards either way."""
    if response.status_code >= 400:
        try:
            await run_in_threadpool(lambda: _end(session, commit=False))
        except OperationalError as exc:  # the connection was cut; its transaction went too
            log.warning("rollback failed", extra={"fields": {"error": str(exc.orig)}})
        return response
    claim = getattr(request.state, "idempotency_claim", None)
    stored = None
    if claim is not None:
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        stored = idempotency.StoredResponse(response.status_code,
                                            response.headers.get("content-type", ""), body)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        response = Response(body, status_code=response.status_code, headers=headers)
    try:
        await run_in_threadpool(lambda: _end(session, commit=True, claim=claim, stored=stored))
    except OperationalError as exc:
        return busy_response(str(exc.orig), "the database was busy at commit")
    except IntegrityError as exc:
        log.warning("commit failed", extra={"fields": {"error": str(exc.orig)}})
        return problem_response(409, {
            "type": PROBLEM_BASE + "commit-conflict", "title": "Conflict", "status": 409,
            "detail": "the change conflicted with a concurrent one and was not saved; retry",
        })
    return response


def busy_response(error: str, detail: str, retry_after: int = 1) -> Response:
    """503 with Retry-After: the database (or the server) is busy; nothing was saved."""
    log.warning("database unavailable", extra={"fields": {"error": error}})
    return problem_response(503, {
        "type": PROBLEM_BASE + "database-unavailable", "title": "Service unavailable",
        "status": 503, "detail": f"{detail}; nothing was saved; retry",
    }, headers={"Retry-After": str(retry_after)})


def _failure(exc: Exception, rid: str) -> Response:
    """An exception no handler turned into an answer: 503 when the database was unreachable,
    busy or too slow (pool timeout, SQLite's lock, PostgreSQL's lock or statement timeout,
    a deadlock that stayed one after the retries; nothing was saved; a retry may succeed),
    else 500 with the request id."""
    if is_busy(exc):
        return busy_response(f"{type(exc).__name__}: {exc}".splitlines()[0],
                             f"the database could not be reached or was busy (request id {rid})")
    if isinstance(exc, (DataError, OverflowError)):
        # The last line of defence: a number past what its column holds (an id beyond
        # BIGINT in a JSON body, say) that no validation caught; nothing was saved.
        log.warning("value out of range", extra={"fields": {"error": str(exc)[:200]}})
        return problem_response(422, {
            "type": PROBLEM_BASE + "validation-failed", "title": "Validation failed",
            "status": 422, "field": "body", "detail": f"body: {OUT_OF_RANGE}",
            "errors": [{"field": "body", "message": OUT_OF_RANGE}]})
    log.exception("unhandled error", exc_info=exc)
    return problem_response(500, {
        "type": PROBLEM_BASE + "internal", "title": "Internal error",
        "status": 500, "detail": f"an unexpected error; quote request id {rid}",
    })


class _Open(Gate):
    """No gate: static files need neither a connection nor a worker thread for long."""

    async def enter(self) -> bool:
        return True

    def leave(self) -> None:
        return None


_OPEN = _Open(0, 0)


class PlatformMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        refused = await _refuse_nul(request)
        if refused is not None:
            self._decorate(request, refused, rid)
            request_id_var.reset(token)
            return refused
        gate: Gate = request.app.state.gate
        if request.url.path.startswith("/static/"):
            gate = _OPEN
        if not await gate.enter():
            response = busy_response("admission gate", f"the server is busy: {gate.size} "
                                     f"requests in flight and this one waited {gate.wait_s:g} s")
            self._decorate(request, response, rid)
            self._observe(request, response, started)
            request_id_var.reset(token)
            return response
        try:
            response = await self._transact(request, call_next, rid)
        finally:
            gate.leave()
            request_id_var.reset(token)
        self._decorate(request, response, rid)
        self._observe(request, response, started)
        return response

    @staticmethod
    async def _transact(request: Request, call_next: RequestResponseEndpoint, rid: str
                        ) -> Response:
        """The handler inside the request's own session, committed when it succeeded."""
        factory = request.app.state.sessions
        session = open_session(request.scope, factory)
        request.state.db = session
        request.state.db_factory_bind = factory.kw.get("bind")
        finished = False
        try:
            try:
                response = await call_next(request)
            except Exception as exc:
                response = _failure(exc, rid)
            finished = True  # _finish closes the session whatever happens
            return await _finish(request, session, response)
        finally:
            if not finished or session.in_transaction():  # cancelled before _finish ended it
                await run_in_threadpool(session.close)
            close_session(request.scope)

    @staticmethod
    def _decorate(request: Request, response: Response, rid: str) -> None:
        response.headers["X-Request-ID"] = rid
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if CSRF_COOKIE not in request.cookies and wants_page(request):
            value = getattr(request.state, "csrf_new", None) or secrets.token_urlsafe(24)
            response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", path="/")

    @staticmethod
    def _observe(request: Request, response: Response, started: float) -> None:
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        metrics: Metrics = request.app.state.metrics
        metrics.requests.labels(request.method, name, str(response.status_code)).inc()
        metrics.latency.labels(request.method, name).observe(elapsed)
        log.info("request", extra={"fields": {
            "method": request.method, "path": request.url.path, "route": name,
            "status": response.status_code, "ms": round(elapsed * 1000, 1),
        }})


async def _refuse_nul(request: Request) -> Response | None:
    """A 422 naming the field when a query, JSON or form value holds U+0000; files may."""
    field = text.nul_in_pairs(request.url.query) if "%00" in request.url.query else None
    kind = request.headers.get("content-type", "")
    if field is None and request.method in ("POST", "PUT", "PATCH"):
        if kind.startswith("application/json"):
            field = text.nul_in_json(await request.body())
        elif kind.startswith("application/x-www-form-urlencoded"):
            form = await request.body()
            if b"%00" in form:
                field = text.nul_in_pairs(form.decode("latin-1"))
    if field is None:
        return None
    detail = f"{field}: {text.NUL_RULE}"
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + "validation-failed", "title": "Validation failed",
        "status": 422, "detail": detail, "field": field,
        "errors": [{"field": field, "message": text.NUL_RULE}],
    }
    if wants_page(request):
        from suanli.web.render import error_page
        return error_page(request, 422, detail)
    return problem_response(422, body)


def install_middleware(app: FastAPI, waits: Waits | None = None) -> None:
    app.state.metrics = Metrics()
    install_load_guards(app, waits or Waits.from_env())  # the retrying middleware: inner
    app.add_middleware(PlatformMiddleware)


def _validation_problem(exc: RequestValidationError) -> dict[str, Any]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        errors.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return {
        "type": PROBLEM_BASE + "validation-failed", "title": "Validation failed",
        "status": 422, "detail": f"{first['field']}: {first['message']}",
        "field": first["field"], "errors": errors,
    }


def install_error_handlers(app: FastAPI) -> None:
    from suanli.web.render import error_page

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        if wants_page(request):
            if exc.status == 401:
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            return error_page(request, exc.status, exc.detail)
        headers = {}
        if "retry_after" in exc.extra:
            headers["Retry-After"] = str(exc.extra["retry_after"])
        return problem_response(exc.status, exc.problem(request.url.path), headers)

    @app.exception_handler(idempotency.Replay)
    async def _replay(request: Request, exc: idempotency.Replay) -> Response:
        stored = exc.stored
        return Response(stored.body, status_code=stored.status_code,
                         media_type=stored.content_type,
                         headers={"Idempotent-Replayed": "true"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        body = _validation_problem(exc)
        if wants_page(request):
            return error_page(request, 422, body["detail"])
        return problem_response(422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and exc.detail == BODY_UNREADABLE:
            # FastAPI's answer to a body its parser gave up on (nested too deeply).
            return problem_response(422, {
                "type": PROBLEM_BASE + "validation-failed", "title": "Validation failed",
                "status": 422, "field": "body", "detail": f"body: {BODY_RULE}",
                "errors": [{"field": "body", "message": BODY_RULE}]})
        if wants_page(request) and exc.status_code == 404:
            return error_page(request, 404, "page not found")
        return problem_response(exc.status_code, {
            "type": PROBLEM_BASE + ("not-found" if exc.status_code == 404 else "http-error"),
            "title": str(exc.detail), "status": exc.status_code, "detail": str(exc.detail),
        }, dict(exc.headers or {}))
