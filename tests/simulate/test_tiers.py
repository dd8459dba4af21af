"""Rates by applicant tier in the simulator: the same tiers as a program, the same core."""

from __future__ import annotations

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
