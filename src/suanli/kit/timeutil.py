"""Times are UTC inside and Asia/Shanghai on pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A clock set by `clock_at` (the demo's history runs the real services on past days).
_CLOCK: ContextVar[datetime | None] = ContextVar("suanli_clock", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the injected time inside `clock_at`)."""
    fixed = _CLOCK.get()
    return datetime.now(UTC) if fixed is None else fixed


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within the block, `utcnow()` (and so every service, default and audit record) reads
    `moment`: how the demo builds a past that the ledger and the audit chain accept."""
    token = _CLOCK.set(as_utc(moment))
    try:
        yield
    finally:
        _CLOCK.reset(token)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive value read back from SQLite; convert an aware one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_shanghai(value: datetime) -> datetime:
    """A UTC (or naive-UTC) time shown in Asia/Shanghai."""
    return as_utc(value).astimezone(SHANGHAI)
