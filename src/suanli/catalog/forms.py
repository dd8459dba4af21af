"""Small helpers for HTML forms: read the fields, turn validation errors into field errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request
from pydantic import ValidationError

from suanli.kit.errors import AppError


async def _form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


# A route stays synchronous (its database work runs in the thread pool) while the form
# is read by this asynchronous dependency.
FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first message per field of a Pydantic error, keyed by the top-level field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("form",)
        errors.setdefault(str(loc[0]), str(error.get("msg", "invalid")))
    return errors


def app_error(exc: AppError) -> dict[str, str]:
    return {exc.field or "form": exc.detail}


def optional(fields: dict[str, str], names: Iterable[str]) -> dict[str, str | None]:
    """The named fields with blanks as None (an empty box means "not given")."""
    return {name: (fields.get(name) or "").strip() or None for name in names}


def checked(fields: dict[str, str], name: str) -> bool:
    return fields.get(name) in {"on", "true", "1", "yes"}
