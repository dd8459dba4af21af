"""The calendar of credit-line bills (pure): months, their ends in Asia/Shanghai, due days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from suanli.kit.errors import ValidationFailed
from suanli.programs.credit_terms import (
    check_due_days,
    due_on,
    month_end,
    next_month,
    parse_month,
    previous_month,
)


def test_months_roll_over_the_year() -> None:
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert previous_month(date(2027, 1, 1)) == date(2026, 12, 1)
    assert previous_month(date(2026, 3, 1)) == date(2026, 2, 1)
    assert parse_month("2026-02") == date(2026, 2, 1)


def test_a_month_ends_at_shanghai_midnight_and_is_due_days_after_its_last_day() -> None:
    assert month_end(date(2026, 1, 1)) == datetime(2026, 1, 31, 16, 0, tzinfo=UTC)
    assert due_on(date(2026, 2, 1), 15) == date(2026, 3, 15)  # 28 February + 15
    assert due_on(date(2028, 2, 1), 0) == date(2028, 2, 29)
    assert due_on(date(2026, 12, 1), 10) == date(2027, 1, 10)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-01", "", "2026-01-01"])
def test_a_malformed_month_is_refused_naming_it(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_month(text)
    assert caught.value.field == "month"


@pytest.mark.parametrize("days", [-1, 367, True, 1.5, "10"])
def test_due_days_out_of_range_are_refused(days: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_due_days(days)
    assert caught.value.field == "due_days"
