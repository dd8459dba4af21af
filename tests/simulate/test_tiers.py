"""Rates by applicant tier in the simulator: the same tiers as a program, the same core."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from suanli.market.clearing import check
from suanli.simulate.engine import simulate
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


def test_the_shipped_shanghai_comparison_uses_the_presets_tier() -> None:
    from suanli.programs import presets
    from suanli.simulate.loading import load_scenario
    from tests.simulate.helpers import SCENARIOS

    city = load_scenario(SCENARIOS / "shanghai-city-30.yaml")
    tiered = load_scenario(SCENARIOS / "shanghai-early-stage-100.yaml")
    assert city.policy.tiers == [] and city.policy.rates.state == tiered.policy.rates.state
    (tier,) = tiered.policy.tiers
    (preset_tier,) = presets.get("shanghai").values["tiers"]  # type: ignore[union-attr]
    assert (tier["rule"], tier["rate"]) == (preset_tier["rule"], preset_tier["rate"]) \
        == (preset_tier["rule"], "1.00")
    # Laid over the small world, the early-stage firms spend at 100 %, the rest at 30 %.
    small = variant(weeks=2, policy={"rates": {"state": "0.30", "commercial": "0.30"},
                                     "max_rate": "0.30", "tiers": [tier]})
    world = build_world(small)
    young = {s.id for s in world.startups  # the age as the rules read it: 2 decimals
             if Decimal(f"{s.age_years:.2f}") <= 3 and s.headcount <= 100}
    run = simulate(small, world, keep_rounds=True)
    rates = {(v["holder"] in young, v["rate"]["state"])
             for r in run.rounds for v in r.snapshot["vouchers"]}
    assert rates == {(True, "1.00"), (False, "0.30")}
