"""Sending: e-mail over SMTP and webhook calls over HTTP. Nothing here touches the
database; each message comes back as an `Outcome` (delivered or not, the response code,
the error), which the sender records."""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

import httpx

from suanli import __version__
from suanli.kit.timeutil import utcnow
from suanli.notifications import signing, urls
from suanli.notifications.config import NotifySettings, SmtpSettings

MAX_ERROR = 500
MAIL_CONNECTIONS = 4  # e-mails of one pass go out over at most this many SMTP sessions
WEBHOOK_THREADS = 8


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    code: int | None
    error: str | None
    at: datetime  # when the try ended
    duration_ms: int
    final: bool = False  # no point in trying again


@dataclass(frozen=True)
class Mail:
    delivery_id: int
    to: str
    message: bytes  # as sent, CRLF line ends


@dataclass(frozen=True)
class Call:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    event_id: str
    topic: str


def _err(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text[:MAX_ERROR]


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def outcome(self, delivery_id: int, ok: bool, code: int | None, error: str | None
                ) -> Outcome:
        ms = int((time.perf_counter() - self.started) * 1000)
        return Outcome(delivery_id, ok, code, error, utcnow(), ms)


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    client = cls(smtp.host, smtp.port, timeout=smtp.timeout_s)
    client.ehlo_or_helo_if_needed()
    if smtp.starttls and not smtp.ssl:
        client.starttls()
        client.ehlo()
    if smtp.user:
        client.login(smtp.user, smtp.password or "")
    return client


def _send_one(client: smtplib.SMTP, sender: str, mail: Mail) -> int:
    """MAIL, RCPT, DATA for one message; the DATA reply code (raises on a refusal)."""
    code, reply = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = client.rcpt(mail.to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({mail.to: (code, reply)})
    code, reply = client.data(mail.message)
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return code


def _refused_code(exc: smtplib.SMTPException) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return next(iter(exc.recipients.values()))[0]
    return getattr(exc, "smtp_code", None)


def send_mails(smtp: SmtpSettings, mails: Sequence[Mail]) -> list[Outcome]:
    """Send `mails` over one SMTP session. A refused message fails alone; a connection that
    cannot be made or breaks fails every message not yet sent (they are retried later)."""
    sender = parseaddr(smtp.sender)[1] or smtp.sender
    out: list[Outcome] = []
    clock = _Clock()
    try:
        client = _connect(smtp)
    except (OSError, smtplib.SMTPException) as exc:
        return [clock.outcome(m.delivery_id, False, _refused_code(exc)
                              if isinstance(exc, smtplib.SMTPException) else None, _err(exc))
                for m in mails]
    try:
        for index, mail in enumerate(mails):
            clock = _Clock()
            try:
                code = _send_one(client, sender, mail)
                out.append(clock.outcome(mail.delivery_id, True, code, None))
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                out += [clock.outcome(m.delivery_id, False, None, _err(exc))
                        for m in mails[index:]]
                return out
            except smtplib.SMTPException as exc:
                out.append(clock.outcome(mail.delivery_id, False, _refused_code(exc),
                                         _err(exc)))
                try:
                    client.rset()
                except (smtplib.SMTPException, OSError):
                    out += [clock.outcome(m.delivery_id, False, None, "connection lost")
                            for m in mails[index + 1:]]
                    return out
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    return out


_CLIENTS: dict[float, httpx.Client] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(timeout_s: float) -> httpx.Client:
    """One keep-alive client per timeout, kept for the process's life: making one loads
    the CA certificates (~0.1-0.3 s), and idle connections can be reused between passes."""
    with _CLIENTS_LOCK:
        if timeout_s not in _CLIENTS:
            _CLIENTS[timeout_s] = httpx.Client(
                timeout=timeout_s, follow_redirects=False,
                headers={"User-Agent": f"Suanli-Webhooks/{__version__}"},
                limits=httpx.Limits(max_connections=WEBHOOK_THREADS * 2))
        return _CLIENTS[timeout_s]


class Poster:
    """Webhook calls over the process's keep-alive HTTP client."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.client = _client(settings.webhook_timeout_s)

    def post(self, call: Call) -> Outcome:
        clock = _Clock()
        # Checked again when sending: the name may resolve elsewhere than when it was saved.
        problem = urls.refusal(call.url, allow_private=self.settings.webhook_allow_private,
                               platform=self.settings.platform_netloc)
        if problem:
            return clock.outcome(call.delivery_id, False, None, f"refused: {problem}")
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", "Suanli-Event-Id": call.event_id,
                   "Suanli-Event-Type": call.topic, "Suanli-Timestamp": str(stamp),
                   "Suanli-Signature": signing.signature(call.secret, stamp, call.body)}
        try:
            response = self.client.post(call.url, content=call.body, headers=headers)
        except httpx.HTTPError as exc:
            return clock.outcome(call.delivery_id, False, None, _err(exc))
        code = response.status_code
        if 200 <= code < 300:
            return clock.outcome(call.delivery_id, True, code, None)
        return clock.outcome(call.delivery_id, False, code,
                             f"HTTP {code}: {response.text[:200]}".strip())


def deliver(settings: NotifySettings, mails: Sequence[Mail], calls: Sequence[Call]
            ) -> list[Outcome]:
    """Send everything of one pass: e-mails over a few SMTP sessions and webhook calls on a
    pool of threads, at the same time."""
    out: list[Outcome] = []
    smtp = settings.smtp
    chunks: list[list[Mail]] = []
    if mails:
        assert smtp is not None, "mails to send without SMTP settings"
        size = -(-len(mails) // MAIL_CONNECTIONS)
        chunks = [list(mails[i:i + size]) for i in range(0, len(mails), size)]
    poster = Poster(settings)
    with ThreadPoolExecutor(max_workers=len(chunks) + (WEBHOOK_THREADS if calls else 0)
                            or 1) as pool:
        mail_jobs = [pool.submit(send_mails, smtp, chunk) for chunk in chunks
                     if smtp is not None]
        call_jobs = [pool.submit(poster.post, call) for call in calls]
        for job in mail_jobs:
            out += job.result()
        out += [job.result() for job in call_jobs]
    return out
