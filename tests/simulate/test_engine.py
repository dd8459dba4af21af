"""The weekly loop against the real clearing: deterministic, consistent, and sane."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from suanli.kit.money import parse_cny
from suanli.market.clearing import check
from suanli.simulate.engine import Run, simulate
from suanli.simulate.loading import load_scenario
from suanli.simulate.metrics import summarise
from suanli.simulate.scenario import Scenario
from suanli.simulate.world import build_world
from tests.simulate.helpers import SMALL, variant


def run(scenario: Scenario) -> Run:
    return simulate(scenario, build_world(scenario), keep_rounds=True)


@pytest.fixture(scope="module")
def small_run() -> Run:
    return run(load_scenario(SMALL))


def test_every_round_passes_the_clearing_check(small_run: Run) -> None:
    assert len(small_run.rounds) == 4
    for cleared in small_run.rounds:
        assert check(cleared.snapshot, cleared.result) == []
        assert cleared.result["assignments"], "a round with no match proves little"


def test_the_same_seed_gives_the_same_summary(small_run: Run) -> None:
    again = run(load_scenario(SMALL))
    assert json.dumps(summarise(again.tally)) == json.dumps(summarise(small_run.tally))


def test_money_adds_up(small_run: Run) -> None:
    summary = summarise(small_run.tally)
    subsidy = {k: Decimal(v) for k, v in summary["subsidy"].items()
               if k.endswith("_cny")}
    assert 0 < subsidy["spent_cny"] <= subsidy["budget_cny"]
    # Lapsed vouchers give their balance back, so more can be issued than the budget, but
    # spent + still held never exceeds it, and every issued fen is spent, lapsed or held.
    committed = [Decimal(w["committed_cny"]) for w in summary["weekly"]]
    assert all(c <= subsidy["budget_cny"] for c in committed)
    assert subsidy["issued_cny"] == subsidy["expired_unspent_cny"] + committed[-1]
    assert subsidy["issued_cny"] > subsidy["budget_cny"]  # the small scenario re-issues
    assert subsidy["left_cny"] == subsidy["budget_cny"] - subsidy["spent_cny"]
    assert subsidy["uncovered_cny"] == 0
    weekly = sum(Decimal(w["subsidy_cny"]) for w in summary["weekly"])
    assert weekly == subsidy["spent_cny"]
    held = sum(parse_cny(a["subsidy_cny"]) for r in small_run.rounds
               for a in r.result["assignments"])
    assert held == small_run.tally.total.voucher_fen  # everything delivered: hold = posted


def test_vouchers_lapse_after_their_weeks(small_run: Run) -> None:
    # voucher_weeks is 3 in the small scenario: week-1 vouchers lapse at the end of week 3.
    assert small_run.tally.expired_fen > 0


def test_unmet_orders_are_counted_once_with_a_reason(small_run: Run) -> None:
    tally = small_run.tally
    placed_fresh = sum(len(w) for w in build_world(load_scenario(SMALL)).orders)
    matched = sum(w.matched for w in tally.weeks)
    assert matched + sum(tally.unmet_orders.values()) == placed_fresh


def test_zero_budget_spends_nothing_and_funds_no_match() -> None:
    broke = run(variant(policy={"budget_cny": "0.00"}))
    summary = summarise(broke.tally)
    assert summary["subsidy"]["spent_cny"] == "0.00"
    assert summary["startups"]["with_voucher"] == 0
    assert summary["startups"]["served_with_subsidy"] == 0
    for cleared in broke.rounds:
        assert cleared.snapshot["vouchers"] == []
        assert all(a["subsidy_cny"] == "0.00" for a in cleared.result["assignments"])
    assert summary["unmet"]["orders"]["voucher_exhausted"] == 0


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_higher_state_rate_does_not_lower_the_state_share(seed: int) -> None:
    def share(rate: str) -> Any:
        scenario = variant(seed=seed, policy={"budget_cny": "30000000.00",
                                              "rates": {"state": rate}})
        return summarise(run(scenario).tally)["delivery"]["state_share"]

    assert share("0.60") >= share("0.30")


def test_a_threshold_above_every_revenue_serves_no_startup() -> None:
    closed = variant(
        policy={"eligibility": {"thresholds": {"min_revenue_cny": "999999999999.00",
                                               "research_project_path": False},
                                "review_approval_share": 0}},
        world={"demand": {"buy_without_voucher": False}},
    )
    summary = summarise(run(closed).tally)
    assert summary["startups"]["with_voucher"] == 0
    assert summary["startups"]["served"] == 0
    assert summary["delivery"]["gpu_hours"] == 0
    unmet = summary["unmet"]["orders"]
    assert unmet["ineligible"] == sum(unmet.values()) > 0


def test_the_greedy_broker_runs_the_same_loop() -> None:
    greedy = run(variant(clearing={"broker": "greedy"}))
    for cleared in greedy.rounds:
        assert check(cleared.snapshot, cleared.result, maximal=False) == []
    assert greedy.tally.total.gpu_hours > 0
