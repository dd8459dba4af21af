"""A sender killed (SIGKILL) while sending: after a restart every event arrives, and a
receiver that drops ids it has seen takes each exactly once. Real processes, a real SMTP
server, a real HTTP receiver, a database of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from suanli import outbox
from suanli.auth import service as auth_service
from suanli.auth.roles import OrgKind, Role
from suanli.kit.db import make_engine, make_sessionmaker, unit_of_work
from suanli.notifications.models import (
    Delivery,
    DeliveryStatus,
    NotificationSettings,
    WebhookEndpoint,
)
from tests.notifications.receivers import (
    SmtpServer,
    WebhookReceiver,
    smtp_server,
    webhook_receiver,
)

LEASE_S = 1


def _world(url: str, hook_url: str) -> list[str]:
    """A startup with one buyer (e-mail on) and a webhook; three events; their ids."""
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        org = auth_service.create_organisation(session, slug="acme", name="Acme",
                                               kind=OrgKind.STARTUP)
        user = auth_service.create_user(session, username="chen", display_name="Chen",
                                        password="correct horse battery",
                                        memberships=[("acme", Role.BUYER)])
        session.add(NotificationSettings(user_id=user.id, email="chen@acme.test",
                                         language="en", digest=False))
        session.add(WebhookEndpoint(organisation_id=org.id, url=hook_url, secret="whsec_x",
                                    topics=[], active=True))
        ids = []
        for n in (1, 2, 3):
            event = outbox.emit(session, "voucher.issued", subject=("voucher", n),
                                orgs={"buyer": org.id}, payload={"voucher_id": n,
                                                                 "value_fen": 100})
            assert event is not None
            ids.append(event.event_id)
    return ids


def _sender(url: str, smtp_port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SUANLI_DATABASE_URL": url, "SUANLI_DATA_DIR": str(tmp),
           "SUANLI_SMTP_HOST": "127.0.0.1", "SUANLI_SMTP_PORT": str(smtp_port),
           "SUANLI_SMTP_TIMEOUT": "60", "SUANLI_WEBHOOK_TIMEOUT": "60",
           "SUANLI_WEBHOOK_ALLOW_PRIVATE": "1", "SUANLI_NOTIFY_LEASE": str(LEASE_S)}
    return subprocess.Popen([sys.executable, "-c", "from suanli.cli import main; main()",
                             "notifications", "send", "--once"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _statuses(url: str) -> list[str]:
    factory = make_sessionmaker(make_engine(url))
    with unit_of_work(factory) as session:
        return [str(s) for s in session.execute(select(Delivery.status)).scalars()]


@pytest.fixture
def mute_smtp() -> Iterator[int]:
    """A port that accepts connections and never says a word (no SMTP greeting)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def _wait(condition: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _restart_and_check(url: str, tmp: Path, smtp: SmtpServer, hooks: WebhookReceiver,
                       ids: list[str]) -> None:
    time.sleep(LEASE_S + 0.5)  # the dead sender's lease runs out
    again = _sender(url, smtp.port, tmp)
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out.decode()
    assert _statuses(url) == [str(DeliveryStatus.DELIVERED)] * 6
    mails = smtp.by_event()
    assert sorted(mails) == sorted(ids)  # every event, by e-mail ...
    calls: dict[str, int] = {}
    for request in hooks.requests:
        calls[request.headers["Suanli-Event-Id"]] = calls.get(
            request.headers["Suanli-Event-Id"], 0) + 1
    assert sorted(calls) == sorted(ids)  # ... and by webhook
    for event_id, copies in mails.items():  # a copy repeats its Message-ID
        assert len({m["Message-ID"] for m in copies}) == 1, event_id


def test_killed_before_sending_delivers_once_after_restart(
        fresh_database: str, tmp_path: Path, mute_smtp: int) -> None:
    with smtp_server() as smtp, webhook_receiver() as hooks:
        hooks.stall.set()  # webhook calls hang too, so nothing is recorded
        ids = _world(fresh_database, hooks.url)
        dying = _sender(fresh_database, mute_smtp, tmp_path)
        _wait(lambda: len(hooks.requests) >= 1, "the sender to start calling")
        dying.send_signal(signal.SIGKILL)
        dying.wait(timeout=30)
        assert smtp.messages == []  # the mute server took no mail
        hooks.stall.clear()
        seen_before = {r.headers["Suanli-Event-Id"] for r in hooks.requests}
        _restart_and_check(fresh_database, tmp_path, smtp, hooks, ids)
        assert all(len(copies) == 1 for copies in smtp.by_event().values())  # exactly once
        assert seen_before <= set(ids)


def test_killed_after_sending_before_recording_resends_the_same_ids(
        fresh_database: str, tmp_path: Path) -> None:
    with smtp_server() as smtp, webhook_receiver() as hooks:
        smtp.box.stall.set()  # the server takes each mail and never says "250"
        hooks.stall.set()
        ids = _world(fresh_database, hooks.url)
        dying = _sender(fresh_database, smtp.port, tmp_path)
        _wait(lambda: smtp.messages and hooks.requests, "mail and webhook calls to arrive")
        dying.send_signal(signal.SIGKILL)
        dying.wait(timeout=30)
        assert _statuses(fresh_database) == [str(DeliveryStatus.PENDING)] * 6
        first = {str(m["Suanli-Event-Id"]) for m in smtp.messages}
        smtp.box.stall.clear()
        hooks.stall.clear()
        _restart_and_check(fresh_database, tmp_path, smtp, hooks, ids)
        # What arrived before the crash arrived again, under the same id: dropped by id.
        assert all(len(smtp.by_event()[i]) == 2 for i in first)

