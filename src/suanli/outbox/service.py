"""Writing events into the outbox, and handing them to their readers."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from suanli.kit.timeutil import utcnow
from suanli.outbox import repository
from suanli.outbox.models import OutboxEvent


def _plain(value: Any) -> Any:
    """A JSON-safe copy: times and dates as ISO 8601, decimals as strings, enums by value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def emit(session: Session, kind: str, *, subject: tuple[str, int | str],
         orgs: Mapping[str, int | None] | None = None,
         payload: Mapping[str, Any] | None = None, dedup_key: str | None = None,
         at: datetime | None = None) -> OutboxEvent | None:
    """Record that `kind` happened to `subject` (a type and an id), concerning `orgs` (each
    organisation by its part in the event; None values are dropped), with `payload`.

    The row is written in `session`'s transaction: it commits or rolls back with the
    change. With `dedup_key`, an event already recorded under that key is not recorded
    again and None is returned (reminders that must fire once).
    """
    event = OutboxEvent(
        event_id=uuid.uuid4().hex, kind=kind, subject_type=subject[0],
        subject_id=str(subject[1]),
        orgs={k: int(v) for k, v in (orgs or {}).items() if v is not None},
        payload=_plain(dict(payload or {})), dedup_key=dedup_key,
        occurred_at=at or utcnow())
    if dedup_key is None:
        repository.add(session, event)
        return event
    if repository.has_key(session, dedup_key):
        return None
    try:
        with session.begin_nested():  # a concurrent twin may hold the key already
            repository.add(session, event)
    except IntegrityError:
        return None
    return event


def pending(session: Session, *, limit: int) -> list[OutboxEvent]:
    """Up to `limit` events no reader has dispatched yet, oldest first, locked for this
    transaction."""
    return repository.pending(session, limit=limit)


def mark_dispatched(session: Session, ids: Collection[int], *, at: datetime | None = None
                    ) -> None:
    """The events were handed on; they are not returned by `pending` again."""
    repository.mark_dispatched(session, ids, at or utcnow())


def by_ids(session: Session, ids: Collection[int]) -> dict[int, OutboxEvent]:
    return repository.by_ids(session, ids)
