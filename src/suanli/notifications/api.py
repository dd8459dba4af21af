"""JSON routes of notifications: the inbox, preferences, webhooks, the delivery log and
balance alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from suanli.auth.principal import Principal
from suanli.deps import DbSession, Guard, Idempotent
from suanli.kit.money import parse_cny
from suanli.kit.pagination import Page, PageParams, page_params
from suanli.notifications import alerts, service
from suanli.notifications import permissions as perms
from suanli.notifications.catalogue import topic_of
from suanli.notifications.models import DeliveryStatus
from suanli.notifications.schemas import (
    MAX_ID,
    AttemptRead,
    ChangedRead,
    DeliveryRead,
    Id,
    NotificationRead,
    PreferencesIn,
    PreferencesRead,
    ThresholdIn,
    TopicChoice,
    UnreadRead,
    WatchedRead,
    WebhookIn,
    WebhookPatch,
    WebhookRead,
    cny,
)
from suanli.web.i18n import LANG_COOKIE, pick_language

router = APIRouter(tags=["notifications"])
Own = Annotated[Principal, Guard(perms.NOTIFICATIONS_OWN)]
Hooks = Annotated[Principal, Guard(perms.WEBHOOKS_MANAGE)]
Paging = Annotated[PageParams, Depends(page_params)]


def _lang(request: Request) -> str:
    return pick_language(request.cookies.get(LANG_COOKIE), request.headers.get(
        "accept-language"))


def _topic(kind: str) -> str:
    topic = topic_of(kind)
    return topic.key if topic else kind


@router.get("/notifications", response_model=Page[NotificationRead],
            summary="Your inbox, newest first, in your language (Accept-Language)")
def list_notifications(request: Request, session: DbSession, principal: Own, page: Paging,
                       unread: bool = False) -> Page[NotificationRead]:
    items, total = service.inbox(session, user_id=principal.user_id, lang=_lang(request),
                                 unread_only=unread, limit=page.limit, offset=page.offset)
    return Page(items=[NotificationRead(
        id=i.notification.id, event_id=i.event.event_id, kind=i.event.kind,
        topic=_topic(i.event.kind),
        title=i.message.title, body=i.message.body, link=i.message.link,
        occurred_at=i.notification.occurred_at, read_at=i.notification.read_at)
        for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/notifications/unread-count", response_model=UnreadRead,
            summary="How many of your notifications are unread")
def unread(session: DbSession, principal: Own) -> UnreadRead:
    return UnreadRead(unread=service.unread_count(session, user_id=principal.user_id))


@router.post("/notifications/read-all", response_model=ChangedRead,
             summary="Mark every notification of yours read")
def read_all(session: DbSession, principal: Own, _key: Idempotent) -> ChangedRead:
    return ChangedRead(changed=service.mark_read(session, user_id=principal.user_id, ids=None))


@router.post("/notifications/{notification_id}/read", response_model=ChangedRead,
             summary="Mark one notification read (changed: 0 when it was already)")
def read_one(notification_id: Id, session: DbSession, principal: Own,
             _key: Idempotent) -> ChangedRead:
    return ChangedRead(changed=service.mark_read(session, user_id=principal.user_id,
                                                 ids=[notification_id]))


def _prefs_read(prefs: service.Preferences) -> PreferencesRead:
    return PreferencesRead(
        email=prefs.email, language=prefs.language, digest=prefs.digest,
        email_available=prefs.email_available,
        topics=[TopicChoice(topic=t.key, inbox=prefs.on(t.key, "inbox"),
                            email=prefs.on(t.key, "email")) for t in prefs.topics])


@router.get("/notifications/preferences", response_model=PreferencesRead,
            summary="Your e-mail address, language, digest choice and the channels of each "
                    "topic your roles hear of")
def get_preferences(request: Request, session: DbSession, principal: Own) -> PreferencesRead:
    return _prefs_read(service.preferences(session, principal=principal, lang=_lang(request)))


@router.put("/notifications/preferences", response_model=PreferencesRead,
            summary="Choose which topics reach which channel (inbox, e-mail), and how")
def put_preferences(body: PreferencesIn, session: DbSession, principal: Own,
                    _key: Idempotent) -> PreferencesRead:
    chosen = {}
    for choice in body.topics:
        chosen[(choice.topic, "inbox")] = choice.inbox
        chosen[(choice.topic, "email")] = choice.email
    return _prefs_read(service.save_preferences(
        session, principal=principal, email=body.email, language=body.language,
        digest=body.digest, chosen=chosen))


@router.get("/notifications/webhooks", response_model=list[WebhookRead],
            summary="The webhooks of your organisations")
def list_webhooks(session: DbSession, principal: Hooks) -> list[WebhookRead]:
    return [WebhookRead.model_validate(e) for e in service.endpoints(session,
                                                                     principal=principal)]


@router.post("/notifications/webhooks", response_model=WebhookRead, status_code=201,
             summary="Add a webhook (refused: the platform itself, private addresses)")
def add_webhook(body: WebhookIn, session: DbSession, principal: Hooks,
                _key: Idempotent) -> WebhookRead:
    return WebhookRead.model_validate(service.add_endpoint(
        session, principal=principal, url=body.url, topics=body.topics,
        organisation_id=body.organisation_id))


@router.patch("/notifications/webhooks/{endpoint_id}", response_model=WebhookRead,
              summary="Pause or resume a webhook, change its topics, rotate its secret")
def patch_webhook(endpoint_id: Id, body: WebhookPatch, session: DbSession,
                  principal: Hooks, _key: Idempotent) -> WebhookRead:
    return WebhookRead.model_validate(service.update_endpoint(
        session, principal=principal, endpoint_id=endpoint_id, active=body.active,
        topics=body.topics, rotate_secret=body.rotate_secret))


@router.delete("/notifications/webhooks/{endpoint_id}", status_code=204,
               summary="Remove a webhook and its delivery log")
def delete_webhook(endpoint_id: Id, session: DbSession, principal: Hooks) -> Response:
    service.remove_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    return Response(status_code=204)


@router.get("/notifications/deliveries", response_model=Page[DeliveryRead],
            summary="The delivery log: your e-mails and your organisations' webhook calls, "
                    "each try with its response code")
def deliveries(session: DbSession, principal: Hooks, page: Paging,
               endpoint_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
               status: DeliveryStatus | None = None) -> Page[DeliveryRead]:
    rows, total = service.delivery_log(session, principal=principal, endpoint_id=endpoint_id,
                                       status=status, limit=page.limit, offset=page.offset)
    items = [DeliveryRead(
        id=r.delivery.id, channel=r.delivery.channel, event_id=r.delivery.event_id,
        kind=r.delivery.kind, target=r.delivery.target, status=r.delivery.status,
        attempts=r.delivery.attempts,
        next_attempt_at=r.delivery.next_attempt_at if r.delivery.status == "pending"
        else None, delivered_at=r.delivery.delivered_at, last_code=r.delivery.last_code,
        last_error=r.delivery.last_error,
        tries=[AttemptRead.model_validate(a) for a in r.attempts]) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/notifications/alerts", response_model=list[WatchedRead],
            summary="Your vouchers' and programs' balances with their alert thresholds")
def list_alerts(session: DbSession, principal: Own) -> list[WatchedRead]:
    return [WatchedRead(kind=w.kind, id=w.id, name=w.name,
                        available_cny=cny(w.available_fen) or "0.00",
                        threshold_cny=cny(w.threshold_fen))
            for w in alerts.watched(session, principal=principal)]


def _fen(body: ThresholdIn) -> int | None:
    if body.threshold_cny is None:
        return None
    return parse_cny(body.threshold_cny, field="threshold_cny")


@router.put("/notifications/alerts/vouchers/{voucher_id}", response_model=ThresholdIn,
            summary="Be warned once when a voucher of yours falls below this balance")
def voucher_alert(voucher_id: Id, body: ThresholdIn, session: DbSession,
                  principal: Annotated[Principal, Guard(perms.VOUCHER_ALERTS)],
                  _key: Idempotent) -> ThresholdIn:
    fen = alerts.set_voucher_threshold(session, principal=principal, voucher_id=voucher_id,
                                       threshold_fen=_fen(body))
    return ThresholdIn(threshold_cny=cny(fen))


@router.put("/notifications/alerts/programs/{program_id}", response_model=ThresholdIn,
            summary="Be warned once when a program's budget falls below this amount")
def budget_alert(program_id: Id, body: ThresholdIn, session: DbSession,
                 principal: Annotated[Principal, Guard(perms.BUDGET_ALERTS)],
                 _key: Idempotent) -> ThresholdIn:
    fen = alerts.set_budget_threshold(session, principal=principal, program_id=program_id,
                                      threshold_fen=_fen(body))
    return ThresholdIn(threshold_cny=cny(fen))
