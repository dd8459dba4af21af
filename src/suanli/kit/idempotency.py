"""`Idempotency-Key` for requests that move money or change state.

The dependency claims the key inside the request's transaction before the handler
runs (a concurrent twin blocks on the unique index, then replays); the app stores the
response in that row just before the request commits. A replay returns the first
response; the same key with a different body is a 409.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from suanli.kit.db import Base, BigId, UTCDateTime
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.kit.timeutil import utcnow

MAX_KEY = 200


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(MAX_KEY))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


class Replay(Exception):
    """Raised to answer a request with the response stored under its key."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


@dataclass(frozen=True)
class Claim:
    record_id: int


STATE_ATTR = "idempotency_claim"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _lookup(session: Session, scope: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
    )
    return session.execute(stmt).scalar_one_or_none()


def _answer_existing(record: IdempotencyRecord, fingerprint: str) -> None:
    if record.request_hash != fingerprint:
        raise Conflict(
            "this Idempotency-Key was used with a different request body",
            field="Idempotency-Key",
        )
    if record.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still in progress",
                       field="Idempotency-Key")
    raise Replay(StoredResponse(record.status_code, record.content_type or "application/json",
                                record.body or b""))


def claim(session: Session, *, scope: str, key: str, fingerprint: str) -> Claim:
    """Claim a key for this transaction, or raise Replay/Conflict for a key already used."""
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(f"must be 1-{MAX_KEY} characters", field="Idempotency-Key")
    existing = _lookup(session, scope, key)
    if existing is not None:
        _answer_existing(existing, fingerprint)
    record = IdempotencyRecord(scope=scope, key=key, request_hash=fingerprint)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        # A concurrent twin committed first: answer as it did.
        existing = _lookup(session, scope, key)
        if existing is None:
            raise
        _answer_existing(existing, fingerprint)
    return Claim(record.id)


def store_response(session: Session, claim_: Claim, response: StoredResponse) -> None:
    """Keep the response with the claim; called just before the request commits."""
    record = session.get(IdempotencyRecord, claim_.record_id)
    if record is not None:
        record.status_code = response.status_code
        record.content_type = response.content_type
        record.body = response.body
        session.flush()
