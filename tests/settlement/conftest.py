"""Fixtures shared by the metering, settlement and reports tests."""

from tests.settlement.world import cheap_passwords

__all__ = ["cheap_passwords"]
