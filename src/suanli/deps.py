"""Typed dependencies every route uses: the request's session, the caller, permissions.

The session belongs to the request: the app commits it once when the handler
succeeded and rolls it back otherwise (see `suanli.app`). Services only flush.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from suanli.audit.service import _PENDING as AUDIT_PENDING
from suanli.audit.service import Actor, set_actor
from suanli.auth import service as auth_service
from suanli.auth.errors import CsrfFailed
from suanli.auth.passwords import session_csrf
from suanli.auth.principal import Principal
from suanli.auth.roles import Perm
from suanli.config import get_settings
from suanli.kit import idempotency
from suanli.kit.db import writes_begin
from suanli.kit.errors import Forbidden, NotAuthenticated, NotFound, ValidationFailed

SESSION_COOKIE = "suanli_session"
CSRF_COOKIE = "suanli_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_bearer = HTTPBearer(auto_error=False, description="An API token from `suanli tokens create`")


# Dependencies that do no I/O are `async def`: FastAPI runs a plain `def` dependency on a
# worker thread, a round trip through the event loop per dependency per request.
async def get_session(request: Request) -> Session:
    session: Session = request.state.db
    return session


DbSession = Annotated[Session, Depends(get_session)]


def signer() -> TimestampSigner:
    return TimestampSigner(get_settings().secret_key, salt="suanli-session")


def session_secret(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        max_age = get_settings().session_ttl_seconds
        return signer().unsign(cookie, max_age=max_age).decode()
    except BadSignature:
        return None


def optional_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller from a bearer token or a login-session cookie, or None."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal: Principal | None = None
    if credentials is not None:
        principal = auth_service.authenticate_token(session, credentials.credentials)
        if principal is None:
            raise NotAuthenticated("the API token is unknown, revoked or expired",
                                   field="Authorization")
    else:
        secret = session_secret(request)
        if secret is not None:
            principal = auth_service.resume_session(session, secret)
    if principal is not None:
        request.state.principal = principal
        org = principal.primary.organisation_id if principal.primary else None
        set_actor(session, Actor(principal.user_id, principal.username, org))
    # SQLite: the caller was read in a deferred transaction; the request's writes begin
    # their own (BEGIN IMMEDIATE) now, so the write lock is not held while authenticating.
    writes_begin(session, clean=not (session.new or session.dirty or session.deleted
                                     or session.info.get(AUDIT_PENDING)))
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


async def current_principal(principal: OptionalPrincipal) -> Principal:
    if principal is None:
        raise NotAuthenticated("log in or send `Authorization: Bearer <token>`")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

_guards: dict[Perm, Callable[..., Awaitable[Principal]]] = {}


def requires(perm: Perm) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits callers holding `perm` and refuses everyone else with 403.

    The returned callable carries `.permission`, which the role-matrix test reads.
    """
    if perm in _guards:
        return _guards[perm]

    async def guard(principal: CurrentPrincipal) -> Principal:
        if not principal.can(perm):
            raise Forbidden(f"this needs the permission {perm}, which your roles do not grant")
        return principal

    guard.permission = perm  # type: ignore[attr-defined]
    guard.__name__ = f"requires_{perm.replace('.', '_')}"
    _guards[perm] = guard
    return guard


def Guard(perm: Perm) -> Any:
    """`principal: Annotated[Principal, Guard(perms.X)]` admits only holders of X."""
    return Depends(requires(perm))


def expected_csrf(request: Request) -> str:
    """The CSRF token this request must carry: its login session's own (bound to the
    session), or without a session the double-submit cookie (the login form)."""
    secret = session_secret(request)
    if secret is not None:
        return session_csrf(secret, get_settings().secret_key)
    return request.cookies.get(CSRF_COOKIE, "")


async def csrf_protect(request: Request) -> None:
    """Unsafe requests not made with a bearer token must carry the CSRF token.

    Forms send it as the `csrf_token` field, scripts as the X-CSRF-Token header. With a
    login session it must be that session's token (a token of any other session is
    refused); without one, it must echo the CSRF cookie (double-submit; SameSite=Strict).
    """
    if request.method not in UNSAFE:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    expected = expected_csrf(request)
    sent = request.headers.get(CSRF_HEADER, "")
    content_type = request.headers.get("content-type", "")
    if not sent and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again",
                         field=CSRF_FIELD)


async def _idempotency_header(
    request: Request,
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key",
               # What claim() accepts: 1-200 visible characters (HTTP trims the spaces).
               json_schema_extra={"minLength": 1, "maxLength": idempotency.MAX_KEY,
                                  "pattern": "^[!-~]([ -~]*[!-~])?$"},
               description="Replays return the first response; the same key with a "
                           "different body is refused with 409."),
    ] = None,
) -> tuple[str, str] | None:
    if key is None:
        return None
    try:
        body = await request.body()
    except RuntimeError:  # a multipart form: FastAPI parsed it and its stream is gone
        body = await _form_bytes(request)
    return key, idempotency.request_fingerprint(request.method, request.url.path, body)


async def _form_bytes(request: Request) -> bytes:
    """The parsed form (which Starlette keeps) as bytes to fingerprint: each field's name
    and value, a file's name and content."""
    parts: list[bytes] = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            parts.append(f"{name}={value}".encode())
            continue
        await value.seek(0)
        content = await value.read()
        await value.seek(0)
        parts.append(f"{name}@{value.filename}:".encode() + content)
    return b"\x00".join(parts)


async def claim_idempotency(
    request: Request,
    session: DbSession,
    principal: OptionalPrincipal,
    pending: Annotated[tuple[str, str] | None, Depends(_idempotency_header)],
) -> str | None:
    """Claims the Idempotency-Key for this request (replays answer from the store); a
    worker-thread hop only when a key was sent."""
    if pending is None:
        return None
    key, fingerprint = pending
    scope = f"user:{principal.user_id}" if principal else "anonymous"
    request.state.idempotency_claim = await run_in_threadpool(
        idempotency.claim, session, scope=scope, key=key, fingerprint=fingerprint)
    return key


Idempotent = Annotated[str | None, Depends(claim_idempotency)]


BIGINT_MAX = 2**63 - 1  # every id column is a BIGINT; PostgreSQL refuses to compare past it


def _int_params(request: Request, kind: str) -> list[str]:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    params = dependant.path_params if kind == "path" else dependant.query_params
    return [p.name for p in params if p.field_info.annotation in (int, int | None)]


async def bounded_ids(request: Request) -> None:
    """An integer path or query parameter no BIGINT can hold is refused before any query
    runs: a path id as 404 (no such row can exist), a query value as 422; both name it."""
    for name in _int_params(request, "path"):
        value = request.path_params.get(name, "")
        if _beyond_bigint(value) or _not_positive(value):
            raise NotFound(f"no such {name.removesuffix('_id')} {value[:24]}", field=name)
    for name in _int_params(request, "query"):
        if any(_beyond_bigint(v) for v in request.query_params.getlist(name)):
            raise ValidationFailed(f"must be between {-BIGINT_MAX} and {BIGINT_MAX}",
                                   field=name)


def _beyond_bigint(value: str) -> bool:
    text = value.strip()
    digits = text[1:] if text[:1] in "+-" else text
    # Only plain decimal integers (what pydantic would accept); others fail validation.
    if not (digits.isascii() and digits.isdigit()):
        return False
    return len(digits.lstrip("0")) > 19 or int(digits) > BIGINT_MAX


def _not_positive(value: str) -> bool:
    text = value.strip()
    return text.startswith("-") or (text.isascii() and text.isdigit() and int(text) == 0)
