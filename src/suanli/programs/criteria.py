"""What an eligibility rule may test (pure): the fields of an applicant's profile, their
kinds, the operators each kind allows, how a rule's value is read, and the sentences, in
English and Simplified Chinese, that explain one criterion's result.

No SQLAlchemy, no FastAPI: `rules.py` builds on this and both are tested without a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from suanli.catalog.network import load_cities
from suanli.kit.money import MoneyError, parse_cny


class Kind(StrEnum):
    MONEY = "money"  # fen inside; a CNY decimal string in a rule
    COUNT = "count"  # a whole number >= 0
    YEARS = "years"  # a decimal number of years >= 0
    FLAG = "flag"  # yes or no
    TEXT = "text"  # free text such as a project number; blank counts as "not given"
    CITY = "city"  # a city id such as "shanghai"
    CHOICE = "choice"  # one of a field's fixed choices
    TAGS = "tags"  # a list of short labels


NUMERIC_OPS = ("ge", "gt", "le", "lt", "eq", "ne")
OPS: dict[Kind, tuple[str, ...]] = {
    Kind.MONEY: NUMERIC_OPS,
    Kind.COUNT: NUMERIC_OPS,
    Kind.YEARS: NUMERIC_OPS,
    Kind.FLAG: ("eq", "ne"),
    Kind.TEXT: ("present", "absent", "eq", "ne", "prefix", "not_prefix"),
    Kind.CITY: ("eq", "ne", "in", "not_in"),
    Kind.CHOICE: ("eq", "ne", "in", "not_in"),
    Kind.TAGS: ("empty", "not_empty", "contains", "not_contains"),
}
# Every operator's opposite: `not` over a criterion is the criterion with this operator.
NEGATION = {
    "ge": "lt", "lt": "ge", "gt": "le", "le": "gt", "eq": "ne", "ne": "eq",
    "in": "not_in", "not_in": "in", "present": "absent", "absent": "present",
    "prefix": "not_prefix", "not_prefix": "prefix", "empty": "not_empty",
    "not_empty": "empty", "contains": "not_contains", "not_contains": "contains",
}
NO_VALUE = frozenset({"present", "absent", "empty", "not_empty"})
LIST_VALUE = frozenset({"in", "not_in"})
SYMBOLS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "eq": "=", "ne": "≠"}
MAX_TEXT = 100
MAX_LIST = 50
CITY_ID = re.compile(r"^[a-z][a-z0-9-]{0,63}$")
YEARS_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    en: str
    zh: str
    choices: tuple[str, ...] = ()


FIELDS: dict[str, Field] = {f.name: f for f in (
    Field("registered_city", Kind.CITY, "registered city", "注册城市"),
    Field("annual_revenue", Kind.MONEY, "annual revenue", "年营业收入"),
    Field("research_project_member", Kind.FLAG,
          "membership of a government-sponsored research project", "承担政府资助科研项目"),
    Field("research_project_number", Kind.TEXT, "research project number", "科研项目编号"),
    Field("headcount", Kind.COUNT, "headcount", "员工人数"),
    Field("company_age_years", Kind.YEARS, "company age", "成立年限"),
    Field("model_filings", Kind.COUNT, "registered model filings", "已备案模型数量"),
    Field("credit_record", Kind.CHOICE, "credit record", "信用记录",
          choices=("ok", "default_3y")),
    Field("other_subsidies", Kind.TAGS, "other subsidies held", "已享受的其他补贴"),
    # For tiers: Chengdu caps institutions lower than firms; Langfang pays project leads more.
    Field("organisation_type", Kind.CHOICE, "type of organisation", "单位类型",
          choices=("company", "university", "research_institute")),
    Field("project_lead", Kind.CHOICE, "lead of a government project", "牵头承担政府项目",
          choices=("none", "provincial", "national")),
)}

CHOICE_NAMES: dict[str, tuple[str, str]] = {
    "ok": ("no default in the last 3 years", "近3年无违约记录"),
    "default_3y": ("a default in the last 3 years", "近3年有违约记录"),
    "company": ("a company", "企业"),
    "university": ("a university", "高校"),
    "research_institute": ("a research institute", "科研院所"),
    "none": ("no government project led", "未牵头政府项目"),
    "provincial": ("lead of a provincial project", "省级项目牵头单位"),
    "national": ("lead of a national project", "国家级项目牵头单位"),
}

Value = int | Decimal | bool | str | tuple[str, ...] | None


class ValueProblem(ValueError):
    """A rule's value that does not fit its field and operator; the message says why."""


def parse_value(field: Field, op: str, raw: object) -> Value:
    """A rule's value read for its field and operator (money to fen, years to Decimal)."""
    if op in NO_VALUE:
        if raw not in (None, ""):
            raise ValueProblem(f"operator {op} takes no value")
        return None
    if op in LIST_VALUE:
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValueProblem("must be a non-empty list")
        if len(raw) > MAX_LIST:
            raise ValueProblem(f"at most {MAX_LIST} items")
        items = tuple(dict.fromkeys(_scalar(field, item) for item in raw))
        return tuple(str(item) for item in items)
    return _scalar(field, raw)


