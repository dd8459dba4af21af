"""The program editor's forms: settings and the rule editor's JSON box (pure: strings in,
data out). The rule tree's own form is `rule_editor.py`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import format_cny
from suanli.kit.timeutil import SHANGHAI, to_shanghai
from suanli.programs import rules
from suanli.programs.rates import format_rate

SETTINGS_FIELDS = (
    "city", "name", "name_zh", "year", "budget_cny", "voucher_min_cny", "voucher_max_cny",
    "default_value_cny", "rate_state", "rate_commercial", "domestic_bonus", "max_rate",
    "provider_mode", "provider_slugs", "cap_per_firm_cny", "validity_days", "window_opens",
    "window_closes", "redemption_mode", "eligibility_text", "source", "tiers",
    "max_contract_days", "contracts_signed_from", "tranches", "second_review_above_cny",
    "funders", "voucher_unit", "capacity_grant")
CHECKBOXES = ("auto_approve", "forbid_other_subsidies", "partial_vouchers",
              "subsidise_cancellation", "refuse_late_usage", "no_affiliated_providers",
              "credit_lines", "paired_vouchers")
# Names in API errors -> names of the form's inputs.
FORM_NAME = {"rates.state": "rate_state", "rates.commercial": "rate_commercial",
             "window_opens_at": "window_opens", "window_closes_at": "window_closes"}
BLANK_ROWS = 3
ROW_PATH = re.compile(r"^rules\.(?:all|any)\[(\d+)\](?:\.not)?(?:\.(field|op|value))?$")


def form_name(api_field: str | None) -> str:
    name = api_field or "form"
    for prefix in ("provider_slugs", "tiers", "tranches", "funders", "capacity_grant"):
        if name.startswith(prefix):
            return prefix
    return FORM_NAME.get(name, name)


def _local_date(value: datetime) -> str:
    return to_shanghai(value).date().isoformat()


def values_of(program: Any) -> dict[str, Any]:
    """A program (or settings) as the form's values."""
    cap = program.cap_per_firm_fen
    return {
        "city": program.city, "name": program.name, "name_zh": program.name_zh or "",
        "year": program.year, "budget_cny": format_cny(program.budget_fen),
        "voucher_min_cny": format_cny(program.voucher_min_fen),
        "voucher_max_cny": format_cny(program.voucher_max_fen),
        "default_value_cny": format_cny(program.default_value_fen),
        "rate_state": format_rate(program.rate_state_bp),
        "rate_commercial": format_rate(program.rate_commercial_bp),
        "domestic_bonus": format_rate(program.domestic_bonus_bp),
        "max_rate": format_rate(program.max_rate_bp), "provider_mode": program.provider_mode,
        "provider_slugs": ", ".join(program.provider_slugs),
        "cap_per_firm_cny": "" if cap is None else format_cny(cap),
        "validity_days": program.validity_days,
        "window_opens": _local_date(program.window_opens_at),
        "window_closes": _local_date(program.window_closes_at),
        "auto_approve": program.auto_approve,
        "forbid_other_subsidies": program.forbid_other_subsidies,
        "redemption_mode": program.redemption_mode,
        "voucher_unit": getattr(program, "voucher_unit", None) or "gpu_hours",
        "partial_vouchers": program.partial_vouchers,
        "subsidise_cancellation": program.subsidise_cancellation,
        "refuse_late_usage": program.refuse_late_usage,
        "credit_lines": program.credit_lines,
        "paired_vouchers": getattr(program, "paired_vouchers", False),
        "eligibility_text": program.eligibility_text or "", "source": program.source or "",
        "tiers": json.dumps(program.tiers, ensure_ascii=False, indent=1)
        if program.tiers else "",
        "max_contract_days": "" if program.max_contract_days is None
        else program.max_contract_days,
        "contracts_signed_from": "" if program.contracts_signed_from is None
        else _local_date(program.contracts_signed_from),
        "no_affiliated_providers": program.no_affiliated_providers,
        "tranches": json.dumps(program.tranches, ensure_ascii=False)
        if program.tranches else "",
        "second_review_above_cny": "" if program.second_review_above_fen is None
        else format_cny(program.second_review_above_fen),
        "funders": json.dumps(program.funders, ensure_ascii=False)
        if getattr(program, "funders", None) else "",
        "capacity_grant": json.dumps(program.capacity_grant, ensure_ascii=False)
        if getattr(program, "capacity_grant", None) else "",
    }


