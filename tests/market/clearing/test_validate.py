"""Snapshot validation: every problem, one line each, with its JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from suanli.market.clearing import SnapshotError, parse, validate

from .helpers import example, market, offer, order


def paths(problems: list[str]) -> list[str]:
    return [line.split(": ", 1)[0] for line in problems]


def test_valid_example_has_no_problems() -> None:
    assert validate(example()) == []


def test_the_contracts_own_example_line() -> None:
    orders = [order(f"or-{i:02d}") for i in range(18)]
    orders[17]["duration_slots"] = 0
    assert validate(market(orders, [offer("of-1")])) == [
        "orders[17].duration_slots: must be >= 1"]


@pytest.mark.parametrize(("where", "key", "value", "path"), [
    ("orders", "gpus", 0, "orders[0].gpus"),
    ("orders", "gpus", "8", "orders[0].gpus"),
    ("orders", "gpus", True, "orders[0].gpus"),
    ("orders", "gpus", 2.0, "orders[0].gpus"),
    ("orders", "earliest_start_slot", -1, "orders[0].earliest_start_slot"),
    ("orders", "latest_end_slot", 1, "orders[0].latest_end_slot"),
    ("orders", "latest_end_slot", 5, "orders[0].latest_end_slot"),
    ("orders", "limit_cny_per_gpu_hour", "1.005", "orders[0].limit_cny_per_gpu_hour"),
    ("orders", "limit_cny_per_gpu_hour", 10, "orders[0].limit_cny_per_gpu_hour"),
    ("orders", "limit_cny_per_gpu_hour", "-1.00", "orders[0].limit_cny_per_gpu_hour"),
    ("orders", "limit_cny_per_gpu_hour", "ten", "orders[0].limit_cny_per_gpu_hour"),
    ("orders", "voucher", "v-9", "orders[0].voucher"),
    ("orders", "max_latency_ms", -3, "orders[0].max_latency_ms"),
    ("orders", "accelerators", "ascend-910b", "orders[0].accelerators"),
    ("offers", "gpus", 0, "offers[0].gpus"),
    ("offers", "start_slot", -1, "offers[0].start_slot"),
    ("offers", "start_slot", 4, "offers[0].end_slot"),
    ("offers", "end_slot", 5, "offers[0].end_slot"),
    ("offers", "operator", "private", "offers[0].operator"),
    ("offers", "accelerator", "tpu-v5", "offers[0].accelerator"),
    ("offers", "pue", 0.9, "offers[0].pue"),
    ("offers", "ask_cny_per_gpu_hour", "9.999", "offers[0].ask_cny_per_gpu_hour"),
])
def test_field_rules(where: str, key: str, value: Any, path: str) -> None:
    snap = market([order("or-1")], [offer("of-1")])
    snap[where][0][key] = value
    problems = validate(snap)
    assert path in paths(problems), problems
    with pytest.raises(SnapshotError) as caught:
        parse(snap)
    assert caught.value.problems == problems


def test_unknown_accelerator_in_an_order_names_the_list_item() -> None:
    snap = market([order("or-1", accelerators=["ascend-910b", "tpu-v5"])], [offer("of-1")])
    assert validate(snap) == ["orders[0].accelerators[1]: unknown accelerator 'tpu-v5'"]


def test_voucher_must_belong_to_the_buyer() -> None:
    snap = market([order("or-1", voucher="v-1", buyer="someone-else")], [offer("of-1")])
    assert paths(validate(snap)) == ["orders[0].voucher"]


@pytest.mark.parametrize(("key", "value", "path"), [
    ("balance_cny", "-5.00", "vouchers[0].balance_cny"),
    ("domestic_bonus", "1.10", "vouchers[0].domestic_bonus"),
    ("max_rate", "-0.10", "vouchers[0].max_rate"),
    ("rate", {"state": "0.50"}, "vouchers[0].rate.commercial"),
    ("rate", {"state": "1.50", "commercial": "0.30"}, "vouchers[0].rate.state"),
    ("providers", "p-1", "vouchers[0].providers"),
    ("providers", ["p-1", 7], "vouchers[0].providers[1]"),
])
def test_voucher_rules(key: str, value: Any, path: str) -> None:
    snap = example()
    snap["vouchers"][0][key] = value
    assert path in paths(validate(snap))


def test_duplicate_ids_in_each_list() -> None:
    snap = market([order("or-1"), order("or-1")], [offer("of-1"), offer("of-1")])
    snap["vouchers"].append(dict(snap["vouchers"][0]))
    snap["accelerators"].append(dict(snap["accelerators"][0]))
    assert paths(validate(snap)) == ["accelerators[2].model", "offers[1].id",
                                     "vouchers[1].id", "orders[1].id"]


def test_top_level_rules() -> None:
    snap = example()
    snap["slots"] = 0
    snap["slot_hours"] = 0
    del snap["round_id"]
    problems = validate(snap)
    assert "round_id: is required" in problems
    assert "slot_hours" in paths(problems)
    assert "slots: must be >= 1" in problems


def test_all_problems_are_reported_at_once() -> None:
    snap = market([order("or-1", gpus=0, duration_slots=0)], [offer("of-1", pue=0.5)])
    assert paths(validate(snap)) == ["offers[0].pue", "orders[0].gpus",
                                     "orders[0].duration_slots"]


def test_missing_field_and_wrong_types() -> None:
    snap = market([order("or-1")], [offer("of-1")])
    del snap["orders"][0]["gpus"]
    snap["offers"] = {"of-1": {}}
    problems = validate(snap)
    assert "orders[0].gpus: is required" in problems
    assert "offers: must be an array" in problems


def test_not_an_object() -> None:
    assert validate([1, 2]) == ["$: must be an object"]
    assert validate({"orders": [3]})[-1] == "orders[0]: must be an object"


def test_an_invalid_voucher_is_not_also_unknown() -> None:
    snap = market([order("or-1", voucher="v-1")], [offer("of-1")])
    snap["vouchers"][0]["max_rate"] = "2.00"
    assert validate(snap) == ["vouchers[0].max_rate: must be <= 1"]
