"""Core pages: login, logout, the home page of each role, language, API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.auth import roles as perms
from suanli.auth import service as auth_service
from suanli.auth.errors import BadCredentials, LoginThrottled
from suanli.auth.models import User
from suanli.auth.principal import Principal
from suanli.auth.roles import Perm
from suanli.config import get_settings
from suanli.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    DbSession,
    Guard,
    OptionalPrincipal,
    session_secret,
    signer,
)
from suanli.web.i18n import LANG_COOKIE, LANGUAGES, translate
from suanli.web.nav import home_links, nav_items
from suanli.web.render import env, language, render

router = APIRouter(include_in_schema=False)
env.globals["nav_items"] = nav_items
env.globals["home_links"] = home_links

# Panels other domains show on the home page: (permission, template, the builder of the
# template's context from the database, the caller and the request).
PanelBuilder = Callable[[Session, Principal, Request], dict[str, Any]]
HOME_PANELS: list[tuple[Perm, str, PanelBuilder]] = []


def _safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let a phishing link borrow our login."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", next=_safe_next(next), username="", errors={})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request, session: DbSession,
    username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = get_settings()
    errors: dict[str, str] = {}
    lang = language(request)
    if not username.strip():
        errors["username"] = translate(lang, "form.required")
    if not password:
        errors["password"] = translate(lang, "form.required")
    if errors:
        return render(request, "login.html", 422, next=_safe_next(next), username=username,
                      errors=errors)
    client = request.client.host if request.client else "unknown"
    try:
        principal, secret, _ = auth_service.login(
            session, username=username.strip(), password=password, client=client,
            ttl_s=settings.session_ttl_seconds, max_failures=settings.login_max_failures,
            window_s=settings.login_window_seconds,
            max_client_failures=settings.login_max_failures_per_client,
            csrf_key=settings.secret_key,
        )
    except BadCredentials:
        session.commit()  # the failed attempt must count towards the throttle
        return render(request, "login.html", 401, next=_safe_next(next), username=username,
                      errors={}, form_error=translate(lang, "login.failed"))
    except LoginThrottled as exc:
        key = "login.throttled_address" if exc.extra.get("scope") == "address" \
            else "login.throttled"
        refused = render(request, "login.html", 429, next=_safe_next(next),
                         username=username, errors={},
                         form_error=translate(lang, key, seconds=exc.extra["retry_after"]))
        refused.headers["Retry-After"] = str(exc.extra["retry_after"])
        return refused
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, signer().sign(secret).decode(), httponly=True,
                        samesite="lax", secure=settings.secure_cookies,
                        max_age=settings.session_ttl_seconds, path="/")
    # From now on only this session's own token passes (deps.csrf_protect).
    response.set_cookie(CSRF_COOKIE, principal.csrf_token or "", httponly=True,
                        samesite="strict", path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    secret = session_secret(request)
    if secret:
        auth_service.logout(session, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    """Remember the chosen language (a preference, so a plain link may set it)."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    panels = [(template, build(session, principal, request))
              for perm, template, build in HOME_PANELS if principal.can(perm)]
    return render(request, "home.html", panels=panels)


def _tokens_page(request: Request, session: DbSession, user_id: int, created: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 200) -> Response:
    tokens = auth_repo.tokens_of(session, user_id)
    return render(request, "tokens.html", status, tokens=tokens, created=created,
                  errors=errors or {})


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, session: DbSession,
                principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> Response:
    return _tokens_page(request, session, principal.user_id)


@router.post("/tokens", response_class=HTMLResponse)
def tokens_create(request: Request, session: DbSession,
                  principal: Annotated[Principal, Guard(perms.AUTHENTICATED)],
                  name: Annotated[str, Form()] = "") -> Response:
    if not name.strip() or len(name) > 100:
        return _tokens_page(request, session, principal.user_id, status=422,
                            errors={"name": translate(language(request), "tokens.name_rule")})
    user = session.get(User, principal.user_id)
    assert user is not None
    issued = auth_service.issue_token(session, user=user, name=name.strip())
    return _tokens_page(request, session, principal.user_id, created=issued.secret)


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(token_id: int, session: DbSession,
                  principal: Annotated[Principal, Guard(perms.AUTHENTICATED)]) -> Response:
    auth_service.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    return RedirectResponse("/tokens", status_code=303)
