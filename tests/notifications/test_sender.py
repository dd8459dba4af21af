"""The sender against a real SMTP server and a real HTTP receiver: each channel, retries
with backoff, giving up, a crash between sending and recording, preferences, digests."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from suanli.auth.roles import Role
from suanli.kit.db import unit_of_work
from suanli.kit.timeutil import utcnow
from suanli.notifications import sender
from suanli.notifications.models import DeliveryStatus, DigestState
from suanli.web.i18n import translate
from tests.notifications.helpers import (
    attempts,
    contact,
    deliveries,
    endpoint,
    events,
    inbox_rows,
    prefer,
    voucher_issued,
)
from tests.notifications.receivers import SmtpServer, WebhookReceiver, free_port


def run(sessions: sessionmaker[Session], now: datetime | None = None) -> sender.PassReport:
    return sender.run_pass(sessions, now=now, with_reminders=False)


def test_an_event_reaches_the_inbox_an_email_and_a_webhook(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver) -> None:
    buyer = member(Role.BUYER)
    contact(db, buyer.user.id, "chen@acme.test")
    endpoint(db, buyer.org_id, hooks.url)
    event = voucher_issued(db, buyer.org_id)
    report = run(sessions)
    assert (report.dispatched, report.sent, report.failed) == (1, 2, 0), report.outcomes
    (mail,) = notify_env.messages
    assert mail["To"] == "chen@acme.test"
    assert mail["Suanli-Event-Id"] == event.event_id
    assert mail["Message-ID"] == f"<{event.event_id}.{buyer.user.id}@suanli.test>"
    assert "Voucher #7 issued" in mail["Subject"]
    assert "http://suanli.test/vouchers/7" in mail.get_content()
    (call,) = hooks.requests
    assert call.headers["Suanli-Event-Id"] == event.event_id
    assert call.headers["Suanli-Event-Type"] == "voucher.issued"
    assert call.json()["data"]["value_fen"] == 100_000_000
    (note,) = inbox_rows(db)
    assert (note.user_id, note.inbox, note.read_at) == (buyer.user.id, True, None)
    assert {d.status for d in deliveries(db)} == {DeliveryStatus.DELIVERED}
    assert sorted(a.code for a in attempts(db)) == [200, 250]
    assert run(sessions).sent == 0  # nothing twice


def test_the_email_speaks_the_recipients_language(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer) -> None:
    chen = member(Role.BUYER, org="acme")
    li = member(Role.BUYER, org="acme")
    contact(db, chen.user.id, "chen@acme.test", language="zh")
    contact(db, li.user.id, "li@acme.test", language="en")
    voucher_issued(db, chen.org_id)
    run(sessions)
    mails = {m["To"]: m for m in notify_env.messages}
    zh, en = mails["chen@acme.test"], mails["li@acme.test"]
    assert translate("zh", "notify.title.voucher.issued", voucher_id=7) in zh["Subject"]
    assert "算力券 #7 已发放" in zh["Subject"]
    assert "1,000,000.00 元" in zh.get_content()
    assert zh["Content-Language"] == "zh-CN"
    assert "Voucher #7 issued" in en["Subject"]
    assert "worth 1,000,000.00 CNY" in en.get_content()
    assert en["Content-Language"] == "en"


def _verify_as_a_receiver(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What the README tells an integrator to do, written without Suanli's code."""
    stamp = headers["Suanli-Timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("v1=" + expected.hexdigest(), headers["Suanli-Signature"])


def test_a_receiver_verifies_the_webhook_signature(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver) -> None:
    provider = member(Role.PROVIDER)
    endpoint(db, provider.org_id, hooks.url, secret="whsec_s3cret")
    from suanli import outbox

    outbox.emit(db, "attestation.mismatch", subject=("cluster", 3),
                orgs={"provider": provider.org_id},
                payload={"cluster_id": 3, "hostname": "node-1", "problems": "claims A800"})
    db.commit()
    run(sessions)
    (call,) = hooks.requests
    assert _verify_as_a_receiver("whsec_s3cret", call.headers, call.body)
    assert not _verify_as_a_receiver("whsec_wrong", call.headers, call.body)
    assert not _verify_as_a_receiver("whsec_s3cret", call.headers, call.body + b" ")
    assert call.json()["type"] == "attestation.mismatch"
    assert call.headers["Content-Type"] == "application/json"


def test_a_failing_webhook_is_retried_with_backoff_then_delivered(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver) -> None:
    buyer = member(Role.BUYER)
    endpoint(db, buyer.org_id, hooks.url)
    hooks.statuses += [500, 503]
    voucher_issued(db, buyer.org_id)
    t0 = utcnow()
    assert run(sessions, t0).failed == 1
    (d,) = deliveries(db)
    assert (d.status, d.attempts, d.last_code) == (DeliveryStatus.PENDING, 1, 500)
    assert d.next_attempt_at == t0 + timedelta(seconds=1)
    assert run(sessions, t0 + timedelta(milliseconds=500)).failed == 0  # not due yet
    assert run(sessions, t0 + timedelta(seconds=1)).failed == 1
    (d,) = deliveries(db)
    assert d.next_attempt_at == t0 + timedelta(seconds=3)  # 2 s after the second try
    assert run(sessions, t0 + timedelta(seconds=3)).sent == 1
    (d,) = deliveries(db)
    assert (d.status, d.attempts, d.last_code) == (DeliveryStatus.DELIVERED, 3, 200)
    assert [a.code for a in attempts(db)] == [500, 503, 200]
    assert len({r.headers["Suanli-Event-Id"] for r in hooks.requests}) == 1


def test_an_unreachable_smtp_server_delays_the_mail(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    buyer = member(Role.BUYER)
    contact(db, buyer.user.id, "chen@acme.test")
    monkeypatch.setenv("SUANLI_SMTP_PORT", str(free_port()))  # nobody listens there
    voucher_issued(db, buyer.org_id)
    t0 = utcnow()
    assert run(sessions, t0).failed == 1
    (d,) = deliveries(db)
    assert d.status == DeliveryStatus.PENDING and d.last_code is None
    assert "Connection" in (d.last_error or "") or "refused" in (d.last_error or "")
    assert len(inbox_rows(db)) == 1  # the inbox has it all the same
    monkeypatch.setenv("SUANLI_SMTP_PORT", str(notify_env.port))
    assert run(sessions, t0 + timedelta(seconds=1)).sent == 1
    assert len(notify_env.messages) == 1
    assert [a.ok for a in attempts(db)] == [False, True]


def test_the_sender_gives_up_after_the_last_attempt(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUANLI_NOTIFY_MAX_ATTEMPTS", "2")
    buyer = member(Role.BUYER)
    endpoint(db, buyer.org_id, hooks.url)
    hooks.statuses += [500, 500, 500]
    voucher_issued(db, buyer.org_id)
    t0 = utcnow()
    run(sessions, t0)
    run(sessions, t0 + timedelta(seconds=1))
    (d,) = deliveries(db)
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 2)
    assert run(sessions, t0 + timedelta(days=1)).failed == 0
    assert len(hooks.requests) == 2


def test_a_crash_between_sending_and_recording_sends_again_with_the_same_id(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    buyer = member(Role.BUYER)
    contact(db, buyer.user.id, "chen@acme.test")
    endpoint(db, buyer.org_id, hooks.url)
    event = voucher_issued(db, buyer.org_id)
    real_record = sender._record

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise SystemExit("the sender died after sending")

    monkeypatch.setattr(sender, "_record", crash)
    t0 = utcnow()
    with pytest.raises(SystemExit):
        run(sessions, t0)
    assert len(notify_env.messages) == 1 and len(hooks.requests) == 1
    monkeypatch.setattr(sender, "_record", real_record)
    assert run(sessions, t0 + timedelta(seconds=60)).sent == 0  # leased: not yet
    assert run(sessions, t0 + timedelta(seconds=121)).sent == 2  # the lease ran out
    assert len(notify_env.messages) == 2 and len(hooks.requests) == 2
    # ...and a receiver that drops ids it has seen takes each once.
    assert set(notify_env.by_event()) == {event.event_id}
    assert {m["Message-ID"] for m in notify_env.messages} == {
        f"<{event.event_id}.{buyer.user.id}@suanli.test>"}
    assert {r.headers["Suanli-Event-Id"] for r in hooks.requests} == {event.event_id}
    assert {d.status for d in deliveries(db)} == {DeliveryStatus.DELIVERED}


def test_nothing_is_sent_for_a_change_that_rolled_back(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer, hooks: WebhookReceiver) -> None:
    buyer = member(Role.BUYER)
    contact(db, buyer.user.id, "chen@acme.test")
    endpoint(db, buyer.org_id, hooks.url)
    with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
        voucher_issued(session, buyer.org_id, commit=False)
        session.flush()
        raise RuntimeError("the request failed after the event was written")
    assert events(db) == []
    report = run(sessions)
    assert (report.dispatched, report.sent) == (0, 0)
    assert notify_env.messages == [] and hooks.requests == []


def test_preferences_choose_the_channels(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer) -> None:
    quiet = member(Role.BUYER, org="acme")
    inbox_only = member(Role.BUYER, org="acme")
    contact(db, quiet.user.id, "quiet@acme.test")
    contact(db, inbox_only.user.id, "inbox@acme.test")
    prefer(db, quiet.user.id, "voucher.issued", "inbox", False)
    prefer(db, quiet.user.id, "voucher.issued", "email", False)
    prefer(db, inbox_only.user.id, "voucher.issued", "email", False)
    voucher_issued(db, quiet.org_id)
    run(sessions)
    assert notify_env.messages == []
    assert [n.user_id for n in inbox_rows(db)] == [inbox_only.user.id]


def test_a_reviewer_gets_one_digest_a_day_instead_of_a_mail_per_event(
        db: Session, sessions: sessionmaker[Session], member: Callable[..., Any],
        notify_env: SmtpServer) -> None:
    from suanli import outbox

    reviewer = member(Role.REVIEWER)
    contact(db, reviewer.user.id, "li@bureau.test", language="zh", digest=True)
    morning = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # 03:00 in Shanghai, 3 March
    for n in range(3):
        outbox.emit(db, "application.needs_review", subject=("application", n + 1),
                    orgs={"authority": reviewer.org_id}, at=morning,
                    payload={"application_id": n + 1, "program_id": 1, "reason": "review"})
    db.commit()
    run(sessions, morning + timedelta(hours=1))  # before 08:00: dispatched, not mailed
    assert notify_env.messages == []
    assert [n.digest_state for n in inbox_rows(db)] == [DigestState.QUEUED] * 3
    report = sender.run_pass(sessions, now=morning + timedelta(hours=6))  # 09:00
    assert (report.digests, report.sent) == (1, 1)
    (mail,) = notify_env.messages
    assert "2026-03-03 的 3 个事件" in mail["Subject"]
    body = mail.get_content()
    assert all(f"申请 #{n} 待审核" in body for n in (1, 2, 3))
    assert mail["Suanli-Event-Id"] == f"digest-{reviewer.user.id}-20260303"
    assert sender.run_pass(sessions, now=morning + timedelta(hours=7)).sent == 0
    assert {n.digest_state for n in inbox_rows(db)} == {DigestState.SENT}
    assert all(n.inbox for n in inbox_rows(db))  # still in the inbox, one by one
