"""Presets: the city programs as published (`data/programs.csv`, copied with its sources from
the project's reference data; `model_programs.csv` and `later_programs.csv`: published
schemes that file has no row for) and illustrative ones for other cities (`data/illustrative.csv`)
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
from suanli.kit.timeutil import SHANGHAI
from suanli.programs.enums import ProviderMode, RedemptionMode
from suanli.programs.rates import parse_rate
from suanli.programs.settings import ProgramSettings

PRESS_MIN_FEN = 1_000_000_00  # "vouchers typically worth 1-2 million CNY"
PRESS_MAX_FEN = 2_000_000_00
DEFAULT_BUDGET_FEN = 50_000_000_00
DEFAULT_CAP_FEN = 2_000_000_00
# The press: compute costs 40-50 % lower at government-run data centres.
ILLUSTRATIVE_RATES = {"state": 5000, "commercial": 3000, "bonus": 1000, "max": 6000}
CITY_OF = {"beijing-etown": "beijing", "henan": "zhengzhou",  # provincial: its capital
           "shanghai-models": "shanghai", "hangzhou-models": "hangzhou",
           "shanghai-2026": "shanghai"}
NAMES_ZH = {
    "beijing": "北京市算力券", "beijing-etown": "北京经开区算力券", "shanghai": "上海市算力券",
    "hangzhou": "杭州市算力券", "shanghai-models": "上海市模型券",
    "shanghai-2026": "上海市算力券（先用后付，2026）",
    "hangzhou-models": "杭州市模型券（MaaS）", "shenzhen": "深圳市训力券",
    "chengdu": "成都市算力券",
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

INSTITUTION = {"field": "organisation_type", "op": "in",
               "value": ["university", "research_institute"]}

# How each published row reads: settings beyond what the CSV columns hold. Tiers carry the
# source of their figures; `illustrative` lists what the source does not say.
INTERPRETATION: dict[str, dict[str, Any]] = {
    "beijing": {"rules": {"all": [_city("beijing"), CREDIT_OK]},
                "forbid_other_subsidies": True,
                "redemption_mode": RedemptionMode.BUYER_REIMBURSED,
                # "provider ... not affiliated"; contracts of at most a year (term_months 12)
                "no_affiliated_providers": True, "max_contract_days": 365,
                # signed on or after a date: the source gives none; the program's year start
                "contracts_signed_from": datetime(2023, 1, 1, tzinfo=SHANGHAI),
                # "from the city's compute-partner list": the list is not published here
                "illustrative": ["contracts_signed_from", "provider_mode"]},
    # "provider buying domestic AI-chip servers listed on the E-Town dispatch platform gets
    # up to 10% of the purchase, up to 10m per project": a capacity grant, exact. How long
    # the servers must stay listed before payment is not in the source: a year,
    # illustrative (the program's term, term_months 12).
    "beijing-etown": {"rules": {"all": [_city("beijing")]},
                      "capacity_grant": {"share": "0.10", "cap_cny": "10000000.00",
                                         "listing_days": 365},
                      "illustrative": ["capacity_grant.listing_days"]},
    "shanghai": {"rules": {"all": [_city("shanghai"), REVENUE_OR_PROJECT, CREDIT_OK]},
                 # The city and the district fund it; how the 600 m budget divides between
                 # them is not published: half each, illustrative.
                 "funders": [{"name": "Shanghai City", "label": "city", "share": "0.5"},
                             {"name": "District of registration", "label": "district",
                              "share": "0.5"}],
                 # Early-stage and small firms: city and district together up to 100 % of
                 # rent (startup_rate 1.00) for at most a year, the city paying its 30 and
                 # the district topping up 70; everyone else: the city's 30 %, the district
                 # paying nothing. "Early-stage" and "small" are not defined in the source:
                 # founded within 3 years and at most 100 staff, illustrative.
                 "tiers": [{"key": "early-stage", "name": "Early-stage and small firms",
                            "rule": {"all": [{"field": "company_age_years", "op": "le",
                                              "value": "3.00"},
                                             {"field": "headcount", "op": "le",
                                              "value": 100}]},
                            "rate": "startup_rate", "funder_shares": ["0.3", "0.7"],
                            "max_days": 365},
                           {"key": "city-30", "name": "Other Shanghai firms (city 30 %)",
                            "rule": {"all": []}, "rate": "subsidy_rate",
                            "funder_shares": ["1", "0"]}],
                 "illustrative": ["rules", "tiers.rule", "funders.share", "funders.name"]},
    # "Use first, pay later" (2026): compute on a credit line the program grants, billed
    # monthly, late bills blocking new orders (credit_lines), exact. No 2026 figures are
    # published here: the 2025 measures' rates, tiers, funders and rules carry over,
    # illustrative; each buyer's limit and due days are the program admin's to set.
    "shanghai-2026": {"credit_lines": True,
                      "illustrative": ["budget_fen", "rate_state_bp", "rate_commercial_bp",
                                       "max_rate_bp", "tiers"]},
    # Model vouchers (voucher_unit tokens): 50 %, 5 m per firm; Shanghai firms.
    "shanghai-models": {"rules": {"all": [_city("shanghai")]}, "voucher_unit": "tokens"},
    # 30 % for MaaS on registered models (an offer needs its filing number); the list of
    # eligible providers is not published here; the firm cap is not given for MaaS.
    "hangzhou-models": {"rules": {"all": [_city("hangzhou")]}, "voucher_unit": "tokens",
                        "illustrative": ["provider_mode"]},
    # 30 % for domestic compute, 20 % for other (the bonus), exact; "provider must be a
    # planned Hangzhou intelligent-computing centre or matchmaking partner": not listed here
    "hangzhou": {"rules": {"all": [_city("hangzhou")]}, "domestic_bonus_bp": 1000,
                 "illustrative": ["provider_mode"]},
    "shenzhen": {"rules": {"all": [_city("shenzhen")]},
                 # "startups up to 60 %"; a startup is not defined in the source: founded
                 # within 5 years, illustrative.
                 "tiers": [{"key": "startup", "name": "Startups",
                            "rule": {"all": [{"field": "company_age_years", "op": "le",
                                              "value": "5.00"}]},
                            "rate": "startup_rate"}],
                 "illustrative": ["tiers.rule"]},
    "chengdu": {"rules": {"any": [{"field": "headcount", "op": "le", "value": 300},
                                  INSTITUTION]},
                "provider_mode": ProviderMode.STATE_ONLY,
                # "institutions capped at 1.5m" (firms: cap_per_firm_cny 3m), exact
                "tiers": [{"key": "institution", "name": "Universities and research bodies",
                           "rule": {"all": [INSTITUTION]}, "rate": "subsidy_rate",
                           "cap_per_firm_cny": "1500000.00"}],
                # an SME read as at most 300 staff
                "illustrative": ["rules"]},
    # "province and city share cost 1:1": two funders, half each, exact. The city is the
    # one the firm is in; the preset's city (the capital) names it, illustrative.
    "henan": {"rules": {"all": [CREDIT_OK]},
              "funders": [{"name": "Henan Province", "label": "province", "share": "0.5",
                           "source": "source"},
                          {"name": "Zhengzhou City", "label": "city", "share": "0.5",
                           "source": "source"}],
              "illustrative": ["funders.name"]},
    "langfang": {"rules": {"any": [_city("langfang"),
                                   {"field": "research_project_member", "op": "eq",
                                    "value": True}]},
                 "redemption_mode": RedemptionMode.BUYER_REIMBURSED,
                 # "electronic voucher to buyer and provider": paired vouchers, exact
                 "paired_vouchers": True,
                 # "60% for leads of national or provincial projects", exact
                 "tiers": [{"key": "project-lead",
                            "name": "Leads of national or provincial projects",
                            "rule": {"all": [{"field": "project_lead", "op": "in",
                                              "value": ["provincial", "national"]}]},
                            "rate": "startup_rate"}]},
    "yangzhou": {"rules": {"all": [_city("yangzhou")]}, "forbid_other_subsidies": True,
                 "redemption_mode": RedemptionMode.BUYER_REIMBURSED},
    # "finance bureau pays buyer or supplier directly; supplier has priority; both cannot
    # claim": the supplier is paid the subsidy and bills the buyer net, exact.
    "qingyang": {"rules": {"all": []}, "redemption_mode": RedemptionMode.SUPPLIER_FIRST},
}


# The 2026 scheme reads as the 2025 program it extends, plus its own settings.
INTERPRETATION["shanghai-2026"] = {
    **INTERPRETATION["shanghai"], **INTERPRETATION["shanghai-2026"],
    "illustrative": sorted({*INTERPRETATION["shanghai"]["illustrative"],
                            *INTERPRETATION["shanghai-2026"]["illustrative"]})}


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
    # A higher published rate (startup_rate) belongs to a tier (`_tiers`), not the base.
    return {"rate_state_bp": base, "rate_commercial_bp": base, "domestic_bonus_bp": bonus,
            "max_rate_bp": min(10_000, base + bonus)}


def _tiers(row: dict[str, str], extra: dict[str, Any]) -> list[dict[str, Any]]:
    """The interpretation's tiers with their rates read from the row ("startup_rate" names
    the column) and the row's source next to each."""
    out = []
    for tier in extra.pop("tiers", []):
        rate = row[tier["rate"]].strip() if tier["rate"] in row else tier["rate"]
        out.append({**tier, "rate": rate, "source": f"{row['source']}: {row['eligibility']}"[
            :500]})
    return out


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
    values["tiers"] = _tiers(row, extra)
    values["funders"] = [{**f, "source": f"{row['source']}: {row['eligibility']}"[:500]}
                         for f in extra.pop("funders", [])]
    if "capacity_grant" in extra:
        extra["capacity_grant"] = {**extra["capacity_grant"], "source": f"{row['source']}: "
                                   f"{row['domestic_rule']}"[:500]}
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
    for filename, published in (("programs.csv", True), ("model_programs.csv", True),
                                ("later_programs.csv", True), ("illustrative.csv", False)):
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
