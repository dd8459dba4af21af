"""HTML form values for the market's pages: local times, blanks, errors keyed by field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from suanli.kit.errors import AppError
from suanli.kit.timeutil import SHANGHAI, to_shanghai, utcnow
from suanli.market.capacity import next_whole_hour

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local_input(moment: datetime) -> str:
    """A time as a datetime-local input shows it (Asia/Shanghai, to the minute)."""
    return to_shanghai(moment).strftime(LOCAL_FORMAT)


def from_local(value: str | None) -> str | None:
    """A datetime-local value read as Asia/Shanghai, as ISO 8601 with its offset; text
    that is no time is passed on for the schema to refuse, naming its field."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.isoformat()


def blanks_to_none(fields: dict[str, str], names: Iterable[str]) -> dict[str, Any]:
    return {name: (fields.get(name) or "").strip() or None for name in names}


def field_name(path: str | None) -> str:
    """The form field an error path belongs to: ``accelerators[0]`` -> ``accelerators``."""
    return (path or "form").split("[", 1)[0].split(".", 1)[0]


def errors_of(exc: ValidationError | AppError) -> dict[str, str]:
    """The first message per form field."""
    if isinstance(exc, AppError):
        return {field_name(exc.field): exc.detail}
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        errors.setdefault(field_name(str(loc[0])), str(error.get("msg", "invalid")))
    return errors


def default_window(hours: int = 48) -> tuple[str, str]:
    start = next_whole_hour(utcnow())
    return local_input(start), local_input(start + timedelta(hours=hours))
