"""Subsidy rates: integer basis points inside (10000 = 100 %), decimal strings at the edges
("0.30"), never floats (pure)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Protocol

BP = 10_000
OPERATORS = ("state", "commercial")  # operator types of data centres, as in clearing.md


class HasRateFields(Protocol):
    """The four rate fields a program, a tier's terms and a voucher carry alike."""

    @property
    def rate_state_bp(self) -> int: ...
    @property
    def rate_commercial_bp(self) -> int: ...
    @property
    def domestic_bonus_bp(self) -> int: ...
    @property
    def max_rate_bp(self) -> int: ...


class RateError(ValueError):
    """Not a rate in [0, 1] with at most four decimal places."""


def parse_rate(text: str | int | Decimal) -> int:
    """"0.30" -> 3000 basis points; floats are refused (they cannot hold 0.3 exactly)."""
    if isinstance(text, (float, bool)):
        raise RateError("must be a decimal string such as \"0.30\", not a number")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise RateError(f"{text!r} is not a decimal rate such as \"0.30\"") from exc
    if not value.is_finite() or value < 0 or value > 1:
        raise RateError("must be between 0 and 1")
    scaled = value * BP
    if scaled != scaled.to_integral_value():
        raise RateError("at most 4 decimal places")
    return int(scaled)


def format_rate(bp: int) -> str:
    """3000 -> "0.30"; 1250 -> "0.125" (two places at least, no trailing zeros beyond)."""
    text = f"{Decimal(bp) / BP:.4f}"
    while text.endswith("0") and len(text.split(".")[1]) > 2:
        text = text[:-1]
    return text


def percent(bp: int) -> str:
    """3000 -> "30 %" for pages."""
    value = Decimal(bp) / 100
    return f"{value.normalize():f} %"


def effective_rate_bp(*, base_bp: int, domestic: bool, domestic_bonus_bp: int,
                      max_rate_bp: int) -> int:
    """The clearing rule: min(max_rate, rate[operator] + bonus when the chip is domestic)."""
    return min(max_rate_bp, base_bp + (domestic_bonus_bp if domestic else 0))
