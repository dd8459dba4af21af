"""HTTP plumbing: the per-request transaction, request ids, logs, metrics, security
headers, and errors rendered as RFC 9457 problem+json (or a page for browsers)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from suanli.kit import idempotency, text
from suanli.kit.errors import PROBLEM_BASE, AppError
from suanli.kit.waits import Waits, is_busy
from suanli.web.load import install_load_guards

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


def busy_response(error: str, detail: str, retry_after: int = 1) -> Response:
    """503 with Retry-After: the database (or the server) is busy; nothing was saved."""
    log.warning("database unavailable", extra={"fields": {"error": error}})
    return problem_response(503, {
        "type": PROBLEM_BASE + "database-unavailable", "title": "Service unavailable",
        "status": 503, "detail": f"{detail}; nothing was saved; retry",
    }, headers={"Retry-After": str(retry_after)})


def failure_response(exc: Exception, rid: str) -> Response:
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


def refuse_nul(request: Request, body: bytes | None) -> Response | None:
    """A 422 naming the field when a query, JSON or form value holds U+0000; files may.
    `body` is the request's JSON or form body (None for any other)."""
    query = request.scope.get("query_string", b"")
    field = text.nul_in_pairs(request.url.query) if b"%00" in query else None
    kind = request.headers.get("content-type", "")
    if field is None and body is not None:
        if kind.startswith("application/json"):
            field = text.nul_in_json(body)
        elif kind.startswith("application/x-www-form-urlencoded") and b"%00" in body:
            field = text.nul_in_pairs(body.decode("latin-1"))
    if field is None:
        return None
    detail = f"{field}: {text.NUL_RULE}"
    if wants_page(request):
        from suanli.web.render import error_page
        return error_page(request, 422, detail)
    return problem_response(422, {
        "type": PROBLEM_BASE + "validation-failed", "title": "Validation failed",
        "status": 422, "detail": detail, "field": field,
        "errors": [{"field": field, "message": text.NUL_RULE}]})


def install_middleware(app: FastAPI, waits: Waits | None = None) -> None:
    from suanli.web.platform import PlatformMiddleware

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
