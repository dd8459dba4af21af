"""Times are UTC inside and Asia/Shanghai on pages."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to a naive value read back from SQLite; convert an aware one."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_shanghai(value: datetime) -> datetime:
    """A UTC (or naive-UTC) time shown in Asia/Shanghai."""
    return as_utc(value).astimezone(SHANGHAI)
