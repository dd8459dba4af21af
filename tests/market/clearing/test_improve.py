"""Large-market clearing: the greedy broker, local search, the rounded subgradient picks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from suanli.market.clearing import MarketShape, check, clear, generate, parse, solve
from suanli.market.clearing.api import greedy_best_value
from suanli.market.clearing.book import Book, greedy_sequence
from suanli.market.clearing.improve import improve
from suanli.market.clearing.lagrange import Guide, subgradient
from suanli.market.clearing.market import Market, build_market
from tests.market.clearing.helpers import market, offer, order

HOURS = 8 * 4  # GPU-hours of each order below


def _crowded(a_first: bool = True) -> dict[str, Any]:
    """Order A is worth 10/GPU-hour on offer X and 9 on Y; B only fits X, at 9.5. Served
    by value, A takes X and B is left out; the best is A on Y and B on X."""
    a = order("or-a", accelerators=["ascend-910b", "h20"], duration_slots=4,
              limit_cny_per_gpu_hour="20.00")
    b = order("or-b", duration_slots=4, limit_cny_per_gpu_hour="19.50")
    x = offer("of-x", ask_cny_per_gpu_hour="10.00")
    y = offer("of-y", accelerator="h20", ask_cny_per_gpu_hour="11.00")
    snap = market([a, b] if a_first else [b, a], [x, y])
    snap["energy_price_cny_per_kwh"] = "0.00"
    return snap


def _positive(snap: dict[str, Any]) -> Market:
    return build_market(parse(snap)).positive()


def _exactly_feasible(book: Book) -> None:
    m = book.m
    free = np.repeat(m.capacity[:, None], m.n_slots, axis=1)
    left = m.balance.copy()
    for o, (pair, start) in book.assign.items():
        assert int(m.pair_order[pair]) == o
        assert m.pair_first[pair] <= start <= m.pair_last[pair]
        free[m.pair_offer[pair], start:start + m.duration[o]] -= m.gpus[o]
        if m.voucher[o] >= 0:
            left[m.voucher[o]] -= m.pair_subsidy[pair]
    assert (free >= 0).all() and (left >= 0).all()
    assert (free == book.free).all() and (left == book.left).all()


def test_the_greedy_broker_serves_orders_in_id_order_each_its_best_value() -> None:
    assert float(greedy_best_value(_crowded())["objective_cny"]) == 10 * HOURS
    assert float(greedy_best_value(_crowded(a_first=False))["objective_cny"]) == 18.5 * HOURS


def test_local_search_moves_an_order_to_make_room_for_another() -> None:
    m = _positive(_crowded())
    book = Book(m)
    book.fill(greedy_sequence(m, "value"))
    assert book.value() == pytest.approx(10 * HOURS)
    improve(book, greedy_sequence(m, "value"), attempts=10)
    assert book.value() == pytest.approx(18.5 * HOURS)
    _exactly_feasible(book)


def test_local_search_never_loses_and_stays_exactly_feasible() -> None:
    m = _positive(generate(MarketShape(orders=150, offers=12, slots=48), 3))
    book = Book(m)
    book.fill(greedy_sequence(m, "value"))
    before = book.value()
    improve(book, greedy_sequence(m, "value"), attempts=2_000)
    assert book.value() >= before - 1e-6
    _exactly_feasible(book)


def test_a_voucher_short_of_balance_is_freed_by_ejecting_a_cheaper_order() -> None:
    voucher = {"id": "v-1", "holder": "acme-ai", "balance_cny": "100.00",
               "rate": {"state": "0.50", "commercial": "0.50"}, "domestic_bonus": "0.00",
               "max_rate": "0.50", "providers": None}
    # Each order's subsidy is 0.5 * 5 * 8 * 4 = 80 CNY: the voucher pays for one.
    small = order("or-1", voucher="v-1", limit_cny_per_gpu_hour="6.00", duration_slots=4)
    big = order("or-2", voucher="v-1", limit_cny_per_gpu_hour="9.00", duration_slots=4)
    snap = market([small, big], [offer("of-1", gpus=16)], vouchers=[voucher])
    m = _positive(snap)
    book = Book(m)
    book.fill(np.arange(m.n_orders))  # served in list order: the cheaper one takes it
    assert list(book.assign) == [0]
    improve(book, greedy_sequence(m, "value"), attempts=10)
    assert list(book.assign) == [1]
    _exactly_feasible(book)


def test_rounded_subgradient_picks_are_a_feasible_assignment() -> None:
    m = _positive(generate(MarketShape(orders=120, offers=12, slots=48), 2))
    guide = Guide()
    book = Book(m)
    book.fill(greedy_sequence(m, "value"))
    bound, _ = subgradient(m, book.value(), 20, guide=guide)
    assert len(guide.orders) == 10  # the second half of the steps
    rounded = guide.rounding(m)
    _exactly_feasible(rounded)
    assert 0 < rounded.value() <= bound


def test_the_large_market_tier_is_valid_deterministic_and_beats_the_brokers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve, "LP_ORDERS", 5)  # the big markets' path, on a small one
    snap = generate(MarketShape(orders=200, offers=20, slots=48), 1)
    result = clear(snap)
    assert check(snap, result) == []
    again = clear(snap)
    assert {k: v for k, v in result.items() if k != "solve_seconds"} == {
        k: v for k, v in again.items() if k != "solve_seconds"}
    m = _positive(snap)
    plain = Book(m)
    plain.fill(greedy_sequence(m, "value"))
    objective = float(result["objective_cny"])
    assert objective >= float(greedy_best_value(snap)["objective_cny"])
    assert objective > plain.value() + 1.0  # local search found more than greedy did
    assert float(result["bound_cny"]) >= objective


def test_the_large_market_tier_solves_the_crowded_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve, "LP_ORDERS", 0)
    result = clear(_crowded())
    assert float(result["objective_cny"]) == 18.5 * HOURS
    assert [(a["order"], a["offer"]) for a in result["assignments"]] == [
        ("or-a", "of-y"), ("or-b", "of-x")]
