"""Webhook signatures (pure): HMAC-SHA256 over the timestamp, a dot and the body.

Headers of each delivery: `Suanli-Event-Id` (the event's id; the same on every retry, so a
receiver drops what it has seen), `Suanli-Event-Type` (the topic), `Suanli-Timestamp` (Unix
seconds when this attempt was signed) and `Suanli-Signature: v1=<hex digest>`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "v1"
TOLERANCE_S = 300  # a receiver refuses a signature older than five minutes


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Suanli-Signature` header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def verify(secret: str, *, header: str, timestamp: str, body: bytes, now: int,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature (compared in
    constant time)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, sent, body), header.strip())
