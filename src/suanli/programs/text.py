"""Free text from users: trimmed, bounded, and without control characters (pure).

PostgreSQL refuses NUL in text columns and stray control characters make audit records and
pages unreadable, so they are refused at the edge with the field's name.
"""

from __future__ import annotations

import re

from suanli.kit.errors import ValidationFailed
from suanli.kit.text import NO_CONTROL

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and line feed are allowed
# The same rule, for a field's JSON schema.
PLAIN: dict[str, str | int | float | bool | None] = {"pattern": NO_CONTROL}


def has_control(value: str) -> bool:
    return bool(CONTROL.search(value))


def plain(value: str) -> str:
    """For Pydantic validators: the value, or ValueError naming the problem."""
    if has_control(value):
        raise ValueError("must not contain control characters")
    return value


def clean(value: str | None, *, field: str, limit: int, required: bool = True) -> str:
    """The trimmed text, or ValidationFailed naming `field`."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed("is required", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"at most {limit} characters", field=field)
    if has_control(text):
        raise ValidationFailed("must not contain control characters", field=field)
    return text
