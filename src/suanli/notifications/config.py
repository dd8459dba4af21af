"""Settings of the sender, read from the environment on each pass (no restart needed to
point it at another SMTP server in tests)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    ssl: bool
    sender: str
    timeout_s: float

    @property
    def domain(self) -> str:
        """The domain Message-IDs are made in: the sender address's."""
        address = self.sender.rsplit("<", 1)[-1].rstrip(">").strip()
        return address.rpartition("@")[2] or "suanli.localhost"


@dataclass(frozen=True)
class NotifySettings:
    smtp: SmtpSettings | None  # None: e-mail is off (SUANLI_SMTP_HOST unset)
    base_url: str
    webhook_allow_private: bool
    webhook_timeout_s: float
    retry_base_s: float
    retry_max_s: float
    max_attempts: int
    lease_s: float
    digest_hour: int  # Asia/Shanghai
    poll_s: float

    @property
    def platform_netloc(self) -> tuple[str, int]:
        """The platform's own host and port, which no webhook may point at."""
        parts = urlsplit(self.base_url)
        default = 443 if parts.scheme == "https" else 80
        return (parts.hostname or "").lower(), parts.port or default


def smtp_settings() -> SmtpSettings | None:
    host = os.environ.get("SUANLI_SMTP_HOST", "").strip()
    if not host:
        return None
    ssl = _flag("SUANLI_SMTP_SSL")
    return SmtpSettings(
        host=host, port=int(_number("SUANLI_SMTP_PORT", 465 if ssl else 25)),
        user=os.environ.get("SUANLI_SMTP_USER") or None,
        password=os.environ.get("SUANLI_SMTP_PASSWORD") or None,
        starttls=_flag("SUANLI_SMTP_STARTTLS"), ssl=ssl,
        sender=os.environ.get("SUANLI_SMTP_FROM", "Suanli <noreply@suanli.localhost>"),
        timeout_s=_number("SUANLI_SMTP_TIMEOUT", 10))


def notify_settings() -> NotifySettings:
    """The sender's settings as the environment has them now."""
    return NotifySettings(
        smtp=smtp_settings(),
        base_url=os.environ.get("SUANLI_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        webhook_allow_private=_flag("SUANLI_WEBHOOK_ALLOW_PRIVATE"),
        webhook_timeout_s=_number("SUANLI_WEBHOOK_TIMEOUT", 10),
        retry_base_s=_number("SUANLI_NOTIFY_RETRY_BASE", 30),
        retry_max_s=_number("SUANLI_NOTIFY_RETRY_MAX", 3600),
        max_attempts=max(1, int(_number("SUANLI_NOTIFY_MAX_ATTEMPTS", 12))),
        lease_s=_number("SUANLI_NOTIFY_LEASE", 120),
        digest_hour=int(_number("SUANLI_NOTIFY_DIGEST_HOUR", 8)) % 24,
        poll_s=max(0.1, _number("SUANLI_NOTIFY_POLL", 2)))
