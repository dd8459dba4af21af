"""Errors with a status code, rendered as RFC 9457 problem+json by the app."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://suanli.example/problems/"


class AppError(Exception):
    """A domain error: a status code, a machine-readable type and, when known, the field."""

    status: ClassVar[int] = 400
    type_: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class ValidationFailed(AppError):
    status = 422
    type_ = "validation-failed"
    title = "Validation failed"


class NotAuthenticated(AppError):
    status = 401
    type_ = "not-authenticated"
    title = "Not authenticated"


class Forbidden(AppError):
    status = 403
    type_ = "forbidden"
    title = "Forbidden"


class NotFound(AppError):
    status = 404
    type_ = "not-found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    type_ = "conflict"
    title = "Conflict"


class TooManyRequests(AppError):
    status = 429
    type_ = "too-many-requests"
    title = "Too many requests"


class InsufficientFunds(AppError):
    status = 409
    type_ = "insufficient-funds"
    title = "Insufficient funds"
