"""Typed reading of untrusted JSON that collects every problem with its JSON path.

Each reader method returns the converted value, or None after recording a problem
(``path: message``), so a caller can keep going and report all problems at once.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MISSING: Any = object()
MAX_YUAN_DIGITS = 14  # 10^15 CNY: far beyond any budget, and exact in Decimal arithmetic


def join(base: str, key: str | int) -> str:
    """The JSON path of a member: ``orders[3]`` + ``gpus`` -> ``orders[3].gpus``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Reader:
    """Collects problems while reading fields out of JSON objects."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, path: str, message: str) -> None:
        """Record one problem at ``path``."""
        self.problems.append(f"{path or '$'}: {message}")

    def get(self, obj: dict[str, Any], key: str, base: str, *, optional: bool = False) -> Any:
        """The raw member, MISSING (with a problem unless optional) when absent."""
        if key in obj:
            return obj[key]
        if not optional:
            self.fail(join(base, key), "is required")
        return MISSING

    def obj(self, value: Any, path: str) -> dict[str, Any] | None:
        """``value`` when it is a JSON object."""
        if isinstance(value, dict):
            return value
        self.fail(path, "must be an object")
        return None

    def array(self, obj: dict[str, Any], key: str, base: str, *, optional: bool = False) -> (
        list[Any] | None
    ):
        """A JSON array member; an absent optional member reads as an empty list."""
        value = self.get(obj, key, base, optional=optional)
        if value is MISSING:
            return [] if optional else None
        if isinstance(value, list):
            return value
        self.fail(join(base, key), "must be an array")
        return None

    def string(self, obj: dict[str, Any], key: str, base: str, *, nullable: bool = False) -> (
        str | None
    ):
        """A non-empty string member (None allowed, and the default, when nullable)."""
        value = self.get(obj, key, base, optional=nullable)
        if value is MISSING or (nullable and value is None):
            return None
        if isinstance(value, str) and value.strip():
            return value
        self.fail(join(base, key), "must be a non-empty string")
        return None

    def integer(self, obj: dict[str, Any], key: str, base: str, *, minimum: int | None = None) -> (
        int | None
    ):
        """An integer member, at least ``minimum`` when given (``2.0`` is not an integer)."""
        value = self.get(obj, key, base)
        if value is MISSING:
            return None
        path = join(base, key)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, "must be an integer")
            return None
        if minimum is not None and value < minimum:
            self.fail(path, f"must be >= {minimum}")
            return None
        return value

    def number(self, value: Any, path: str) -> Decimal | None:
        """A finite JSON number, or a decimal string, as an exact Decimal."""
        if _is_number(value) or isinstance(value, str):
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation:
                number = Decimal("NaN")
            if number.is_finite():
                return number
        self.fail(path, "must be a finite number")
        return None

    def bounded(
        self,
        value: Any,
        path: str,
        *,
        low: Decimal,
        high: Decimal | None = None,
        low_open: bool = False,
    ) -> Decimal | None:
        """A number in ``[low, high]`` (``(low, high]`` when ``low_open``)."""
        number = self.number(value, path)
        if number is None:
            return None
        if low_open and number <= low:
            self.fail(path, f"must be > {low}")
            return None
        if number < low:
            self.fail(path, f"must be >= {low}")
            return None
        if high is not None and number > high:
            self.fail(path, f"must be <= {high}")
            return None
        return number

    def rate(self, value: Any, path: str) -> Decimal | None:
        """A rate in [0, 1]."""
        return self.bounded(value, path, low=Decimal(0), high=Decimal(1))

    def money(self, obj: dict[str, Any], key: str, base: str, *, optional: bool = False) -> (
        int | None
    ):
        """A non-negative CNY decimal string with at most 2 places, in fen."""
        value = self.get(obj, key, base, optional=optional)
        if value is MISSING:
            return 0 if optional else None
        path = join(base, key)
        if not isinstance(value, str):
            self.fail(path, 'must be a decimal string such as "12.50"')
            return None
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or value.strip() != value or "e" in value.lower():
            self.fail(path, f"{value!r} is not a decimal amount")
            return None
        if amount.adjusted() > MAX_YUAN_DIGITS:
            self.fail(path, "too large")
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.fail(path, "at most 2 decimal places")
            return None
        if amount < 0:
            self.fail(path, "must be >= 0")
            return None
        return int(amount * 100)

    def boolean(self, obj: dict[str, Any], key: str, base: str) -> bool | None:
        """A true/false member."""
        value = self.get(obj, key, base)
        if value is MISSING:
            return None
        if isinstance(value, bool):
            return value
        self.fail(join(base, key), "must be true or false")
        return None

    def unique_id(self, value: str | None, seen: set[str], path: str) -> None:
        """Record a duplicate id within one list."""
        if value is None:
            return
        if value in seen:
            self.fail(path, f"duplicate id {value!r}")
        seen.add(value)
