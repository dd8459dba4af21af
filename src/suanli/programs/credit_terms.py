"""The calendar of credit-line bills (pure): which month, when it ends, when it is due.

Months are Asia/Shanghai calendar months, written ``YYYY-MM``; a bill for a month is due
``due_days`` days after the month's last day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from suanli.kit.errors import ValidationFailed
from suanli.kit.timeutil import SHANGHAI, as_utc

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_DUE_DAYS = 366


def parse_month(text: str, *, field: str = "month") -> date:
    """``"2026-03"`` -> the month's first day; anything else is refused naming `field`."""
    found = MONTH.match(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise ValidationFailed("must be a month written YYYY-MM", field=field)
    return date(int(found[1]), int(found[2]), 1)


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def month_text(first: date) -> str:
    return f"{first:%Y-%m}"


def month_end(first: date) -> datetime:
    """The instant (UTC) the month ends in Asia/Shanghai: the next month's first midnight."""
    return as_utc(datetime.combine(next_month(first), time(0), tzinfo=SHANGHAI))


def due_on(first: date, due_days: int) -> date:
    """The day a month's bill is due: `due_days` after the month's last day."""
    return next_month(first) - timedelta(days=1) + timedelta(days=due_days)


def check_due_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DUE_DAYS:
        raise ValidationFailed(f"must be a whole number of days from 0 to {MAX_DUE_DAYS}",
                               field="due_days")
    return value
