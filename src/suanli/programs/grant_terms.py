"""Capacity grants to providers (Beijing E-Town): a program pays a provider a share of the
purchase of domestic-chip servers it lists on the platform, up to a cap per project, once
they have stayed listed for a minimum period (pure).

A program's terms are one JSON object, `capacity_grant`, in canonical form
``{"share": "0.10", "cap_cny": "10000000.00", "listing_days": 365, "source": "..."}``
(``cap_cny`` may be null: no cap). Errors name the field as the API spells it
(``capacity_grant.share``); a request that exceeds the terms names ``grant_cny``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import MoneyError, format_cny, format_cny_grouped, parse_cny
from suanli.programs.rates import BP, RateError, format_rate, parse_rate, percent
from suanli.programs.text import has_control

FIELD = "capacity_grant"
MAX_LISTING_DAYS = 3650
KEYS = frozenset({"share", "cap_cny", "listing_days", "source"})


@dataclass(frozen=True)
class GrantTerms:
    share_bp: int  # of the purchase, basis points (1000 = 10 %)
    cap_fen: int | None  # per project (one application); None: no cap
    listing_days: int  # how long the servers must stay listed before payment
    source: str | None = None


def _fail(key: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=f"{FIELD}.{key}" if key else FIELD)


def _share(raw: object) -> int:
    if not isinstance(raw, str):
        raise _fail("share", "must be a decimal string such as \"0.10\"")
    try:
        bp = parse_rate(raw)
    except RateError as exc:
        raise _fail("share", str(exc)) from exc
    if bp <= 0:
        raise _fail("share", "must be more than 0")
    return bp


def _cap(raw: object) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _fail("cap_cny", "must be an amount in CNY such as \"10000000.00\", or null")
    try:
        fen = parse_cny(raw, field=f"{FIELD}.cap_cny")
    except MoneyError as exc:
        raise _fail("cap_cny", exc.detail.removeprefix(f"{FIELD}.cap_cny: ")) from exc
    if fen <= 0:
        raise _fail("cap_cny", "must be more than 0")
    return fen


def parse(raw: object) -> GrantTerms | None:
    """The terms of a `capacity_grant` object; None for null or {} (no grants). Refused,
    naming the key: a share outside (0, 1], a cap of 0 or less, a listing period outside
    0-3650 days, unknown keys."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, dict):
        raise _fail("", "must be an object {share, cap_cny, listing_days, source?} or null")
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise _fail(unknown[0], "is not a setting of capacity grants")
    days = raw.get("listing_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_LISTING_DAYS:
        raise _fail("listing_days", f"must be a whole number of days, 0-{MAX_LISTING_DAYS}")
    source = raw.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > 500
                               or has_control(source)):
        raise _fail("source", "must be text of at most 500 characters")
    return GrantTerms(share_bp=_share(raw.get("share")), cap_fen=_cap(raw.get("cap_cny")),
                      listing_days=days, source=source or None)


def to_json(terms: GrantTerms | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    out: dict[str, Any] = {
        "share": format_rate(terms.share_bp),
        "cap_cny": None if terms.cap_fen is None else format_cny(terms.cap_fen),
        "listing_days": terms.listing_days}
    if terms.source:
        out["source"] = terms.source
    return out


def check(raw: object) -> dict[str, Any] | None:
    """The canonical JSON of a `capacity_grant` setting (see `parse`)."""
    return to_json(parse(raw))


def most_for(terms: GrantTerms, purchase_fen: int) -> int:
    """The largest grant for a purchase: its share, rounded down to the fen, within the cap."""
    share = purchase_fen * terms.share_bp // BP
    return share if terms.cap_fen is None else min(share, terms.cap_fen)


def check_request(terms: GrantTerms, *, purchase_fen: int, grant_fen: int | None) -> int:
    """The grant a provider may be paid for a purchase: what it asks (default: the most
    the terms allow). Refused naming `purchase_cny` or `grant_cny`: amounts of 0 or less,
    a grant above the share of the purchase or above the cap."""
    if purchase_fen <= 0:
        raise ValidationFailed("must be more than 0", field="purchase_cny")
    most = most_for(terms, purchase_fen)
    if grant_fen is None:
        grant_fen = most
    if grant_fen <= 0:
        raise ValidationFailed("must be more than 0", field="grant_cny")
    share_fen = purchase_fen * terms.share_bp // BP
    if grant_fen > share_fen:
        raise ValidationFailed(
            f"exceeds {percent(terms.share_bp)} of the purchase "
            f"({format_cny_grouped(share_fen)} CNY)", field="grant_cny")
    if terms.cap_fen is not None and grant_fen > terms.cap_fen:
        raise ValidationFailed(f"exceeds the cap of {format_cny_grouped(terms.cap_fen)} CNY "
                               "per project", field="grant_cny")
    return grant_fen

