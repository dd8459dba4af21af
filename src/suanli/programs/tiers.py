"""Rates by applicant tier (pure): which rate, maximum and per-firm cap apply to an applicant.

A program's tiers are an ordered list; each holds a rule tree in the eligibility format
(`rules.py`) and its own rate, maximum rate and cap per firm:

    [{"key": "startup", "name": "Startups", "rule": {"all": [...]},
      "rate": "0.60", "max_rate": "0.60", "cap_per_firm_cny": "10000000.00",
      "source": "aibase.com/news/14082"}]

The first tier whose rule passes applies; when none does, the program's own rates apply
(the base). A tier whose rule needs a missing fact is passed over (and named, so that a
reviewer may set it). `terms_for` is the one place
that turns a program's settings and a tier key into the rates a voucher carries: voucher
issuance, settlement (through the voucher), the market's effective prices and the simulator
all go through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import format_cny, format_cny_grouped, parse_cny
from suanli.programs import rules
from suanli.programs.criteria import Names
from suanli.programs.rates import (
    BP,
    HasRateFields,
    RateError,
    format_rate,
    parse_rate,
    percent,
)
from suanli.programs.text import has_control

MAX_TIERS = 20
TIER_KEYS = frozenset({"key", "name", "rule", "rate", "max_rate", "cap_per_firm_cny",
                       "source", "funder_shares", "max_days"})
MAX_TIER_DAYS = 3660


@dataclass(frozen=True)
class RateTerms:
    """The rates a voucher carries, and the per-firm cap that limits what a firm receives."""

    rate_state_bp: int
    rate_commercial_bp: int
    domestic_bonus_bp: int
    max_rate_bp: int
    cap_per_firm_fen: int | None
    tier: str | None = None  # None: the program's own rates
    # The tier's own split of the subsidy across the program's funders (basis points, in
    # the funders' order; None: the program's shares) and its longest voucher life in days.
    funder_shares_bp: tuple[int, ...] | None = None
    max_days: int | None = None


@dataclass(frozen=True)
class Tier:
    key: str
    name: str
    rule: rules.Node
    rate_bp: int
    max_rate_bp: int
    cap_per_firm_fen: int | None
    source: str | None
    funder_shares_bp: tuple[int, ...] | None = None
    max_days: int | None = None


@dataclass(frozen=True)
class TierChoice:
    """Which tier applies and why: each tier tried, in order, with its rule's verdict."""

    terms: RateTerms
    tried: tuple[tuple[Tier, rules.Evaluation], ...]
    undecided: Tier | None  # the first tier passed over because a fact it reads is missing

    def as_json(self) -> dict[str, Any]:
        return {"key": self.terms.tier, "undecided": None if self.undecided is None
                else self.undecided.key, "rate": format_rate(_top_rate(self.terms)),
                "max_rate": format_rate(self.terms.max_rate_bp),
                "cap_per_firm_cny": None if self.terms.cap_per_firm_fen is None
                else format_cny(self.terms.cap_per_firm_fen),
                "tried": [{"key": t.key, "name": t.name, **e.as_json()}
                          for t, e in self.tried]}


def _top_rate(terms: RateTerms) -> int:
    return max(terms.rate_state_bp, terms.rate_commercial_bp)


def _fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=path)


def check(raw: object, *, domestic_bonus_bp: int, voucher_min_fen: int,
          names: Names | None = None, funders: int = 0) -> list[dict[str, Any]]:
    """The tiers in canonical JSON, or ValidationFailed naming the field (`tiers[1].rate`).
    `funders`: how many funders the program has (a tier's `funder_shares` names a share
    for each)."""
    if not isinstance(raw, list):
        raise _fail("tiers", "must be a list of tiers")
    if len(raw) > MAX_TIERS:
        raise _fail("tiers", f"at most {MAX_TIERS} tiers")
    seen: set[str] = set()
    out = []
    for index, item in enumerate(raw):
        tier = _one(item, f"tiers[{index}]", domestic_bonus_bp, voucher_min_fen, funders)
        if tier.key in seen:
            raise _fail(f"tiers[{index}].key", f"tier {tier.key!r} is named twice")
        seen.add(tier.key)
        out.append(to_json(tier))
    return out


