"""Rates by applicant tier in the simulator: the same tiers as a program, the same core."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from suanli.market.clearing import check
from suanli.programs.funders import allocate
from suanli.simulate.engine import Simulation, simulate
from suanli.simulate.loading import ScenarioError, merge, parse_scenario
from suanli.simulate.world import build_world
from tests.simulate.helpers import small_data, variant

LAB: dict[str, Any] = {"key": "lab", "name": "Research projects", "rate": "0.60",
                       "rule": {"all": [{"field": "research_project_member", "op": "eq",
                                         "value": True}]}}


def test_a_bad_tier_names_its_yaml_path() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(merge(small_data(), {"policy": {"tiers": [LAB | {"rate": "1.10"}]}}))
    assert caught.value.problems[0].startswith("policy.tiers[0].rate:")


def test_each_startup_spends_at_the_rate_of_its_tier() -> None:
    scenario = variant(weeks=2, policy={"tiers": [LAB]})
    world = build_world(scenario)
    research = {s.id for s in world.startups if s.research_project}
    run = simulate(scenario, world, keep_rounds=True)
    seen = {True: set(), False: set()}
    for cleared in run.rounds:
        assert check(cleared.snapshot, cleared.result) == []
        for voucher in cleared.snapshot["vouchers"]:
            lab = voucher["holder"] in research
            seen[lab].add((voucher["rate"]["state"], voucher["rate"]["commercial"],
                           voucher["max_rate"]))
    assert seen[True] == {("0.60", "0.60", "0.60")}
    assert seen[False] == {("0.40", "0.30", "0.60")}


def test_the_shipped_shanghai_comparison_uses_the_presets_tiers_and_funders() -> None:
    from suanli.programs import presets
    from suanli.simulate.loading import load_scenario
    from tests.simulate.helpers import SCENARIOS

    city = load_scenario(SCENARIOS / "shanghai-city-30.yaml")
    tiered = load_scenario(SCENARIOS / "shanghai-early-stage-100.yaml")
    preset = presets.get("shanghai").values  # type: ignore[union-attr]
    keep = ("key", "rule", "rate", "funder_shares", "max_days")
    assert [{k: t.get(k) for k in keep} for t in tiered.policy.tiers] == \
        [{k: t.get(k) for k in keep} for t in preset["tiers"]]
    assert [t["key"] for t in city.policy.tiers] == ["city-30"]
    assert [(f["name"], f["share"]) for f in city.policy.funders] == \
        [(f["name"], f["share"]) for f in preset["funders"]] == \
        [(f["name"], f["share"]) for f in tiered.policy.funders]
    # Laid over the small world: the early-stage firms spend at 100 %, the city paying 30
    # and the district 70 of it; the rest at 30 %, the city alone.
    small = variant(weeks=2, policy={"rates": {"state": "0.30", "commercial": "0.30"},
                                     "max_rate": "0.30", "tiers": tiered.policy.tiers,
                                     "funders": tiered.policy.funders,
                                     "budget_cny": "30000000.00"})
    world = build_world(small)
    young = {s.id for s in world.startups  # the age as the rules read it: 2 decimals
             if Decimal(f"{s.age_years:.2f}") <= 3 and s.headcount <= 100}
    sim = Simulation(small, world, keep_rounds=True)
    run = sim.run()
    rates = {(v["holder"] in young, v["rate"]["state"])
             for r in run.rounds for v in r.snapshot["vouchers"]}
    assert rates == {(True, "1.00"), (False, "0.30")}
    expected = [0, 0]
    for wallet in sim.wallets.values():
        split = (3000, 7000) if wallet.holder in young else (10_000, 0)
        assert wallet.split == split
        expected = [a + b for a, b in zip(expected, allocate(wallet.spent_fen, split),
                                          strict=True)]
    funding = run.tally.funding
    assert funding is not None
    spent = run.tally.total.voucher_fen
    assert funding.paid == expected and sum(funding.paid) == spent > 0
    assert sum(funding.issued) == run.tally.issued_fen
    assert sum(funding.issued) + sum(funding.left) - sum(funding.returned) \
        == small.policy.budget_cny


def test_the_city_alone_pays_the_30_tier_and_a_bad_split_names_its_path() -> None:
    city_only = {"key": "city-30", "name": "City", "rule": {"all": []}, "rate": "0.30",
                 "funder_shares": ["1", "0"]}
    funders = [{"name": "City", "share": "0.5"}, {"name": "District", "share": "0.5"}]
    scenario = variant(weeks=2, policy={"tiers": [city_only], "funders": funders})
    run = simulate(scenario, build_world(scenario))
    assert run.tally.funding is not None and run.tally.funding.paid[1] == 0
    assert run.tally.funding.issued[1] == 0 and run.tally.funding.paid[0] > 0
    for tier, funders_given, path in (
            (city_only | {"funder_shares": ["0.6", "0.6"]}, funders,
             "policy.tiers[0].funder_shares"),
            (city_only, [{"name": "City", "share": "0.5"}, {"name": "D", "share": "0.4"}],
             "policy.funders:"),
            (city_only, [], "policy.tiers[0].funder_shares")):
        with pytest.raises(ScenarioError) as caught:
            parse_scenario(merge(small_data(), {"policy": {"tiers": [tier],
                                                           "funders": funders_given}}))
        assert caught.value.problems[0].startswith(path), caught.value.problems
