"""Generated markets: the generator, and the optimiser on mid-sized rounds."""

from __future__ import annotations

from typing import Any

import pytest

from suanli.market.clearing import (
    MarketShape,
    capacity_shadow_prices,
    check,
    clear,
    generate,
    greedy,
    parse,
    rules,
    solve,
    validate,
)
from suanli.market.clearing.market import build_market


def without_time(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "solve_seconds"}


def test_generator_is_deterministic_and_valid() -> None:
    shape = MarketShape(orders=50, offers=8, slots=24)
    assert generate(shape, 3) == generate(shape, 3)
    assert generate(shape, 3) != generate(shape, 4)
    assert validate(generate(shape, 3)) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mid_sized_rounds_are_feasible_and_beat_fcfs(seed: int) -> None:
    snap = generate(MarketShape(orders=60, offers=10, slots=24), seed)
    result = clear(snap)
    assert check(snap, result) == []
    baseline = greedy(snap)
    assert check(snap, baseline, maximal=False) == []
    assert float(result["objective_cny"]) >= float(baseline["objective_cny"])
    assert float(result["bound_cny"]) >= float(result["objective_cny"])


def test_same_round_same_result() -> None:
    snap = generate(MarketShape(orders=80, offers=12, slots=24), 7)
    assert without_time(clear(snap)) == without_time(clear(snap))


def test_shadow_prices_cover_every_offer() -> None:
    snap = generate(MarketShape(orders=60, offers=10, slots=24), 1)
    prices = capacity_shadow_prices(snap)
    assert list(prices) == [offer["id"] for offer in snap["offers"]]
    assert all(price >= 0 for price in prices.values())
    assert any(price > 0 for price in prices.values())
    assert prices == capacity_shadow_prices(snap)


def test_lagrangian_tier_for_big_markets(monkeypatch: pytest.MonkeyPatch) -> None:
    # Markets past LP_ORDERS get the greedy answer and a subgradient bound; force
    # that path on a small market so that it stays cheap to test.
    monkeypatch.setattr(solve, "LP_ORDERS", 5)
    snap = generate(MarketShape(orders=60, offers=10, slots=24), 4)
    result = clear(snap)
    assert check(snap, result) == []
    assert float(result["bound_cny"]) >= float(result["objective_cny"]) > 0
    assert all(price >= 0 for price in capacity_shadow_prices(snap).values())


def test_a_tiny_time_limit_still_gives_a_valid_result() -> None:
    snap = generate(MarketShape(orders=120, offers=20, slots=48), 5)
    result = clear(snap, time_limit=0.01)
    assert check(snap, result) == []
    assert result["status"] in ("feasible", "optimal")


@pytest.mark.parametrize("rates", [("0.50", "0.30"), ("0.333", "0.1234567"), ("1", "0.999999")])
def test_bulk_rules_agree_with_the_exact_rules(rates: tuple[str, str]) -> None:
    data = generate(MarketShape(orders=60, offers=12, slots=24), 6)
    for voucher in data["vouchers"]:
        voucher["rate"] = {"state": rates[0], "commercial": rates[1]}
        voucher["max_rate"] = "1.00"
    snap = parse(data)
    market = build_market(snap)
    pairs = {(int(o), int(k)): j for j, (o, k) in
             enumerate(zip(market.pair_order, market.pair_offer, strict=True))}
    for o, order in enumerate(snap.orders):
        for k, offer in enumerate(snap.offers):
            money = rules.match_money(snap, order, offer)
            allowed = rules.compatible(snap, order, offer) and rules.within_limit(
                order, offer, money.rate)
            assert allowed == ((o, k) in pairs)
            if allowed:
                j = pairs[o, k]
                assert market.pair_subsidy[j] == money.subsidy_fen
                assert market.pair_value[j] == pytest.approx(float(money.value_cny), abs=1e-6)
                assert (market.pair_first[j], market.pair_last[j]) == rules.start_range(
                    order, offer)