def _one(item: object, path: str, bonus_bp: int, voucher_min_fen: int, funders: int) -> Tier:
    if not isinstance(item, Mapping):
        raise _fail(path, "must be an object with key, name, rule and rate")
    for extra in sorted(set(item) - TIER_KEYS):
        raise _fail(f"{path}.{extra}", "unknown key; a tier has " + ", ".join(sorted(TIER_KEYS)))
    key, name = item.get("key"), item.get("name")
    if not isinstance(key, str) or not key or len(key) > 32 or not key.replace("-", "").isalnum()\
            or not key.isascii() or key != key.lower():
        raise _fail(f"{path}.key", "must be a short lower-case slug such as \"startup\"")
    if not isinstance(name, str) or not name.strip() or len(name) > 200 or has_control(name):
        raise _fail(f"{path}.name", "must be a name of 1 to 200 characters")
    source = item.get("source")
    if source is not None and (not isinstance(source, str) or len(source) > 500
                               or has_control(source)):
        raise _fail(f"{path}.source", "must be text of at most 500 characters")
    rate = _rate(item.get("rate"), f"{path}.rate")
    if rate + bonus_bp > BP:
        raise _fail(f"{path}.rate", f"with the domestic bonus of {percent(bonus_bp)} the rate "
                                    "would exceed 100 %")
    top = item.get("max_rate")
    max_rate = min(BP, rate + bonus_bp) if top is None else _rate(top, f"{path}.max_rate")
    if max_rate < rate:
        raise _fail(f"{path}.max_rate", "must not be below the tier's rate")
    cap = _cap(item.get("cap_per_firm_cny"), f"{path}.cap_per_firm_cny", voucher_min_fen)
    return Tier(key, name.strip(), _rule(item.get("rule"), f"{path}.rule"), rate, max_rate,
                cap, source, _funder_shares(item.get("funder_shares"),
                                            f"{path}.funder_shares", funders),
                _days(item.get("max_days"), f"{path}.max_days"))


def _funder_shares(raw: object, path: str, funders: int) -> tuple[int, ...] | None:
    """A share of the tier's subsidy for each of the program's funders, in their order
    (0 allowed: that funder pays nothing towards this tier), summing to exactly 1."""
    if raw is None:
        return None
    if not funders:
        raise _fail(path, "only a co-funded program (funders) splits a tier across funders")
    if not isinstance(raw, list) or len(raw) != funders:
        raise _fail(path, f"must be a list of {funders} shares, one per funder in order")
    shares = tuple(_rate(share, f"{path}[{i}]") for i, share in enumerate(raw))
    if sum(shares) != BP:
        raise _fail(path, f"the shares sum to {format_rate(sum(shares))}, not 1: every fen "
                          "must have a funder")
    return shares


def _days(raw: object, path: str) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_TIER_DAYS:
        raise _fail(path, f"must be a whole number of days from 1 to {MAX_TIER_DAYS}")
    return raw


def _rate(raw: object, path: str) -> int:
    if not isinstance(raw, str):
        raise _fail(path, "must be a decimal string such as \"0.60\"")
    try:
        return parse_rate(raw)
    except RateError as exc:
        raise _fail(path, str(exc)) from exc


def _cap(raw: object, path: str, voucher_min_fen: int) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _fail(path, "must be a CNY decimal string such as \"1500000.00\"")
    cap = parse_cny(raw, field=path)  # a MoneyError names the field itself
    if cap < voucher_min_fen:
        raise _fail(path, f"must not be below the smallest voucher value of "
                          f"{format_cny_grouped(voucher_min_fen)} CNY")
    return cap


def _rule(raw: object, path: str) -> rules.Node:
    from suanli.programs.satisfy import never_passes

    try:
        node = rules.parse(raw, root=path)
    except rules.RuleError as exc:
        raise ValidationFailed(exc.message, field=exc.path) from exc
    found = never_passes(node)
    if found is not None:
        raise _fail(found.path, found.message)
    return node


def to_json(tier: Tier) -> dict[str, Any]:
    out: dict[str, Any] = {"key": tier.key, "name": tier.name, "rule": rules.to_json(tier.rule),
                           "rate": format_rate(tier.rate_bp),
                           "max_rate": format_rate(tier.max_rate_bp),
                           "cap_per_firm_cny": None if tier.cap_per_firm_fen is None
                           else format_cny(tier.cap_per_firm_fen)}
    if tier.funder_shares_bp is not None:
        out["funder_shares"] = [format_rate(s) for s in tier.funder_shares_bp]
    if tier.max_days is not None:
        out["max_days"] = tier.max_days
    if tier.source:
        out["source"] = tier.source
    return out


