"""The contract's own example, and basic shapes of a result."""

from __future__ import annotations

from suanli.market.clearing import check, clear, greedy

from .helpers import example, market, offer, order


def test_spec_example_matches_the_contract() -> None:
    snap = example()
    result = clear(snap)
    assert list(result) == ["round_id", "status", "objective_cny", "bound_cny",
                            "solve_seconds", "assignments", "unmatched"]
    assert result["round_id"] == "sh-2026-12-01T00"
    assert result["status"] == "optimal"
    assert result["assignments"] == [{
        "order": "or-1", "offer": "of-1", "start_slot": 0, "gpus": 64, "gpu_hours": 4608,
        "unit_price_cny": "9.80", "subsidy_rate": "0.60", "cost_cny": "45158.40",
        "subsidy_cny": "27095.04", "buyer_pays_cny": "18063.36", "energy_kwh": 2174.98,
    }]
    # value = 4608 * (6.00 - 0.40 * 9.80), energy price 0
    assert result["objective_cny"] == "9584.64"
    assert result["bound_cny"] == "9584.64"
    assert result["unmatched"] == []
    assert isinstance(result["solve_seconds"], float)
    assert check(snap, result) == []


def test_empty_market_is_empty() -> None:
    snap = market([order("or-1", limit_cny_per_gpu_hour="1.00")], [offer("of-1")])
    result = clear(snap)
    assert result["status"] == "empty"
    assert result["objective_cny"] == "0.00"
    assert result["assignments"] == []
    assert result["unmatched"] == [{"order": "or-1", "reason": "over_limit"}]
    assert check(snap, result) == []


def test_no_orders_at_all() -> None:
    snap = market([], [offer("of-1")])
    result = clear(snap)
    assert result["status"] == "empty"
    assert result["assignments"] == [] and result["unmatched"] == []


def test_sorted_by_order_id_not_by_list_order() -> None:
    orders = [order("or-b"), order("or-a"), order("or-c", accelerators=["h20"])]
    snap = market(orders, [offer("of-1", gpus=16)])
    result = clear(snap)
    assert [a["order"] for a in result["assignments"]] == ["or-a", "or-b"]
    assert result["unmatched"] == [{"order": "or-c", "reason": "no_compatible_offer"}]


def test_greedy_has_the_same_format_without_bound() -> None:
    snap = example()
    result = greedy(snap)
    assert "bound_cny" not in result
    assert result["status"] == "feasible"
    assert result["assignments"][0]["order"] == "or-1"
    assert check(snap, result, maximal=False) == []
