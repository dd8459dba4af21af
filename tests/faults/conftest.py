"""Fixtures of the crash tests."""

from tests.market.helpers import cheap_passwords

__all__ = ["cheap_passwords"]
