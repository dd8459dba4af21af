"""Presets: the city programs as published (`data/programs.csv`, copied with its sources from
the project's reference data) and illustrative ones for other cities (`data/illustrative.csv`)
so that the 17 cities the press counts are all there (pure).

Where a city published no figure, the preset fills one in and lists the setting in
`illustrative_fields`; a preset from `illustrative.csv` is illustrative as a whole. The
interpretation of each published row (rates by operator type, providers, the rule tree of
its eligibility text) is written out below, next to the row it reads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from suanli.kit.money import parse_cny
from suanli.programs.enums import ProviderMode, RedemptionMode
from suanli.programs.rates import parse_rate
from suanli.programs.settings import ProgramSettings

PRESS_MIN_FEN = 1_000_000_00  # "vouchers typically worth 1-2 million CNY"
PRESS_MAX_FEN = 2_000_000_00
DEFAULT_BUDGET_FEN = 50_000_000_00
DEFAULT_CAP_FEN = 2_000_000_00
# The press: compute costs 40-50 % lower at government-run data centres.
ILLUSTRATIVE_RATES = {"state": 5000, "commercial": 3000, "bonus": 1000, "max": 6000}
CITY_OF = {"beijing-etown": "beijing", "henan": "zhengzhou"}  # provincial: its capital
NAMES_ZH = {
    "beijing": "北京市算力券", "beijing-etown": "北京经开区算力券", "shanghai": "上海市算力券",
    "hangzhou": "杭州市算力券", "shenzhen": "深圳市训力券", "chengdu": "成都市算力券",
    "henan": "河南省算力券", "langfang": "廊坊市算力券", "yangzhou": "扬州市算力券",
    "qingyang": "庆阳市算力券", "suzhou": "苏州市算力券（示例）",
    "guangzhou": "广州市算力券（示例）", "wuhan": "武汉市算力券（示例）",
    "nanjing": "南京市算力券（示例）", "hefei": "合肥市算力券（示例）",
    "xian": "西安市算力券（示例）", "tianjin": "天津市算力券（示例）",
    "chongqing": "重庆市算力券（示例）",
}


def _city(city: str) -> dict[str, Any]:
    return {"field": "registered_city", "op": "eq", "value": city}


CREDIT_OK = {"not": {"field": "credit_record", "op": "eq", "value": "default_3y"}}
REVENUE_OR_PROJECT = {"any": [
    {"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
    {"all": [{"field": "research_project_member", "op": "eq", "value": True},
             {"field": "research_project_number", "op": "present"}]}]}

# How each published row reads: settings beyond what the CSV columns hold.
INTERPRETATION: dict[str, dict[str, Any]] = {
    "beijing": {"rules": {"all": [_city("beijing"), CREDIT_OK]},
                "forbid_other_subsidies": True,
                "redemption_mode": RedemptionMode.BUYER_REIMBURSED},
    "beijing-etown": {"rules": {"all": [_city("beijing")]}},
    "shanghai": {"rules": {"all": [_city("shanghai"), REVENUE_OR_PROJECT, CREDIT_OK]},
                 "illustrative": ["rules"]},
    "hangzhou": {"rules": {"all": [_city("hangzhou")]}, "domestic_bonus_bp": 1000},
    "shenzhen": {"rules": {"all": [_city("shenzhen")]}},
    "chengdu": {"rules": {"any": [{"field": "headcount", "op": "le", "value": 300},
                                  {"field": "research_project_member", "op": "eq",
                                   "value": True}]},
                "provider_mode": ProviderMode.STATE_ONLY},
    "henan": {"rules": {"all": [CREDIT_OK]}},
    "langfang": {"rules": {"any": [_city("langfang"),
                                   {"field": "research_project_member", "op": "eq",
                                    "value": True}]},
                 "redemption_mode": RedemptionMode.BUYER_REIMBURSED},
    "yangzhou": {"rules": {"all": [_city("yangzhou")]}, "forbid_other_subsidies": True,
                 "redemption_mode": RedemptionMode.BUYER_REIMBURSED},
    "qingyang": {"rules": {"all": []}},
}


@dataclass(frozen=True)
class Preset:
    key: str
    city: str
    name: str
    name_zh: str
    year: int
    published: bool  # False: made up for a city whose program we found no figures for
    source: str
    eligibility_text: str
    redemption_text: str
    values: dict[str, Any] = field(default_factory=dict)  # ProgramSettings fields

    def settings(self, *, opens_at: datetime, days_open: int = 365) -> ProgramSettings:
        """The preset as program settings with an application window from `opens_at`."""
        return ProgramSettings(**self.values, window_opens_at=opens_at,
                               window_closes_at=opens_at + timedelta(days=days_open))


def _money(raw: str) -> int | None:
    return parse_cny(raw) if raw.strip() else None


def _rates(row: dict[str, str], extra: dict[str, Any], made_up: list[str]) -> dict[str, int]:
    if not row["subsidy_rate"].strip():
        made_up += ["rate_state_bp", "rate_commercial_bp", "max_rate_bp",
                    "domestic_bonus_bp"]
        return {"rate_state_bp": ILLUSTRATIVE_RATES["state"],
                "rate_commercial_bp": ILLUSTRATIVE_RATES["commercial"],
                "domestic_bonus_bp": ILLUSTRATIVE_RATES["bonus"],
                "max_rate_bp": ILLUSTRATIVE_RATES["max"]}
    base = parse_rate(row["subsidy_rate"])  # published as one rate for every operator
    bonus = int(extra.get("domestic_bonus_bp", 0))
    top = parse_rate(row["startup_rate"]) if row["startup_rate"].strip() else None
    return {"rate_state_bp": base, "rate_commercial_bp": base, "domestic_bonus_bp": bonus,
            "max_rate_bp": top if top is not None else min(10_000, base + bonus)}


def _values(row: dict[str, str], published: bool) -> dict[str, Any]:
    key = row["city"]
    extra = dict(INTERPRETATION.get(key, {}))
    made_up: list[str] = list(extra.pop("illustrative", []))
    budget = _money(row["budget_cny"])
    cap = _money(row["cap_per_firm_cny"])
    if budget is None:
        budget = DEFAULT_BUDGET_FEN
        made_up.append("budget_fen")
    if cap is None:
        cap = DEFAULT_CAP_FEN
        made_up.append("cap_per_firm_fen")
    top = min(PRESS_MAX_FEN, cap, budget)
    values: dict[str, Any] = {
        "city": CITY_OF.get(key, key), "name": row["program"], "name_zh": NAMES_ZH.get(key),
        "year": int(row["year"]), "budget_fen": budget, "cap_per_firm_fen": cap,
        "voucher_min_fen": min(PRESS_MIN_FEN, top), "voucher_max_fen": top,
        "default_value_fen": min(PRESS_MIN_FEN, top),
        "validity_days": round(int(row["term_months"] or 12) * Decimal("365") / 12),
        "eligibility_text": row["eligibility"], "source": row["source"],
        **_rates(row, extra, made_up),
    }
    made_up += ["voucher_min_fen", "voucher_max_fen", "default_value_fen"]  # press, not city
    if not published:
        extra["rules"] = {"all": [_city(values["city"]), REVENUE_OR_PROJECT, CREDIT_OK]}
        made_up.append("rules")
    extra.pop("domestic_bonus_bp", None)
    values.update(extra)
    values["illustrative"] = not published
    values["illustrative_fields"] = sorted(set(made_up))
    return values


def _read(filename: str) -> list[dict[str, str]]:
    text = resources.files("suanli.programs").joinpath("data", filename).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def all_presets() -> tuple[Preset, ...]:
    """Every preset, published ones first, in the order of their files."""
    found: list[Preset] = []
    for filename, published in (("programs.csv", True), ("illustrative.csv", False)):
        for row in _read(filename):
            values = _values(row, published)
            found.append(Preset(
                key=row["city"], city=values["city"], name=row["program"],
                name_zh=values["name_zh"] or row["program"], year=int(row["year"]),
                published=published, source=row["source"],
                eligibility_text=row["eligibility"], redemption_text=row["redemption"],
                values=values))
    return tuple(found)


def get(key: str) -> Preset | None:
    return next((p for p in all_presets() if p.key == key), None)
