"""Dispatch: outbox events become inbox notifications, queued digest items, e-mails and
webhook calls to send, in one transaction with marking the events dispatched (a crash
leaves the events undispatched, and nothing half-written)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from suanli.auth.roles import Role
from suanli.kit.timeutil import utcnow
from suanli.notifications import repository as repo
from suanli.notifications.catalogue import EVERYONE, Audience, Topic, topic_of
from suanli.notifications.config import NotifySettings
from suanli.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    DigestState,
    Notification,
    NotificationSettings,
)
from suanli.outbox import service as outbox
from suanli.outbox.models import OutboxEvent

BATCH = 500


@dataclass
class _Told:
    """One event's recipients: users (with the organisation they hear as) and the
    organisations whose webhooks hear of it."""

    event: OutboxEvent
    topic: Topic
    users: dict[int, int] = field(default_factory=dict)
    orgs: set[int] = field(default_factory=set)


class _Fanout:
    def __init__(self, session: Session, settings: NotifySettings, now: datetime) -> None:
        self.session, self.settings, self.now = session, settings, now
        self.members: dict[tuple[int | None, frozenset[Role]], list[tuple[int, int]]] = {}
        self.authorities: dict[int, int] = {}

    def _members(self, org_id: int | None, roles: frozenset[Role]) -> list[tuple[int, int]]:
        key = (org_id, roles)
        if key not in self.members:
            self.members[key] = repo.members(self.session, org_ids=None if org_id is None
                                             else [org_id], roles=roles)
        return self.members[key]

    def _org(self, event: OutboxEvent, part: str) -> int | None:
        if part in event.orgs:
            return int(event.orgs[part])
        program_id = event.payload.get("program_id")
        if part == "authority" and isinstance(program_id, int):
            return self.authorities.get(program_id)
        return None

    def _audience(self, told: _Told, audience: Audience) -> None:
        if audience.part == EVERYONE:
            found = self._members(None, audience.roles)
            told.orgs.update(org for _, org in found)
        else:
            org_id = self._org(told.event, audience.part)
            if org_id is None:
                return
            told.orgs.add(org_id)
            found = self._members(org_id, audience.roles)
        for user_id, org_id in found:
            told.users.setdefault(user_id, org_id)

    def resolve(self, events: Iterable[OutboxEvent]) -> list[_Told]:
        events = list(events)
        programs = {e.payload["program_id"] for e in events
                    if isinstance(e.payload.get("program_id"), int)}
        self.authorities = repo.program_authorities(self.session, programs)
        out = []
        for event in events:
            topic = topic_of(event.kind)
            if topic is None:
                continue
            told = _Told(event, topic)
            for audience in topic.audiences:
                self._audience(told, audience)
            out.append(told)
        return out


def _chosen(prefs: dict[tuple[int, str, str], bool], user_id: int, topic: str,
            channel: Channel) -> bool:
    return prefs.get((user_id, topic, channel.value), True)  # every channel is on by default


def _rows(told: list[_Told], session: Session, settings: NotifySettings, now: datetime
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    users = {u for t in told for u in t.users}
    contacts = repo.settings_of(session, users)
    prefs = repo.preferences_of(session, users)
    endpoints = repo.endpoints_of(session, {o for t in told for o in t.orgs})
    notes: list[dict[str, Any]] = []
    sends: list[dict[str, Any]] = []
    for t in told:
        e = t.event
        for user_id, org_id in sorted(t.users.items()):
            contact = contacts.get(user_id)
            inbox = _chosen(prefs, user_id, t.topic.key, Channel.INBOX)
            mail = (settings.smtp is not None and contact is not None and bool(contact.email)
                    and _chosen(prefs, user_id, t.topic.key, Channel.EMAIL))
            digest = mail and _digest(contact)
            if inbox or digest:
                notes.append({"outbox_id": e.id, "user_id": user_id, "kind": e.kind,
                              "inbox": inbox, "occurred_at": e.occurred_at,
                              "digest_state": DigestState.QUEUED.value if digest else None})
            if mail and not digest:
                assert contact is not None and contact.email
                sends.append(_send(e, Channel.EMAIL, f"email:{user_id}", contact.email, now,
                                   user_id=user_id, organisation_id=org_id))
        for endpoint in endpoints:
            if endpoint.organisation_id in t.orgs and (not endpoint.topics
                                                       or t.topic.key in endpoint.topics):
                sends.append(_send(e, Channel.WEBHOOK, f"webhook:{endpoint.id}", endpoint.url,
                                   now, endpoint_id=endpoint.id,
                                   organisation_id=endpoint.organisation_id))
    return notes, sends


def _digest(contact: NotificationSettings | None) -> bool:
    return contact is not None and contact.digest


def _send(event: OutboxEvent, channel: Channel, to: str, target: str, now: datetime,
          **who: int | None) -> dict[str, Any]:
    return {"key": f"e:{event.id}:{to}", "channel": channel.value, "outbox_id": event.id,
            "event_id": event.event_id, "kind": event.kind, "target": target,
            "items": None, "status": DeliveryStatus.PENDING.value, "attempts": 0,
            "next_attempt_at": now, "occurred_at": event.occurred_at, "created_at": now,
            "user_id": who.get("user_id"), "endpoint_id": who.get("endpoint_id"),
            "organisation_id": who.get("organisation_id")}


def dispatch(session: Session, *, settings: NotifySettings, limit: int = BATCH,
             now: datetime | None = None) -> int:
    """Hand up to `limit` undispatched outbox events to their recipients; how many events
    were taken (0: none waited)."""
    now = now or utcnow()
    events = outbox.pending(session, limit=limit)
    if not events:
        return 0
    told = _Fanout(session, settings, now).resolve(events)
    notes, sends = _rows(told, session, settings, now)
    repo.insert_rows(session, Notification, notes)
    repo.insert_rows(session, Delivery, sends)
    outbox.mark_dispatched(session, [e.id for e in events], at=now)
    return len(events)
