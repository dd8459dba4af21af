"""The sender: dispatch the outbox, then send what is due, at least once.

A pass claims due deliveries in one short transaction (their next attempt moves to the end
of a lease and the attempt is counted), sends them with no transaction open, and records
each outcome in a second one: delivered, or due again after an exponential backoff, or
given up after the last attempt. A sender that dies between sending and recording leaves
its deliveries to be claimed again when the lease ends, so a receiver may get a message
twice, always with the same event id (e-mail `Message-ID` and `Suanli-Event-Id`, webhook
`Suanli-Event-Id`), and drops the second.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from suanli.kit.db import unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.notifications import dispatch, reminders, transport
from suanli.notifications import repository as repo
from suanli.notifications.catalogue import topic_of
from suanli.notifications.config import NotifySettings, notify_settings
from suanli.notifications.messages import (
    DigestItem,
    Envelope,
    digest_mail,
    event_mail,
    webhook_body,
)
from suanli.notifications.models import Channel, Delivery, DeliveryStatus
from suanli.outbox import service as outbox

log = logging.getLogger("suanli.notifications.sender")
CLAIM = 500  # deliveries per claim
REMINDERS_EVERY = timedelta(minutes=1)


def retry_delay(attempts: int, *, base_s: float, max_s: float) -> timedelta:
    """How long after its `attempts`-th failed try a delivery is tried again: base,
    2 x base, 4 x base ... up to max."""
    return timedelta(seconds=min(max_s, base_s * 2 ** max(0, attempts - 1)))


@dataclass
class PassReport:
    dispatched: int = 0
    sent: int = 0
    failed: int = 0
    reminders: int = 0
    digests: int = 0
    outcomes: list[transport.Outcome] = field(default_factory=list)


def _envelope(settings: NotifySettings, to: str) -> Envelope:
    assert settings.smtp is not None
    return Envelope(settings.smtp.sender, to, settings.smtp.domain, settings.base_url)


def _jobs(session: Session, claimed: list[Delivery], settings: NotifySettings
          ) -> tuple[list[transport.Mail], list[transport.Call], list[transport.Outcome]]:
    """What to send for each claimed delivery (and the ones that cannot be sent at all)."""
    events = outbox.by_ids(session, {d.outbox_id for d in claimed if d.outbox_id})
    contacts = repo.settings_of(session, {d.user_id for d in claimed if d.user_id})
    endpoints = repo.endpoints_by_ids(session, {d.endpoint_id for d in claimed
                                                if d.endpoint_id})
    mails: list[transport.Mail] = []
    calls: list[transport.Call] = []
    dead: list[transport.Outcome] = []
    for d in claimed:
        if d.channel == Channel.WEBHOOK:
            endpoint = endpoints.get(d.endpoint_id or 0)
            event = events.get(d.outbox_id or 0)
            if endpoint is None or not endpoint.active or event is None:
                dead.append(transport.Outcome(d.id, False, None, "the endpoint was disabled",
                                              utcnow(), 0, final=True))
                continue
            topic = topic_of(event.kind)
            calls.append(transport.Call(d.id, endpoint.url, endpoint.secret, webhook_body(
                event_id=event.event_id, kind=event.kind, occurred_at=event.occurred_at,
                subject_type=event.subject_type, subject_id=event.subject_id,
                organisation_id=endpoint.organisation_id, payload=event.payload),
                event.event_id, topic.key if topic else event.kind))
            continue
        if settings.smtp is None:
            dead.append(transport.Outcome(d.id, False, None, "e-mail is not configured "
                                          "(SUANLI_SMTP_HOST is unset)", utcnow(), 0))
            continue
        contact = contacts.get(d.user_id or 0)
        lang = contact.language if contact else "en"
        if d.channel == Channel.DIGEST:
            items = [DigestItem(e.kind, e.payload, e.occurred_at)
                     for _, e in repo.notifications_by_ids(session, d.items or [])]
            message = digest_mail(_envelope(settings, d.target), items=items, lang=lang,
                                  digest_id=d.event_id, day=d.key.rsplit(":", 1)[-1],
                                  when=utcnow())
        else:
            event = events[d.outbox_id or 0]
            message = event_mail(_envelope(settings, d.target), kind=event.kind,
                                 payload=event.payload, lang=lang, event_id=event.event_id,
                                 user_id=d.user_id or 0, occurred_at=event.occurred_at)
        mails.append(transport.Mail(d.id, d.target, message))
    return mails, calls, dead


def _record(session: Session, claimed: dict[int, Delivery], outcomes: list[transport.Outcome],
            settings: NotifySettings, now: datetime | None) -> tuple[int, int]:
    updates: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    sent = failed = 0
    for o in outcomes:
        d = claimed[o.delivery_id]
        attempts.append({"delivery_id": d.id, "at": o.at, "ok": o.ok, "code": o.code,
                         "error": o.error, "duration_ms": o.duration_ms})
        change: dict[str, Any] = {"id": d.id, "last_attempt_at": o.at, "last_code": o.code,
                                  "last_error": o.error}
        if o.ok:
            sent += 1
            change |= {"status": DeliveryStatus.DELIVERED.value, "delivered_at": o.at}
        else:
            failed += 1
            given_up = o.final or d.attempts >= settings.max_attempts
            delay = retry_delay(d.attempts, base_s=settings.retry_base_s,
                                max_s=settings.retry_max_s)
            change |= {"status": (DeliveryStatus.FAILED if given_up
                                  else DeliveryStatus.PENDING).value,
                       "next_attempt_at": (now or o.at) + delay}
        updates.append(change)
    repo.record_outcomes(session, updates, attempts)
    return sent, failed


def send_due(factory: sessionmaker[Session], *, settings: NotifySettings,
             now: datetime | None = None, limit: int = CLAIM,
             report: PassReport | None = None) -> PassReport:
    """Claim, send and record one batch of due deliveries."""
    report = report or PassReport()
    at = now or utcnow()
    with unit_of_work(factory) as session:
        rows = repo.claim_due(session, now=at, until=at + timedelta(seconds=settings.lease_s),
                              limit=limit)
        claimed = {d.id: d for d in rows}
        mails, calls, dead = _jobs(session, rows, settings) if rows else ([], [], [])
    if not claimed:
        return report
    outcomes = dead + transport.deliver(settings, mails, calls)
    with unit_of_work(factory) as session:
        sent, failed = _record(session, claimed, outcomes, settings, now)
    report.sent += sent
    report.failed += failed
    report.outcomes += outcomes
    return report


def dispatch_all(factory: sessionmaker[Session], *, settings: NotifySettings,
                 now: datetime | None = None) -> int:
    """Dispatch every waiting outbox event, a batch per transaction."""
    total = 0
    while True:
        with unit_of_work(factory) as session:
            taken = dispatch.dispatch(session, settings=settings, now=now)
        total += taken
        if taken < dispatch.BATCH:
            return total


def run_pass(factory: sessionmaker[Session], *, now: datetime | None = None,
             settings: NotifySettings | None = None, with_reminders: bool = True,
             max_batches: int = 100) -> PassReport:
    """One pass of the sender: reminders (when asked), the outbox dispatched, and every due
    delivery sent, a batch at a time."""
    settings = settings or notify_settings()
    report = PassReport()
    if with_reminders:
        with unit_of_work(factory) as session:
            report.reminders = reminders.emit_due(session, now=now)
    report.dispatched = dispatch_all(factory, settings=settings, now=now)
    if with_reminders:
        with unit_of_work(factory) as session:
            report.digests = reminders.queue_digests(session, settings=settings, now=now)
    for _ in range(max_batches):
        before = report.sent + report.failed
        send_due(factory, settings=settings, now=now, report=report)
        if report.sent + report.failed == before:
            break
    return report


def run_forever(factory: sessionmaker[Session], stop: threading.Event) -> None:
    """The sender inside `suanli worker`: a pass every SUANLI_NOTIFY_POLL seconds (two by
    default), reminders and digests once a minute, until `stop` is set. With `stop`
    already set it makes one full pass and returns (`--once`)."""
    last_reminders: datetime | None = None
    while True:
        settings = notify_settings()
        due = last_reminders is None or utcnow() - last_reminders >= REMINDERS_EVERY
        try:
            report = run_pass(factory, settings=settings, with_reminders=due)
            if due:
                last_reminders = utcnow()
            if report.sent or report.failed:
                log.info("notifications sent", extra={"fields": {
                    "sent": report.sent, "failed": report.failed,
                    "dispatched": report.dispatched}})
        except Exception:  # one failed pass must not stop the sender
            log.exception("notifications pass failed")
        if stop.is_set() or stop.wait(settings.poll_s):
            return
