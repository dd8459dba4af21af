"""A program's settings in internal units, and the rules that tie them together (pure).

Errors name the field as the API spells it (`budget_cny`, `rates.state`, `rules.all[1].value`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import format_cny_grouped
from suanli.programs import funders, rules, tiers, tranches
from suanli.programs.enums import ProviderMode, RedemptionMode
from suanli.programs.text import has_control

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_VALIDITY_DAYS = 3650

# Internal column -> the name of the field at the edge.
EDGE = {
    "budget_fen": "budget_cny", "voucher_min_fen": "voucher_min_cny",
    "voucher_max_fen": "voucher_max_cny", "default_value_fen": "default_value_cny",
    "rate_state_bp": "rates.state", "rate_commercial_bp": "rates.commercial",
    "domestic_bonus_bp": "domestic_bonus", "max_rate_bp": "max_rate",
    "cap_per_firm_fen": "cap_per_firm_cny", "second_review_above_fen": "second_review_above_cny",
}


@dataclass
class ProgramSettings:
    city: str
    name: str
    year: int
    budget_fen: int
    voucher_min_fen: int
    voucher_max_fen: int
    default_value_fen: int
    rate_state_bp: int
    rate_commercial_bp: int
    max_rate_bp: int
    validity_days: int
    window_opens_at: datetime
    window_closes_at: datetime
    domestic_bonus_bp: int = 0
    name_zh: str | None = None
    provider_mode: ProviderMode = ProviderMode.ALL
    provider_slugs: list[str] = field(default_factory=list)
    cap_per_firm_fen: int | None = None
    rules: dict[str, Any] = field(default_factory=lambda: {"all": []})
    tiers: list[dict[str, Any]] = field(default_factory=list)
    max_contract_days: int | None = None
    contracts_signed_from: datetime | None = None
    no_affiliated_providers: bool = False
    tranches: list[dict[str, Any]] = field(default_factory=list)
    funders: list[dict[str, Any]] = field(default_factory=list)
    voucher_unit: str = "gpu_hours"
    second_review_above_fen: int | None = None
    auto_approve: bool = True
    forbid_other_subsidies: bool = False
    redemption_mode: RedemptionMode = RedemptionMode.PROVIDER_CLAIMS
    partial_vouchers: bool = False
    subsidise_cancellation: bool = False
    refuse_late_usage: bool = False
    credit_lines: bool = False
    eligibility_text: str | None = None
    source: str | None = None
    illustrative: bool = False
    illustrative_fields: list[str] = field(default_factory=list)

    def columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


NAMES = tuple(f.name for f in fields(ProgramSettings))


def _fail(column: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=EDGE.get(column, column))


def check(s: ProgramSettings, *, known_cities: frozenset[str] | None = None) -> dict[str, Any]:
    """Refuse settings that contradict each other; returns the canonical rule tree (and
    puts the canonical tiers into `s.tiers`)."""
    if known_cities is not None and s.city not in known_cities:
        raise _fail("city", f"unknown city {s.city!r}")
    if not s.name.strip():
        raise _fail("name", "must not be blank")
    for column in ("name", "name_zh", "eligibility_text", "source"):
        if has_control(getattr(s, column) or ""):
            raise _fail(column, "must not contain control characters")
    if not 2000 <= s.year <= 2100:
        raise _fail("year", "must be between 2000 and 2100")
    _check_money(s)
    for column in ("rate_state_bp", "rate_commercial_bp", "domestic_bonus_bp", "max_rate_bp"):
        if not 0 <= getattr(s, column) <= 10_000:
            raise _fail(column, "must be between 0 and 1")
    if not 1 <= s.validity_days <= MAX_VALIDITY_DAYS:
        raise _fail("validity_days", f"must be between 1 and {MAX_VALIDITY_DAYS} days")
    if s.max_contract_days is not None and not 1 <= s.max_contract_days <= MAX_VALIDITY_DAYS:
        raise _fail("max_contract_days", f"must be between 1 and {MAX_VALIDITY_DAYS} days")
    if s.window_closes_at <= s.window_opens_at:
        raise _fail("window_closes_at", "must be after the window opens")
    _check_providers(s)
    try:
        node = rules.check(s.rules)
    except rules.RuleError as exc:
        raise ValidationFailed(exc.message, field=exc.path,
                               errors=[{"field": p.path, "message": p.message}
                                       for p in exc.problems]) from exc
    if s.voucher_unit not in {"gpu_hours", "tokens"}:
        raise _fail("voucher_unit", "must be gpu_hours or tokens")
    s.tranches = tranches.check(s.tranches)
    s.funders = funders.check(s.funders)
    if s.funders and s.tranches:
        # Later tranches are held on one budget account; a split hold is not built yet.
        raise _fail("funders", "a co-funded program releases vouchers whole (no tranches)")
    s.tiers = tiers.check(s.tiers, domestic_bonus_bp=s.domestic_bonus_bp,
                          voucher_min_fen=s.voucher_min_fen, funders=len(s.funders))
    return rules.to_json(node)


def _check_money(s: ProgramSettings) -> None:
    if s.budget_fen <= 0:
        raise _fail("budget_fen", "must be more than 0")
    if s.voucher_min_fen <= 0:
        raise _fail("voucher_min_fen", "must be more than 0")
    if s.voucher_max_fen < s.voucher_min_fen:
        raise _fail("voucher_max_fen", "must not be below the smallest voucher value")
    if s.voucher_max_fen > s.budget_fen:
        raise _fail("voucher_max_fen", f"must not exceed the budget of "
                                       f"{format_cny_grouped(s.budget_fen)} CNY")
    if not s.voucher_min_fen <= s.default_value_fen <= s.voucher_max_fen:
        raise _fail("default_value_fen", "must lie within the voucher value range")
    if s.second_review_above_fen is not None and s.second_review_above_fen < 0:
        raise _fail("second_review_above_fen", "must not be negative")
    if s.cap_per_firm_fen is not None and s.cap_per_firm_fen < s.voucher_min_fen:
        raise _fail("cap_per_firm_fen", "must not be below the smallest voucher value")


def _check_providers(s: ProgramSettings) -> None:
    mode = ProviderMode(s.provider_mode)
    for index, slug in enumerate(s.provider_slugs):
        if not SLUG.match(slug):
            raise _fail(f"provider_slugs[{index}]", "must be an organisation slug")
    if mode is ProviderMode.LIST and not s.provider_slugs:
        raise _fail("provider_slugs", "name at least one provider when the mode is list")
    if mode is not ProviderMode.LIST and s.provider_slugs:
        raise _fail("provider_slugs", "only a program in list mode names providers")
