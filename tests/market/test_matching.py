"""The preview's rules (pure): subsidy rate, exact limit test, the first failing rule."""

from __future__ import annotations

from decimal import Decimal

from suanli.market.matching import (
    Draft,
    OfferFacts,
    Reason,
    Terms,
    effective_fen,
    judge,
    rate_text,
    split_cost,
    subsidy_rate,
    why_not,
    within_limit,
)

TERMS = Terms.from_dict({"rate": {"state": "0.50", "commercial": "0.30"},
                         "domestic_bonus": "0.10", "max_rate": "0.55", "providers": ["dc-a"]})


def offer(**change: object) -> OfferFacts:
    values: dict[str, object] = dict(id=1, provider="dc-a", location="gs-qingyang",
                                     operator="state", accelerator="h20", domestic=False,
                                     ask_fen=1000, min_lease_hours=1, free=(8,) * 24)
    values.update(change)
    return OfferFacts(**values)  # type: ignore[arg-type]


def draft(**change: object) -> Draft:
    values: dict[str, object] = dict(accelerators=frozenset({"h20"}), gpus=8, hours=10,
                                     latest_end=24, limit_fen=600, max_latency_ms=None,
                                     terms=TERMS)
    values.update(change)
    return Draft(**values)  # type: ignore[arg-type]


def test_subsidy_rates_follow_rule_4() -> None:
    assert subsidy_rate(TERMS, provider="dc-a", operator="state", domestic=True) == Decimal(
        "0.55")  # capped
    assert subsidy_rate(TERMS, provider="dc-a", operator="commercial", domestic=True) == Decimal(
        "0.40")
    assert subsidy_rate(TERMS, provider="dc-b", operator="state", domestic=False) == 0
    assert subsidy_rate(None, provider="dc-a", operator="state", domestic=False) == 0


def test_prices_are_exact() -> None:
    assert within_limit(1000, Decimal("0.5"), 500) and not within_limit(1000, Decimal("0.5"), 499)
    assert effective_fen(333, Decimal("0.5")) == 166  # 166.5 rounds half-even
    assert split_cost(980, 4608, Decimal("0.60")) == (4515840, 2709504, 1806336)
    assert rate_text(Decimal("0.6")) == "0.60" and rate_text(Decimal("0.125")) == "0.125"


def test_judge_names_the_first_rule_an_offer_fails() -> None:
    assert judge(draft(), offer(), None).reason is None
    assert judge(draft(), offer(accelerator="l20"), None).reason == Reason.NO_SUCH_ACCELERATOR
    assert judge(draft(max_latency_ms=10), offer(), 30).reason == Reason.LATENCY
    assert judge(draft(max_latency_ms=10), offer(), None).reason == Reason.LATENCY
    assert judge(draft(), offer(min_lease_hours=12), None).reason == Reason.MIN_LEASE
    assert judge(draft(gpus=9), offer(), None).reason == Reason.NO_CAPACITY
    assert judge(draft(limit_fen=499), offer(), None).reason == Reason.OVER_LIMIT
    refused = judge(draft(), offer(provider="dc-b"), None)
    assert refused.reason == Reason.VOUCHER_NOT_ACCEPTED
    served = judge(draft(limit_fen=1000), offer(provider="dc-b"), None)
    assert served.reason is None and served.voucher_refused and served.effective_fen == 1000


def test_why_not_counts_reasons_and_ignores_other_accelerators() -> None:
    verdicts = [judge(draft(), o, None) for o in (
        offer(accelerator="l20"), offer(free=(0,) * 24), offer(ask_fen=5000),
        offer(free=(2,) * 24))]
    assert why_not(verdicts) == [(Reason.NO_CAPACITY, 2), (Reason.OVER_LIMIT, 1)]
    assert why_not(verdicts[:1]) == [(Reason.NO_SUCH_ACCELERATOR, 1)]
