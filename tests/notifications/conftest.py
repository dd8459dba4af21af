"""Fixtures of the notifications tests: a real SMTP server, a real webhook receiver, and
the sender's settings pointing at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.receivers import (
    SmtpServer,
    WebhookReceiver,
    smtp_server,
    webhook_receiver,
)


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def notify_env(monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> SmtpServer:
    """Mail goes to the test's SMTP server; loopback webhooks are allowed; retries come
    after a second, doubling up to a minute."""
    monkeypatch.setenv("SUANLI_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUANLI_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("SUANLI_SMTP_FROM", "Suanli <noreply@suanli.test>")
    monkeypatch.setenv("SUANLI_SMTP_TIMEOUT", "5")
    monkeypatch.setenv("SUANLI_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("SUANLI_WEBHOOK_TIMEOUT", "5")
    monkeypatch.setenv("SUANLI_NOTIFY_RETRY_BASE", "1")
    monkeypatch.setenv("SUANLI_NOTIFY_RETRY_MAX", "60")
    monkeypatch.setenv("SUANLI_BASE_URL", "http://suanli.test")
    return smtp


@pytest.fixture(autouse=True)
def _cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Members hash their passwords with cheap argon2 parameters (logging in still works:
    the check reads the parameters from the hash)."""
    from suanli.auth import service as auth_service
    from tests.market.helpers import _CHEAP

    monkeypatch.setattr(auth_service, "hash_password", _CHEAP.hash)
