"""Money: fen inside, decimal strings at the edges, never floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from suanli.kit.money import MoneyError, format_cny, parse_cny, round_fen


@given(st.integers(min_value=-(2**63 - 1), max_value=2**63 - 1))
def test_round_trip(fen: int) -> None:
    assert parse_cny(format_cny(fen)) == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "NaN", "Infinity", "", "92233720368547758.08"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_cny(text)


def test_floats_are_refused() -> None:
    with pytest.raises(MoneyError, match="decimal string"):
        parse_cny(12.5)  # type: ignore[arg-type]


def test_half_even() -> None:
    assert round_fen(Decimal("2.5")) == 2
    assert round_fen(Decimal("3.5")) == 4
    assert format_cny(-5) == "-0.05"
