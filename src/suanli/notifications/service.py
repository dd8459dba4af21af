"""The inbox, preferences, webhooks, alert thresholds and the delivery log."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.notifications import repository as repo
from suanli.notifications import signing, urls
from suanli.notifications.catalogue import BY_KEY, Topic, topics_for
from suanli.notifications.config import notify_settings
from suanli.notifications.messages import Message, message
from suanli.notifications.models import (
    AlertThreshold,
    Channel,
    Delivery,
    DeliveryAttempt,
    Notification,
    NotificationSettings,
    WebhookEndpoint,
)
from suanli.outbox.models import OutboxEvent
from suanli.web.i18n import LANGUAGES

CHOSEN = (Channel.INBOX, Channel.EMAIL)  # the channels a user chooses per topic
MAX_EMAIL = 254
MAX_ENDPOINTS = 10  # per organisation

# --- the inbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    event: OutboxEvent
    message: Message


def inbox(session: Session, *, user_id: int, lang: str, unread_only: bool = False,
          limit: int = 50, offset: int = 0) -> tuple[list[InboxItem], int]:
    """The user's notifications, newest first, each worded in `lang`."""
    rows, total = repo.inbox(session, user_id, unread_only=unread_only, limit=limit,
                             offset=offset)
    return [InboxItem(n, e, message(e.kind, e.payload, lang)) for n, e in rows], total


def unread_count(session: Session, *, user_id: int) -> int:
    return repo.unread_count(session, user_id)


def mark_read(session: Session, *, user_id: int, ids: Collection[int] | None,
              now: datetime | None = None) -> int:
    """Mark some (None: all) of the user's notifications read; how many changed."""
    return repo.mark_read(session, user_id, ids, now or utcnow())


# --- preferences -------------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    email: str | None
    language: str
    digest: bool
    topics: list[Topic]  # those the user's roles can hear of
    chosen: dict[tuple[str, str], bool]  # (topic, channel) -> on
    email_available: bool  # SMTP is configured

    def on(self, topic: str, channel: str) -> bool:
        return self.chosen.get((topic, channel), True)


def preferences(session: Session, *, principal: Principal, lang: str = "en") -> Preferences:
    contact = repo.settings(session, principal.user_id)
    prefs = repo.preferences_of(session, [principal.user_id])
    return Preferences(
        email=contact.email if contact else None,
        language=contact.language if contact else lang,
        digest=contact.digest if contact else False,
        topics=topics_for(principal.roles),
        chosen={(t, c): on for (_, t, c), on in prefs.items()},
        email_available=notify_settings().smtp is not None)


def _email(value: str | None) -> str | None:
    text = (value or "").strip()
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    if (not at or not local or "." not in domain or len(text) > MAX_EMAIL
            or any(c.isspace() or c in "<>,;\"" for c in text)):
        raise ValidationFailed("not an e-mail address such as name@example.com",
                               field="email")
    return text


def save_preferences(session: Session, *, principal: Principal, email: str | None,
                     language: str, digest: bool,
                     chosen: Mapping[tuple[str, str], bool]) -> Preferences:
    """Store the user's address, language, digest choice and per-topic channels (topics
    and channels not named keep their default: on)."""
    if language not in LANGUAGES:
        raise ValidationFailed(f"must be one of {', '.join(LANGUAGES)}", field="language")
    for topic, channel in chosen:
        if topic not in BY_KEY:
            raise ValidationFailed(f"no topic {topic!r}", field="topics")
        if channel not in {c.value for c in CHOSEN}:
            raise ValidationFailed(f"channel must be inbox or email, not {channel!r}",
                                   field="topics")
    contact = repo.settings(session, principal.user_id)
    if contact is None:
        contact = NotificationSettings(user_id=principal.user_id)
        session.add(contact)
    contact.email, contact.language, contact.digest = _email(email), language, digest
    repo.replace_preferences(session, principal.user_id, chosen)
    session.flush()
    return preferences(session, principal=principal, lang=language)


# --- webhooks ----------------------------------------------------------------------------


def _org(principal: Principal, organisation_id: int | None) -> int:
    mine = principal.org_ids()
    if organisation_id is None:
        if len(mine) != 1:
            raise ValidationFailed("say which of your organisations", field="organisation_id")
        return next(iter(mine))
    if organisation_id not in mine:
        raise NotFound(f"no organisation {organisation_id} of yours", field="organisation_id")
    return organisation_id


def _topics(topics: Collection[str]) -> list[str]:
    unknown = sorted(set(topics) - set(BY_KEY))
    if unknown:
        raise ValidationFailed(f"no topic {unknown[0]!r}", field="topics")
    return sorted(set(topics))


def endpoints(session: Session, *, principal: Principal) -> list[WebhookEndpoint]:
    """The webhooks of the caller's organisations."""
    return repo.endpoints_of(session, principal.org_ids(), active_only=False)


def endpoint_for(session: Session, *, principal: Principal, endpoint_id: int
                 ) -> WebhookEndpoint:
    found = repo.endpoint(session, endpoint_id)
    if found is None or found.organisation_id not in principal.org_ids():
        raise NotFound(f"no webhook {endpoint_id} of yours", field="endpoint_id")
    return found


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"url": endpoint.url, "topics": endpoint.topics, "active": endpoint.active}


