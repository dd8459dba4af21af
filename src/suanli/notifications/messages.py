"""What a notification says, in the recipient's language (en or zh), and the e-mails and
webhook bodies built from it. Texts live in `web/i18n/notifications.<lang>.json` under
`notify.title.<kind>` and `notify.body.<kind>`; payload values fill their `{names}`."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from suanli.kit.money import format_cny_grouped
from suanli.kit.timeutil import to_shanghai
from suanli.notifications.catalogue import topic_of
from suanli.web.i18n import LANGUAGES, catalogue, translate


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    link: str  # a path on the platform


# Payload values that are codes with a translation (clearing's reasons, case kinds ...).
CODED = {"reason": "notify.reason.", "case_kind": "notify.case.",
         "decision": "notify.decision.", "subject": "notify.subject."}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _local(value: str) -> str:
    try:
        return to_shanghai(datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return value


def values(payload: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Payload values as a message shows them: `x_fen` also as `x_cny` ("1,250.00"),
    times in Asia/Shanghai, known reason codes translated."""
    out: dict[str, Any] = dict(payload)
    for key, value in payload.items():
        if key.endswith("_fen") and isinstance(value, int):
            out[key[:-4] + "_cny"] = format_cny_grouped(value)
        elif (key.endswith("_at") or key == "valid_until") and isinstance(value, str):
            out[key] = _local(value)
    for key, prefix in CODED.items():
        code = payload.get(key)
        if isinstance(code, str) and f"{prefix}{code}" in catalogue("en"):
            out[key] = translate(lang, f"{prefix}{code}")
    return out


def _text(lang: str, key: str, filled: Mapping[str, Any]) -> str:
    return translate(lang, key).format_map(_Blank(filled))


def message(kind: str, payload: Mapping[str, Any], lang: str) -> Message:
    """The title, body and link of an event of `kind`, in `lang`."""
    lang = lang if lang in LANGUAGES else "en"
    filled = values(payload, lang)
    topic = topic_of(kind)
    return Message(_text(lang, f"notify.title.{kind}", filled),
                   _text(lang, f"notify.body.{kind}", filled),
                   topic.link(payload) if topic else "/")


@dataclass(frozen=True)
class Envelope:
    """What every e-mail carries besides its text."""

    sender: str
    to: str
    domain: str  # of Message-IDs
    base_url: str


def _header(value: str) -> str:
    """A header value; RFC 2047 encoded-words (base64 UTF-8, folded) when it is not plain
    ASCII. By hand: `email.header.Header` cost ~1 ms a subject."""
    if value.isascii() and len(value) < 900:
        return value
    words, chunk = [], ""
    for char in value:
        if len((chunk + char).encode()) > 45:  # 60 base64 characters: a word fits a line
            words.append(chunk)
            chunk = ""
        chunk += char
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?="
                         for w in words)


def _address(value: str) -> str:
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def _mail(env: Envelope, lang: str, subject: str, text: str, message_id: str,
          event_id: str, topic: str, when: datetime) -> bytes:
    """The message as sent: plain text, UTF-8 in base64, CRLF line ends. Written out by
    hand: `email.message.EmailMessage` cost ~3 ms a message, most of the sender's time."""
    footer = translate(lang, "notify.mail.footer", url=f"{env.base_url}/notifications/"
                       "preferences")
    body = f"{text}\n\n-- \n{footer}\n".replace("\r\n", "\n").replace("\n", "\r\n")
    encoded = base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    headers = [
        ("From", _address(env.sender)), ("To", _address(env.to)),
        ("Subject", _header(f"[{translate(lang, 'app.name')}] {subject}")),
        ("Date", format_datetime(when)), ("Message-ID", f"<{message_id}@{env.domain}>"),
        ("Suanli-Event-Id", event_id), ("Suanli-Event-Type", topic),
        ("Auto-Submitted", "auto-generated"), ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Language", "zh-CN" if lang == "zh" else "en")]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + encoded).encode("ascii")


def event_mail(env: Envelope, *, kind: str, payload: Mapping[str, Any], lang: str,
               event_id: str, user_id: int, occurred_at: datetime) -> bytes:
    """One event as an e-mail. Its Message-ID carries the event id (and the recipient),
    so a retry after a crash is recognisably the same message."""
    msg = message(kind, payload, lang)
    topic = topic_of(kind)
    text = f"{msg.body}\n\n{env.base_url}{msg.link}"
    return _mail(env, lang, msg.title, text, f"{event_id}.{user_id}", event_id,
                 topic.key if topic else kind, occurred_at)


@dataclass(frozen=True)
class DigestItem:
    kind: str
    payload: Mapping[str, Any]
    occurred_at: datetime


def digest_mail(env: Envelope, *, items: Sequence[DigestItem], lang: str, digest_id: str,
                day: str, when: datetime) -> bytes:
    """A day's events in one e-mail, oldest first."""
    lines = []
    for item in sorted(items, key=lambda i: i.occurred_at):
        msg = message(item.kind, item.payload, lang)
        stamp = to_shanghai(item.occurred_at).strftime("%m-%d %H:%M")
        lines.append(f"* {stamp}  {msg.title}\n  {env.base_url}{msg.link}")
    subject = translate(lang, "notify.digest.subject", count=len(items), day=day)
    intro = translate(lang, "notify.digest.intro", count=len(items))
    return _mail(env, lang, subject, intro + "\n\n" + "\n".join(lines), digest_id, digest_id,
                 "digest", when)


def webhook_body(*, event_id: str, kind: str, occurred_at: datetime, subject_type: str,
                 subject_id: str, organisation_id: int | None,
                 payload: Mapping[str, Any]) -> bytes:
    """The JSON a webhook receives (compact, UTF-8); the signature covers these bytes."""
    topic = topic_of(kind)
    doc = {"id": event_id, "type": topic.key if topic else kind, "kind": kind,
           "occurred_at": occurred_at.isoformat(), "organisation_id": organisation_id,
           "subject": {"type": subject_type, "id": subject_id}, "data": dict(payload)}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