def _scalar(field: Field, raw: object) -> int | Decimal | bool | str:
    kind = field.kind
    if kind is Kind.MONEY:
        return _money(raw)
    if kind is Kind.COUNT:
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueProblem("must be a whole number >= 0")
        return raw
    if kind is Kind.YEARS:
        return _years(raw)
    if kind is Kind.FLAG:
        if not isinstance(raw, bool):
            raise ValueProblem("must be true or false")
        return raw
    if not isinstance(raw, str) or not raw.strip():
        raise ValueProblem("must be a non-empty text")
    text = raw.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueProblem("must not contain control characters")
    if len(text) > MAX_TEXT:
        raise ValueProblem(f"at most {MAX_TEXT} characters")
    if kind is Kind.CITY and not CITY_ID.match(text):
        raise ValueProblem("must be a city id such as \"shanghai\"")
    if kind is Kind.CITY and text not in known_cities():
        raise ValueProblem(f"unknown city {text!r}; known: {', '.join(known_cities())}")
    if kind is Kind.CHOICE and text not in field.choices:
        raise ValueProblem(f"must be one of {', '.join(field.choices)}")
    return text


def known_cities() -> tuple[str, ...]:
    """The ids of the cities the platform knows (the packaged list), in file order."""
    return tuple(city.id for city in load_cities())


def _money(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise ValueProblem("must be an amount of CNY as a decimal string such as \"5000000.00\"")
    try:
        fen = parse_cny(raw, field="value")
    except MoneyError as exc:
        raise ValueProblem(str(exc).removeprefix("value: ")) from exc
    if fen < 0:
        raise ValueProblem("must not be negative")
    return fen


def _years(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ValueProblem("must be a number of years as a decimal string such as \"2.5\"")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation as exc:
        raise ValueProblem("must be a number of years such as \"2.5\"") from exc
    if not value.is_finite() or value < 0:
        raise ValueProblem("must be a number of years >= 0")
    if value != value.quantize(YEARS_PLACES):
        raise ValueProblem("at most 2 decimal places")
    return value


def rule_value(field: Field, value: Value) -> object:
    """A parsed value as it is written in a stored rule (money as a CNY decimal string)."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return list(value)
    if field.kind is Kind.MONEY and isinstance(value, int):
        from suanli.kit.money import format_cny

        return format_cny(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def fact_value(field: Field, raw: object) -> Value:
    """A profile's fact for a field, or None when it is not known (text: blank is known)."""
    kind = field.kind
    if kind is Kind.TEXT:
        return raw.strip() if isinstance(raw, str) else ""
    if raw is None:
        return None
    if kind is Kind.TAGS:
        if not isinstance(raw, (list, tuple)):
            raise TypeError(f"{field.name}: a list of labels is expected")
        return tuple(str(item) for item in raw)
    if kind is Kind.YEARS:
        return Decimal(str(raw))
    if kind in (Kind.MONEY, Kind.COUNT):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError(f"{field.name}: a whole number is expected")
        return raw
    if kind is Kind.FLAG:
        return bool(raw)
    return str(raw)


def holds(op: str, fact: Value, value: Value) -> bool:
    """Whether a known fact satisfies `op value`."""
    if op in ("ge", "gt", "le", "lt"):
        assert isinstance(fact, (int, Decimal)) and isinstance(value, (int, Decimal))
        return {"ge": fact >= value, "gt": fact > value, "le": fact <= value,
                "lt": fact < value}[op]
    if op in ("eq", "ne"):
        return (fact == value) == (op == "eq")
    if op in LIST_VALUE:
        assert isinstance(value, tuple)
        return (fact in value) == (op == "in")
    if op in ("present", "absent"):
        return bool(fact) == (op == "present")
    if op in ("prefix", "not_prefix"):
        assert isinstance(fact, str) and isinstance(value, str)
        return fact.startswith(value) == (op == "prefix")
    assert isinstance(fact, tuple)
    if op in ("empty", "not_empty"):
        return (not fact) == (op == "empty")
    return (value in fact) == (op == "contains")


# ---- how values read in sentences -------------------------------------------------------

Names = Mapping[str, tuple[str, str]]  # e.g. city id -> (English name, Chinese name)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def money_text(fen: int, lang: str) -> str:
    """Amounts as people say them: "3.2 m CNY", "320万元"."""
    yuan = Decimal(fen) / 100
    if lang == "zh":
        if yuan >= 10_000:
            return f"{_plain(yuan / 10_000)}万元"
        return f"{_plain(yuan)}元"
    if yuan >= 1_000_000:
        return f"{_plain(yuan / 1_000_000)} m CNY"
    whole = _plain(yuan)
    if "." not in whole:
        return f"{int(whole):,} CNY"
    return f"{yuan:,.2f} CNY"


def value_text(field: Field, value: Value, lang: str, names: Names | None = None) -> str:
    """One value of a field in the given language."""
    zh = lang == "zh"
    if value is None or value == "" or value == ():
        return "无" if zh else "none"
    if isinstance(value, tuple):
        sep = "、" if zh else ", "
        return sep.join(value_text(field, item, lang, names) for item in value)
    kind = field.kind
    if kind is Kind.MONEY and isinstance(value, int):
        return money_text(value, lang)
    if kind is Kind.YEARS and isinstance(value, Decimal):
        number = _plain(value)
        return f"{number}年" if zh else f"{number} year" + ("" if value == 1 else "s")
    if kind is Kind.FLAG:
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if kind is Kind.COUNT and isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    lookup = CHOICE_NAMES if kind is Kind.CHOICE else (names or {})
    if text in lookup:
        return lookup[text][1 if zh else 0]
    return text.replace("-", " ").title() if kind is Kind.CITY else text