def add_endpoint(session: Session, *, principal: Principal, url: str,
                 topics: Collection[str] = (), organisation_id: int | None = None
                 ) -> WebhookEndpoint:
    """A new webhook for one of the caller's organisations, with a fresh secret. Refused
    (422, `url`) when the URL points at the platform itself or at a private address."""
    org = _org(principal, organisation_id)
    settings = notify_settings()
    checked = urls.check(url, allow_private=settings.webhook_allow_private,
                         platform=settings.platform_netloc)
    if len(repo.endpoints_of(session, [org], active_only=False)) >= MAX_ENDPOINTS:
        raise ValidationFailed(f"an organisation has at most {MAX_ENDPOINTS} webhooks",
                               field="url")
    endpoint = WebhookEndpoint(organisation_id=org, url=checked, secret=signing.new_secret(),
                               topics=_topics(topics), active=True,
                               created_by=principal.user_id, created_at=utcnow())
    repo.add(session, endpoint)
    audit.record(session, action="webhook.add", object_type="webhook_endpoint",
                 object_id=endpoint.id, after=_snapshot(endpoint), organisation_id=org)
    return endpoint


def update_endpoint(session: Session, *, principal: Principal, endpoint_id: int,
                    active: bool | None = None, topics: Collection[str] | None = None,
                    rotate_secret: bool = False) -> WebhookEndpoint:
    endpoint = endpoint_for(session, principal=principal, endpoint_id=endpoint_id)
    before = _snapshot(endpoint)
    if active is not None:
        endpoint.active = active
    if topics is not None:
        endpoint.topics = _topics(topics)
    if rotate_secret:
        endpoint.secret = signing.new_secret()
    session.flush()
    audit.record(session, action="webhook.update", object_type="webhook_endpoint",
                 object_id=endpoint.id, before=before,
                 after=_snapshot(endpoint) | {"secret_rotated": rotate_secret},
                 organisation_id=endpoint.organisation_id)
    return endpoint


def remove_endpoint(session: Session, *, principal: Principal, endpoint_id: int) -> None:
    endpoint = endpoint_for(session, principal=principal, endpoint_id=endpoint_id)
    audit.record(session, action="webhook.remove", object_type="webhook_endpoint",
                 object_id=endpoint.id, before=_snapshot(endpoint),
                 organisation_id=endpoint.organisation_id)
    repo.remove(session, endpoint)


# --- the delivery log --------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


def delivery_log(session: Session, *, principal: Principal, endpoint_id: int | None = None,
                 status: str | None = None, limit: int = 50, offset: int = 0
                 ) -> tuple[list[LogEntry], int]:
    """E-mails to the caller and webhook calls of the caller's organisations (platform
    admins: every delivery), newest first, each with its attempts."""
    if endpoint_id is not None:
        endpoint_for(session, principal=principal, endpoint_id=endpoint_id)
    everyone = principal.has_role(Role.PLATFORM_ADMIN)
    rows, total = repo.deliveries(
        session, user_id=None if everyone else principal.user_id,
        org_ids=None if everyone else principal.org_ids(), endpoint_id=endpoint_id,
        status=status, limit=limit, offset=offset)
    tries = repo.attempts_of(session, [d.id for d in rows])
    return [LogEntry(d, tries.get(d.id, [])) for d in rows], total


def org_names(session: Session, ids: Collection[int]) -> dict[int, str]:
    return repo.org_names(session, ids)


# --- alert thresholds --------------------------------------------------------------------


def set_threshold(session: Session, *, subject_type: str, subject_id: int,
                  organisation_id: int, threshold_fen: int | None, user_id: int | None
                  ) -> AlertThreshold | None:
    """Warn `organisation_id` once when the subject's balance falls below `threshold_fen`
    (None: no warning). The caller has checked that the organisation owns the subject."""
    if threshold_fen is not None and threshold_fen <= 0:
        raise ValidationFailed("must be above zero (or empty for no warning)",
                               field="threshold_cny")
    row = repo.threshold(session, subject_type, subject_id)
    before = None if row is None else {"threshold_fen": row.threshold_fen}
    if threshold_fen is None:
        if row is not None:
            repo.remove(session, row)
        row = None
    elif row is None:
        row = AlertThreshold(subject_type=subject_type, subject_id=subject_id,
                             threshold_fen=threshold_fen, organisation_id=organisation_id,
                             set_by=user_id)
        repo.add(session, row)
    else:
        row.threshold_fen, row.set_by = threshold_fen, user_id
        session.flush()
    audit.record(session, action=f"alert.{subject_type}", object_type=subject_type,
                 object_id=subject_id, before=before,
                 after=None if row is None else {"threshold_fen": row.threshold_fen},
                 organisation_id=organisation_id)
    return row


def thresholds(session: Session, subject_type: str, subject_ids: Collection[int]
               ) -> dict[int, int]:
    """Subject id -> its threshold in fen."""
    rows = repo.thresholds(session, subject_type, subject_ids)
    return {i: t.threshold_fen for i, t in rows.items()}