def error_text(api_field: str | None, detail: str) -> str:
    """A save error as the form shows it: inside the tiers' JSON, the path says where."""
    if api_field and api_field.startswith(("tiers[", "tranches[", "funders[")):
        return f"{api_field}: {detail}"
    return detail


def _tiers(text: str) -> object:
    """A JSON box (tiers, tranches) as typed; text that is no JSON goes on for the schema
    to refuse."""
    if not text:
        return []
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # nested too deeply: the schema refuses the text
        return text


def _day(text: str) -> str | None:
    """A date typed on the form as the start of that day in Asia/Shanghai (ISO, aware)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text or None  # let the schema name the field
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).isoformat()


def day_start(text: str, *, field: str) -> datetime:
    """A date typed on a form as the start of that day in Asia/Shanghai (422 otherwise)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationFailed("must be a date such as 2026-03-01", field=field) from exc
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def provider_slugs(fields: Mapping[str, Any]) -> list[str]:
    """The providers a form lists: its ticked boxes (`provider:<slug>`) and any slugs typed
    into `provider_slugs` (as the API takes them), in that order, each once."""
    typed = str(fields.get("provider_slugs") or "")
    ticked = [name.removeprefix("provider:") for name, value in fields.items()
              if name.startswith("provider:") and value]
    return list(dict.fromkeys([*ticked, *(s.strip() for s in re.split(r"[,\s]+", typed)
                                          if s.strip())]))


def body_of(fields: Mapping[str, str]) -> dict[str, Any]:
    """The form as the API's program body (strings stay strings; the schema checks them)."""
    get = {name: (fields.get(name) or "").strip() for name in SETTINGS_FIELDS}
    body: dict[str, Any] = {
        "city": get["city"], "name": get["name"], "name_zh": get["name_zh"] or None,
        "year": get["year"] or None, "budget_cny": get["budget_cny"],
        "voucher_min_cny": get["voucher_min_cny"], "voucher_max_cny": get["voucher_max_cny"],
        "default_value_cny": get["default_value_cny"] or get["voucher_min_cny"],
        "rates": {"state": get["rate_state"], "commercial": get["rate_commercial"]},
        "domestic_bonus": get["domestic_bonus"] or "0", "max_rate": get["max_rate"],
        "provider_mode": get["provider_mode"] or "all",
        "provider_slugs": provider_slugs(fields),
        "cap_per_firm_cny": get["cap_per_firm_cny"] or None,
        "validity_days": get["validity_days"] or None,
        "window_opens_at": _day(get["window_opens"]),
        "window_closes_at": _day(get["window_closes"]),
        "redemption_mode": get["redemption_mode"] or "provider_claims",
        "voucher_unit": get["voucher_unit"] or "gpu_hours",
        "eligibility_text": get["eligibility_text"] or None, "source": get["source"] or None,
        "tiers": _tiers(get["tiers"]),
        "max_contract_days": get["max_contract_days"] or None,
        "contracts_signed_from": _day(get["contracts_signed_from"]),
        "tranches": _tiers(get["tranches"]),
        "funders": _tiers(get["funders"]),
        "capacity_grant": _tiers(get["capacity_grant"]) or None,
        "second_review_above_cny": get["second_review_above_cny"] or None,
    }
    for name in CHECKBOXES:
        body[name] = fields.get(name) in {"on", "true", "1", "yes"}
    return body


# ---- the rule editor's JSON box ----------------------------------------------------------

def json_of(fields: Mapping[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """The tree typed as JSON, or the reason it is not JSON."""
    text = fields.get("rules_json", "")
    try:
        tree = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        return None, f"nested too deeply (rules nest at most {rules.MAX_DEPTH} levels)"
    if not isinstance(tree, dict):
        return None, "must be a JSON object"
    return tree, None
