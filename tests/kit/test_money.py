"""Money: fen inside, decimal strings at the edges, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import MAX_FEN, MoneyError, format_cny, parse_cny, round_fen

# Every form the grammar refuses (issue 14: several were accepted, "1e30" was a 500).
BAD_FORMS = [
    "1_000", "1E2", "1e30", "1e-2", "+1.00", " 1.00", "1.00 ", "\t1", "1.00\n", "1 000",
    "1,000.00", "１.００", "١٫٠٠", "١.٠٠", "१२.५०", ".5", "5.", "1.234", "1..2", "--1", "0x10",
    "abc", "NaN", "Infinity", "-Infinity", "", "1" * 25, "10000000000000.01",
    "92233720368547758.08", "99999999999999999999",
]


@given(st.integers(min_value=-MAX_FEN, max_value=MAX_FEN))
def test_round_trip(fen: int) -> None:
    assert parse_cny(format_cny(fen), negative=True) == fen


@pytest.mark.parametrize("text", BAD_FORMS)
def test_bad_amounts_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_cny(text, field="amount_cny", negative=True)
    assert isinstance(caught.value, ValidationFailed) and caught.value.status == 422
    assert caught.value.field == "amount_cny"


def test_the_grammar() -> None:
    assert parse_cny("0") == 0 and parse_cny("12") == 1200 and parse_cny("12.5") == 1250
    assert parse_cny("007.05") == 705
    assert parse_cny("10000000000000.00") == MAX_FEN
    assert parse_cny("-12.50", negative=True) == -1250
    with pytest.raises(MoneyError, match="must not be negative"):
        parse_cny("-12.50")
    assert parse_cny(5) == 500 and parse_cny(Decimal("12.50")) == 1250
    with pytest.raises(MoneyError):
        parse_cny(Decimal("1E+2"))


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="decimal string"):
        parse_cny(12.5)  # type: ignore[arg-type]


def test_half_even() -> None:
    assert round_fen(Decimal("2.5")) == 2
    assert round_fen(Decimal("3.5")) == 4
    assert format_cny(-5) == "-0.05"
