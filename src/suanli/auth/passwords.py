"""Password hashing with argon2id, and random secrets for tokens and sessions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against a dummy hash for unknown users keeps timing the same either way.
_DUMMY = _hasher.hash("not-a-password")

TOKEN_PREFIX = "sl_"  # noqa: S105 - a prefix, not a secret
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; always costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Tokens and session ids are stored only as their SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def session_csrf(session_secret: str, key: str) -> str:
    """The CSRF token of one login session: an HMAC of its secret, so that a token from
    any other session (or none) never matches, and checking it needs no database."""
    mac = hmac.new(key.encode(), b"csrf:" + session_secret.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
