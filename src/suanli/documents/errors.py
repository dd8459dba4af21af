"""Errors of the documents domain."""

from __future__ import annotations

from suanli.kit.errors import AppError, ValidationFailed


class UploadTooLarge(AppError):
    """The file is larger than the configured limit."""

    status = 413
    type_ = "upload-too-large"
    title = "Upload too large"


class UploadRefused(ValidationFailed):
    """The file's type is not allowed, or its content does not match its name."""

    type_ = "upload-refused"
    title = "Upload refused"
