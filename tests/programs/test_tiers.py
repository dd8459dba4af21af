"""Rates by applicant tier, in the pure core: checking, choosing, and the one terms function."""

from __future__ import annotations

from typing import Any

import pytest

from suanli.kit.errors import ValidationFailed
from suanli.programs import tiers
from suanli.programs.rules import Outcome

YOUNG = {"field": "company_age_years", "op": "le", "value": "3.00"}
BIG = {"field": "headcount", "op": "ge", "value": 500}
BASE = tiers.RateTerms(5000, 5000, 0, 5000, 10_000_000_00)


def tier(**over: Any) -> dict[str, Any]:
    return {"key": "startup", "name": "Startups", "rule": {"all": [YOUNG]}, "rate": "0.60",
            **over}


def refused(raw: object, bonus: int = 0) -> str | None:
    with pytest.raises(ValidationFailed) as caught:
        tiers.check(raw, domestic_bonus_bp=bonus, voucher_min_fen=100_000_00)
    return caught.value.field


def test_bad_tiers_are_refused_with_the_field_named() -> None:
    assert refused("x") == "tiers"
    assert refused([tier(rate="1.20")]) == "tiers[0].rate"
    assert refused([tier(rate=0.6)]) == "tiers[0].rate"  # a float cannot hold 0.6
    assert refused([tier(rate="0.95")], bonus=1000) == "tiers[0].rate"  # 105 % with bonus
    assert refused([tier(max_rate="0.50")]) == "tiers[0].max_rate"
    assert refused([tier(max_rate="1.01")]) == "tiers[0].max_rate"
    assert refused([tier(cap_per_firm_cny="10.00")]) == "tiers[0].cap_per_firm_cny"
    assert refused([tier(cap_per_firm_cny="-5.00")]) == "tiers[0].cap_per_firm_cny"
    assert refused([tier(), tier()]) == "tiers[1].key"
    assert refused([tier(key="Start Up")]) == "tiers[0].key"
    assert refused([tier(name=" ")]) == "tiers[0].name"
    assert refused([tier(colour="red")]) == "tiers[0].colour"
    assert refused([tier(rule={"all": [{"field": "shoe_size", "op": "eq", "value": 1}]})]) \
        == "tiers[0].rule.all[0].field"
    never = {"all": [YOUNG, {"not": YOUNG}]}
    assert (refused([tier(rule=never)]) or "").startswith("tiers[0].rule")


def test_canonical_tiers_fill_in_the_maximum() -> None:
    done = tiers.check([tier()], domestic_bonus_bp=1000, voucher_min_fen=1)
    assert done == [{"key": "startup", "name": "Startups", "rule": {"all": [YOUNG]},
                     "rate": "0.60", "max_rate": "0.70", "cap_per_firm_cny": None}]


def test_the_first_matching_tier_applies_and_says_why() -> None:
    parsed = tiers.parse(tiers.check(
        [tier(), tier(key="big", name="Large firms", rule={"all": [BIG]}, rate="0.20",
                      cap_per_firm_cny="1500000.00")],
        domestic_bonus_bp=0, voucher_min_fen=1))
    young = tiers.choose(BASE, parsed, {"company_age_years": "1.00", "headcount": 900})
    assert young.terms.tier == "startup" and young.terms.rate_commercial_bp == 6000
    assert young.terms.cap_per_firm_fen == 10_000_000_00  # the tier keeps the program's cap
    old_big = tiers.choose(BASE, parsed, {"company_age_years": "9.00", "headcount": 900})
    assert old_big.terms.tier == "big" and old_big.terms.rate_state_bp == 2000
    assert old_big.terms.cap_per_firm_fen == 1_500_000_00
    assert [t.key for t, _ in old_big.tried] == ["startup", "big"]
    assert "Large firms applies" in tiers.why(old_big)
    neither = tiers.choose(BASE, parsed, {"company_age_years": "9.00", "headcount": 10})
    assert neither.terms == BASE and "own rates" in tiers.why(neither)
    unknown = tiers.choose(BASE, parsed, {"headcount": 900})  # age not given: passed over
    assert unknown.undecided is not None and unknown.undecided.key == "startup"
    assert unknown.terms.tier == "big" and unknown.tried[0][1].outcome == Outcome.REVIEW
    assert "Startups was passed over" in tiers.why(unknown)
    nothing = tiers.choose(BASE, parsed, {})
    assert nothing.terms == BASE and nothing.undecided is not None
    assert tiers.terms_for(BASE, parsed, "big") == old_big.terms
    assert tiers.terms_for(BASE, parsed, "gone") == BASE  # a tier edited away
    assert young.as_json()["tried"][0]["outcome"] == "pass"
