"""Errors of the auth domain."""

from __future__ import annotations

from suanli.kit.errors import AppError, NotAuthenticated, TooManyRequests


class BadCredentials(NotAuthenticated):
    type_ = "bad-credentials"
    title = "Wrong username or password"


class LoginThrottled(TooManyRequests):
    type_ = "login-throttled"
    title = "Too many failed logins"


class CsrfFailed(AppError):
    status = 403
    type_ = "csrf-failed"
    title = "The form expired or did not come from this site"
