"""Money is integer fen (0.01 CNY) inside and a decimal string at the edges, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

FEN_PER_YUAN = 100
MAX_FEN = 2**63 - 1


class MoneyError(ValueError):
    """A value that is not a valid amount of CNY."""


def parse_cny(text: str | int | Decimal, *, field: str = "amount") -> int:
    """Parse a CNY decimal string with at most two places into fen.

    Floats are refused: they cannot represent fen exactly.
    """
    if isinstance(text, (float, bool)):
        raise MoneyError(f"{field}: must be a decimal string such as \"12.50\", not a number")
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation as exc:
        raise MoneyError(f"{field}: {text!r} is not a decimal amount") from exc
    if not value.is_finite():
        raise MoneyError(f"{field}: must be finite")
    if value != value.quantize(Decimal("0.01")):
        raise MoneyError(f"{field}: at most 2 decimal places")
    fen = int(value * FEN_PER_YUAN)
    if abs(fen) > MAX_FEN:
        raise MoneyError(f"{field}: too large (limit 2^63-1 fen)")
    return fen


def format_cny(fen: int) -> str:
    """Fen to a decimal string with exactly two places: 1250 -> "12.50"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def round_fen(value: Decimal) -> int:
    """A Decimal amount of fen rounded half-even to a whole fen."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def yuan_to_fen(value: Decimal) -> int:
    """A Decimal amount of yuan rounded half-even to the fen."""
    return round_fen(value * FEN_PER_YUAN)


def format_cny_grouped(fen: int) -> str:
    """Fen as a grouped decimal string for pages: 123456789 -> "1,234,567.89"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"
