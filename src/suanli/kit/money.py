"""Money is integer fen (0.01 CNY) inside and a decimal string at the edges, never a float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from suanli.kit.errors import ValidationFailed

FEN_PER_YUAN = 100
MAX_FEN = 10**15  # 10 trillion CNY: above any real amount, and sums stay far from BIGINT
MAX_CHARS = 24
# The one grammar of money at the edges (pages, API, CLI, files): ASCII digits, at most two
# decimals after a point with a digit before it; a leading "-" only where negatives are
# allowed. No "+", "_", ",", exponent, spaces, or digits of other scripts.
GRAMMAR = re.compile(r"(-?)([0-9]+)(?:\.([0-9]{1,2}))?")
# The same grammar as JSON-schema patterns, for the OpenAPI document (what clients and
# fuzzers read; the parser stays the rule): at most 13 whole digits keeps under MAX_FEN.
PATTERN = r"^[0-9]{1,13}(\.[0-9]{1,2})?$"
SIGNED_PATTERN = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"
POSITIVE_PATTERN = r"^(0*[1-9][0-9]{0,12}(\.[0-9]{1,2})?|0+\.(0[1-9]|[1-9][0-9]?))$"
SHAPE = 'a decimal string such as "12.50" (digits, at most 2 decimals, no spaces, signs, ' \
    'separators or exponent)'


class MoneyError(ValidationFailed, ValueError):
    """A value that is not a valid amount of CNY: a 422 naming the field (and a ValueError,
    so pydantic validators report it as theirs)."""

    def __init__(self, detail: str, *, field: str = "amount") -> None:
        super().__init__(detail, field=field)

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}"


def parse_cny(text: str | int | Decimal, *, field: str = "amount",
              negative: bool = False) -> int:
    """Parse a CNY amount written in the one money grammar into fen.

    Refused, naming ``field``: floats (they cannot hold fen exactly), anything off the
    grammar (``"1_000"``, ``"1E2"``, ``"+1"``, ``" 1.00"``, ``".5"``, full-width or other
    non-ASCII digits), more than two decimals, a minus sign unless ``negative``, and more
    than 10^15 fen.
    """
    if isinstance(text, (float, bool)) or not isinstance(text, (str, int, Decimal)):
        raise MoneyError(f"must be {SHAPE}, not a number", field=field)
    raw = str(text)
    if not raw:
        raise MoneyError(f"required: {SHAPE}", field=field)
    if len(raw) > MAX_CHARS:
        raise MoneyError(f"at most {MAX_CHARS} characters", field=field)
    match = GRAMMAR.fullmatch(raw)
    if match is None and re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", raw):
        raise MoneyError("at most 2 decimal places", field=field)
    if match is None:
        raise MoneyError(f"{raw!r} is not {SHAPE}", field=field)
    sign, whole, cents = match.groups()
    if sign and not negative:
        raise MoneyError("must not be negative", field=field)
    fen = int(whole) * FEN_PER_YUAN + int((cents or "").ljust(2, "0"))
    if fen > MAX_FEN:
        raise MoneyError(f"too large (at most {format_cny_grouped(MAX_FEN)})", field=field)
    return -fen if sign else fen


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