def parse(stored: list[dict[str, Any]] | None) -> tuple[Tier, ...]:
    """Stored (canonical) tiers read back; they were checked when saved."""
    out = []
    for index, item in enumerate(stored or []):
        path = f"tiers[{index}]"
        cap, split = item.get("cap_per_firm_cny"), item.get("funder_shares")
        out.append(Tier(item["key"], item["name"], rules.parse(item["rule"], root=f"{path}.rule"),
                        parse_rate(item["rate"]), parse_rate(item["max_rate"]),
                        None if cap is None else parse_cny(cap), item.get("source"),
                        None if split is None else tuple(parse_rate(s) for s in split),
                        item.get("max_days")))
    return tuple(out)


def apply(base: RateTerms, tier: Tier | None) -> RateTerms:
    """The base terms with a tier's rate, maximum, cap, funder split and longest life (a
    tier without a cap keeps the program's)."""
    if tier is None:
        return base
    return replace(base, rate_state_bp=tier.rate_bp, rate_commercial_bp=tier.rate_bp,
                   max_rate_bp=tier.max_rate_bp, tier=tier.key,
                   funder_shares_bp=tier.funder_shares_bp, max_days=tier.max_days,
                   cap_per_firm_fen=base.cap_per_firm_fen if tier.cap_per_firm_fen is None
                   else tier.cap_per_firm_fen)


def terms_for(base: RateTerms, tiers: tuple[Tier, ...], key: str | None) -> RateTerms:
    """THE rates of a program for an applicant in tier `key` (None: the base rates).

    A key no tier has any more (the program was edited) falls back to the base rates."""
    return apply(base, next((t for t in tiers if t.key == key), None))


def choose(base: RateTerms, tiers: tuple[Tier, ...], facts: Mapping[str, object],
           names: Names | None = None) -> TierChoice:
    """The first tier whose rule passes. A tier whose rule needs a fact the applicant did
    not give is passed over (a tier grants more, so it is not granted on a guess) and
    named in `undecided`, so the applicant and the reviewer see what would decide it."""
    tried: list[tuple[Tier, rules.Evaluation]] = []
    undecided = None
    for tier in tiers:
        verdict = rules.evaluate(tier.rule, facts, names)
        tried.append((tier, verdict))
        if verdict.outcome == rules.Outcome.PASS:
            return TierChoice(apply(base, tier), tuple(tried), undecided)
        if verdict.outcome == rules.Outcome.REVIEW and undecided is None:
            undecided = tier
    return TierChoice(base, tuple(tried), undecided)


_WHY = {
    "en": {"none": "no conditions", "base": "No tier applies; the program's own rates apply",
           "tier": "The tier {name} applies",
           "undecided": " (the tier {name} was passed over: a fact it reads is not given; a "
                        "reviewer may set it)",
           "pass": "pass", "fail": "fail", "needs_review": "needs_review",
           "and": "; ", "then": ". ", "end": "."},
    "zh": {"none": "无条件", "base": "不适用任何档位，按项目自身费率", "tier": "适用档位：{name}",
           "undecided": "（档位 {name} 被跳过：其所需的信息未提供，审核人可补充）",
           "pass": "通过", "fail": "未通过", "needs_review": "待审核",
           "and": "；", "then": "。", "end": "。"},
}


def why(choice: TierChoice, lang: str = "en") -> str:
    """One sentence: which tier applies and why (for the application page and reviewers)."""
    say = _WHY.get(lang, _WHY["en"])
    parts = []
    for tier, verdict in choice.tried:
        said = say["and"].join(c.text(lang) for c in verdict.checks) or say["none"]
        parts.append(f"{tier.name}: {say[str(verdict.outcome)]} ({said})")
    if choice.terms.tier is None:
        head = say["base"]
    else:
        head = say["tier"].format(name=choice.tried[-1][0].name)
    if choice.undecided is not None:
        head += say["undecided"].format(name=choice.undecided.name)
    return head + (say["then"] + " | ".join(parts) if parts else say["end"])


class HasRates(HasRateFields, Protocol):
    """What `program_terms` reads (a Program row, or the simulator's policy as settings)."""

    @property
    def cap_per_firm_fen(self) -> int | None: ...
    @property
    def tiers(self) -> list[dict[str, Any]]: ...


def base_of(program: HasRates) -> RateTerms:
    return RateTerms(program.rate_state_bp, program.rate_commercial_bp,
                     program.domestic_bonus_bp, program.max_rate_bp, program.cap_per_firm_fen)


def program_terms(program: HasRates, key: str | None) -> RateTerms:
    """The rates of `program` for its tier `key`: what every caller uses."""
    return terms_for(base_of(program), parse(program.tiers), key)


def program_choice(program: HasRates, facts: Mapping[str, object],
                   names: Names | None = None) -> TierChoice:
    """Which of `program`'s tiers applies to an applicant with these facts, and why."""
    return choose(base_of(program), parse(program.tiers), facts, names)
