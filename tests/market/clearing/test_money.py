"""Money of a match: exact arithmetic, half-even rounding to the fen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from suanli.market.clearing import check, clear, parse, rules

from .helpers import market, offer, order


def money_of(ask: str, rate: str, gpus: int, duration: int, slot_hours: float = 1) -> (
    rules.Money
):
    voucher = {"id": "v-1", "holder": "acme-ai", "balance_cny": "1000.00",
               "rate": {"state": rate, "commercial": rate}, "domestic_bonus": "0.00",
               "max_rate": "1.00", "providers": None}
    snap = market([order("or-1", gpus=gpus, duration_slots=duration, voucher="v-1",
                         limit_cny_per_gpu_hour="100.00")],
                  [offer("of-1", ask_cny_per_gpu_hour=ask, gpus=64)], vouchers=[voucher])
    snap["slot_hours"] = slot_hours
    parsed = parse(snap)
    return rules.match_money(parsed, parsed.orders[0], parsed.offers[0])


@pytest.mark.parametrize(("ask", "rate", "gpus", "cost", "subsidy"), [
    ("0.01", "0.50", 1, 1, 0),  # 0.5 fen rounds to the even 0
    ("0.01", "0.50", 3, 3, 2),  # 1.5 fen rounds to the even 2
    ("0.01", "0.50", 5, 5, 2),  # 2.5 fen rounds to the even 2
    ("0.07", "0.25", 2, 14, 4),  # 3.5 fen rounds to the even 4
    ("9.80", "0.60", 4608, 4515840, 2709504),
])
def test_subsidy_rounds_half_even(ask: str, rate: str, gpus: int, cost: int,
                                  subsidy: int) -> None:
    money = money_of(ask, rate, gpus, 1)
    assert (money.cost_fen, money.subsidy_fen) == (cost, subsidy)
    assert money.buyer_pays_fen == cost - subsidy


def test_cost_rounds_half_even_with_fractional_hours() -> None:
    # 0.25 h x 1 GPU x 0.02 CNY = 0.5 fen -> 0; x 3 GPUs = 1.5 fen -> 2
    assert money_of("0.02", "0.00", 1, 1, slot_hours=0.25).cost_fen == 0
    assert money_of("0.02", "0.00", 3, 1, slot_hours=0.25).cost_fen == 2


def test_text_forms() -> None:
    assert rules.fen_text(1250) == "12.50"
    assert rules.fen_text(5) == "0.05"
    assert rules.fen_text(-5) == "-0.05"
    assert rules.rate_text(Decimal("0.6")) == "0.60"
    assert rules.rate_text(Decimal("0.125")) == "0.125"
    assert rules.energy_json(Decimal("0.125")) == 0.12
    assert rules.energy_json(Decimal("0.135")) == 0.14
    assert rules.yuan_to_fen(Decimal("0.005")) == 0
    assert rules.yuan_to_fen(Decimal("0.015")) == 2


def test_rule_five_is_exact_at_the_limit() -> None:
    voucher = {"id": "v-1", "holder": "acme-ai", "balance_cny": "1000.00",
               "rate": {"state": "0.30", "commercial": "0.30"}, "domestic_bonus": "0.00",
               "max_rate": "1.00", "providers": None}
    # (1 - 0.30) * 10.00 = 7.00: a limit of 7.00 passes, 6.99 does not.
    at = market([order("or-1", limit_cny_per_gpu_hour="7.00", voucher="v-1")],
                [offer("of-1", ask_cny_per_gpu_hour="10.00")], vouchers=[voucher])
    result = clear(at)
    assert check(at, result) == []
    below = market([order("or-1", limit_cny_per_gpu_hour="6.99", voucher="v-1")],
                   [offer("of-1", ask_cny_per_gpu_hour="10.00")], vouchers=[voucher])
    assert clear(below)["unmatched"] == [{"order": "or-1", "reason": "over_limit"}]
    # At the limit with no energy price the value is 0: matching cannot raise the
    # objective, so the order is left out (reason "outbid", see result.py).
    assert result["unmatched"] == [{"order": "or-1", "reason": "outbid"}]


def test_voucher_balance_holds_in_rounded_fen() -> None:
    # Each match's subsidy is 0.5 * 0.03 = 1.5 fen -> 2 fen; a balance of 0.03 pays one.
    voucher = {"id": "v-1", "holder": "acme-ai", "balance_cny": "0.03",
               "rate": {"state": "0.50", "commercial": "0.50"}, "domestic_bonus": "0.00",
               "max_rate": "1.00", "providers": None}
    orders = [order(f"or-{i}", gpus=1, duration_slots=1, voucher="v-1",
                    limit_cny_per_gpu_hour="0.02") for i in range(3)]
    snap = market(orders, [offer("of-1", ask_cny_per_gpu_hour="0.03", gpus=8)],
                  vouchers=[voucher])
    result = clear(snap)
    assert check(snap, result) == []
    assert len(result["assignments"]) == 1
    assert sum(a["subsidy_cny"] == "0.02" for a in result["assignments"]) == 1
    assert {u["reason"] for u in result["unmatched"]} == {"voucher_exhausted"}
