"""Pages of notifications: the inbox, preferences, webhooks, the delivery log, alerts; and
the unread count every page shows in its top bar."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from suanli.auth.principal import Principal
from suanli.catalog.forms import FormFields
from suanli.deps import DbSession, Guard
from suanli.kit.errors import AppError, ValidationFailed
from suanli.kit.money import MoneyError, parse_cny
from suanli.notifications import alerts, service
from suanli.notifications import permissions as perms
from suanli.notifications.catalogue import topics_for
from suanli.notifications.models import DeliveryStatus
from suanli.notifications.schemas import MAX_ID, Id
from suanli.web import render as web_render
from suanli.web.render import language, render

log = logging.getLogger("suanli.notifications.pages")
router = APIRouter(include_in_schema=False)
Own = Annotated[Principal, Guard(perms.NOTIFICATIONS_OWN)]
Hooks = Annotated[Principal, Guard(perms.WEBHOOKS_MANAGE)]
PAGE = 30


def unread_in_top_bar(request: Request) -> dict[str, Any]:
    """`inbox_unread` for the base template when someone is logged in."""
    principal = getattr(request.state, "principal", None)
    session = getattr(request.state, "db", None)
    if not isinstance(principal, Principal) or session is None:
        return {}
    try:
        return {"inbox_unread": service.unread_count(session, user_id=principal.user_id)}
    except Exception:  # a page (an error page above all) must render without its count
        log.warning("unread count unavailable", exc_info=True)
        return {}


def register() -> None:
    """Put the unread count on every page (called once when the app is built)."""
    if unread_in_top_bar not in web_render.PAGE_CONTEXT:
        web_render.PAGE_CONTEXT.append(unread_in_top_bar)


@router.get("/notifications", response_class=HTMLResponse)
def inbox_page(request: Request, session: DbSession, principal: Own, unread: bool = False,
               offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> Response:
    items, total = service.inbox(session, user_id=principal.user_id, lang=language(request),
                                 unread_only=unread, limit=PAGE, offset=offset)
    return render(request, "notifications/inbox.html", items=items, total=total,
                  offset=offset, page=PAGE, unread=unread)


@router.post("/notifications/read-all")
def read_all_page(session: DbSession, principal: Own) -> Response:
    service.mark_read(session, user_id=principal.user_id, ids=None)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read")
def read_page(notification_id: Id, session: DbSession, principal: Own,
              fields: FormFields) -> Response:
    service.mark_read(session, user_id=principal.user_id, ids=[notification_id])
    back = fields.get("next", "")
    return RedirectResponse(back if back.startswith("/") and not back.startswith("//")
                            else "/notifications", status_code=303)


def _preferences_page(request: Request, session: DbSession, principal: Principal,
                      status_code: int = 200, errors: dict[str, str] | None = None,
                      saved: bool = False, form: dict[str, str] | None = None) -> Response:
    prefs = service.preferences(session, principal=principal, lang=language(request))
    return render(request, "notifications/preferences.html", status_code, prefs=prefs,
                  errors=errors or {}, saved=saved, form=form)


@router.get("/notifications/preferences", response_class=HTMLResponse)
def preferences_page(request: Request, session: DbSession, principal: Own,
                     saved: bool = False) -> Response:
    return _preferences_page(request, session, principal, saved=saved)


@router.post("/notifications/preferences", response_class=HTMLResponse)
def preferences_save(request: Request, session: DbSession, principal: Own,
                     fields: FormFields) -> Response:
    topics = service.preferences(session, principal=principal).topics
    chosen = {(t.key, channel): fields.get(f"{t.key}:{channel}") == "on"
              for t in topics for channel in ("inbox", "email")}
    try:
        service.save_preferences(session, principal=principal, email=fields.get("email"),
                                 language=fields.get("language", "en"),
                                 digest=fields.get("digest") == "on", chosen=chosen)
    except AppError as exc:
        session.rollback()
        return _preferences_page(request, session, principal, 422,
                                 errors={exc.field or "form": exc.detail}, form=fields)
    return RedirectResponse("/notifications/preferences?saved=1", status_code=303)


def _webhooks_page(request: Request, session: DbSession, principal: Principal,
                   status_code: int = 200, errors: dict[str, str] | None = None,
                   form: dict[str, str] | None = None) -> Response:
    endpoints = service.endpoints(session, principal=principal)
    names = service.org_names(session, principal.org_ids())
    topics = topics_for(principal.roles)
    return render(request, "notifications/webhooks.html", status_code, endpoints=endpoints,
                  names=names, topics=topics, errors=errors or {}, form=form or {})


@router.get("/notifications/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, session: DbSession, principal: Hooks) -> Response:
    return _webhooks_page(request, session, principal)


@router.post("/notifications/webhooks", response_class=HTMLResponse)
def webhook_add(request: Request, session: DbSession, principal: Hooks,
                fields: FormFields) -> Response:
    raw_org = fields.get("organisation_id", "")
    try:
        service.add_endpoint(session, principal=principal, url=fields.get("url", ""),
                             topics=[k.removeprefix("topic:") for k, v in fields.items()
                                     if k.startswith("topic:") and v == "on"],
                             organisation_id=int(raw_org) if raw_org.isdigit() else None)
    except AppError as exc:
        session.rollback()
        return _webhooks_page(request, session, principal, 422,
                              errors={exc.field or "form": exc.detail}, form=fields)
    return RedirectResponse("/notifications/webhooks", status_code=303)


@router.post("/notifications/webhooks/{endpoint_id}", response_class=HTMLResponse)
def webhook_change(endpoint_id: Id, session: DbSession, principal: Hooks,
                   fields: FormFields) -> Response:
    action = fields.get("action", "")
    if action == "delete":
        service.remove_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    elif action in {"pause", "resume", "rotate"}:
        service.update_endpoint(session, principal=principal, endpoint_id=endpoint_id,
                                active={"pause": False, "resume": True}.get(action),
                                rotate_secret=action == "rotate")
    return RedirectResponse("/notifications/webhooks", status_code=303)


@router.get("/notifications/deliveries", response_class=HTMLResponse)
def deliveries_page(request: Request, session: DbSession, principal: Hooks,
                    endpoint_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                    status: DeliveryStatus | None = None,
                    offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> Response:
    rows, total = service.delivery_log(session, principal=principal, endpoint_id=endpoint_id,
                                       status=status, limit=PAGE, offset=offset)
    return render(request, "notifications/deliveries.html", rows=rows, total=total,
                  offset=offset, page=PAGE, status=status, endpoint_id=endpoint_id)


def _alerts_page(request: Request, session: DbSession, principal: Principal,
                 status_code: int = 200, errors: dict[str, str] | None = None,
                 saved: bool = False) -> Response:
    return render(request, "notifications/alerts.html", status_code,
                  watched=alerts.watched(session, principal=principal), errors=errors or {},
                  saved=saved)


@router.get("/notifications/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, session: DbSession, principal: Own,
                saved: bool = False) -> Response:
    return _alerts_page(request, session, principal, saved=saved)


def _threshold(fields: dict[str, str]) -> int | None:
    text = fields.get("threshold_cny", "").strip()
    if not text:
        return None
    try:
        return parse_cny(text, field="threshold_cny")
    except MoneyError as exc:
        raise ValidationFailed(str(exc).removeprefix("threshold_cny: "),
                               field="threshold_cny") from exc


@router.post("/notifications/alerts/{kind}/{subject_id}", response_class=HTMLResponse)
def alert_save(kind: str, subject_id: Id, request: Request, session: DbSession,
               principal: Own, fields: FormFields) -> Response:
    try:
        fen = _threshold(fields)
        if kind == "voucher":
            alerts.set_voucher_threshold(session, principal=principal, voucher_id=subject_id,
                                         threshold_fen=fen)
        elif kind == "program":
            alerts.set_budget_threshold(session, principal=principal, program_id=subject_id,
                                        threshold_fen=fen)
        else:
            return _alerts_page(request, session, principal, 404)
    except AppError as exc:
        if exc.status == 404:
            raise
        session.rollback()
        return _alerts_page(request, session, principal, 422,
                            errors={f"{kind}:{subject_id}": exc.detail})
    return RedirectResponse("/notifications/alerts?saved=1", status_code=303)
