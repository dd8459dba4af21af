"""The injected clock: inside `clock_at` every caller of `utcnow` reads the set moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from suanli.kit.timeutil import SHANGHAI, clock_at, utcnow


def test_clock_at_sets_utcnow_in_utc_and_restores_it() -> None:
    moment = datetime(2026, 9, 5, 10, tzinfo=SHANGHAI)
    with clock_at(moment):
        assert utcnow() == moment and utcnow().tzinfo == UTC
        with clock_at(moment + timedelta(hours=1)):
            assert utcnow() == moment + timedelta(hours=1)
        assert utcnow() == moment
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)
