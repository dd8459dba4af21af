"""Scenario files: every problem is named by its YAML path; variants inherit through ``base``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from suanli.simulate.loading import ScenarioError, load_scenario, merge, parse_scenario
from tests.simulate.helpers import SCENARIOS, SMALL, small_data


def problems(overrides: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(merge(small_data(), overrides))
    return caught.value.problems


def test_the_small_scenario_loads_with_money_in_fen() -> None:
    scenario = load_scenario(SMALL)
    assert scenario.policy.budget_cny == 300_000_000
    assert scenario.policy.rates.state == Decimal("0.40")
    assert scenario.world.demand.training.limit_cny_per_gpu_hour == (500, 1200)
    assert scenario.clearing.slots == 42


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"policy": {"rates": {"state": "1.5"}}}, "policy.rates.state: must be between 0 and 1"),
    ({"policy": {"rates": {"commercial": "-0.1"}}},
     "policy.rates.commercial: must be between 0 and 1"),
    ({"policy": {"budget_cny": 1000.5}},
     'policy.budget_cny: must be a decimal string such as "12.50"'),
    ({"policy": {"budget_cny": "10.123"}}, "policy.budget_cny: at most 2 decimal places"),
    ({"policy": {"voucher_value_cny": "0.00"}}, "policy.voucher_value_cny: must be > 0"),
    ({"policy": {"budget": "1.00"}}, "policy.budget: unknown field"),
    ({"policy": {"voucher_weeks": 0}},
     "policy.voucher_weeks: must be greater than or equal to 1"),
    ({"clearing": {"slot_hours": 5}}, "clearing.slot_hours: must divide 168"),
    ({"seed": -1}, "seed: must be greater than or equal to 0"),
])
def test_a_bad_field_is_named_by_its_yaml_path(overrides: dict[str, Any], expected: str) -> None:
    found = problems(overrides)
    assert any(p.startswith(expected) for p in found), found


def test_list_items_are_named_with_their_index() -> None:
    data = small_data()
    data["world"]["clusters"][2]["hub"] = "atlantis"
    data["world"]["clusters"][3]["operator"] = "private"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    found = caught.value.problems
    assert any(p.startswith("world.clusters[2].hub: unknown hub 'atlantis'") for p in found)
    assert any(p.startswith("world.clusters[3].operator:") for p in found)


def test_an_accelerator_without_published_power_is_refused() -> None:
    found = problems({"world": {"demand": {"training": {"accelerators": ["ascend-910c"]}}}})
    assert found == ["world.demand.training.accelerators: ascend-910c lacks a published TDP, "
                     "memory or BF16 figure; choose another"]


def test_unknown_city_and_bad_ranges() -> None:
    found = problems({
        "policy": {"eligibility": {"thresholds": {"cities": ["gotham"]}}},
        "world": {"demand": {"inference": {"duration_hours": [200]}},
                  "startups": {"headcount": [10, 2]}},
    })
    assert any(p.startswith("policy.eligibility.thresholds.cities: unknown city 'gotham'")
               for p in found)
    assert "world.demand.inference.duration_hours: every entry must be between 1 and 168" in found
    assert any(p.startswith("world.startups.headcount: must be [low, high]") for p in found)


def test_eligibility_needs_exactly_one_of_thresholds_or_rule() -> None:
    found = problems({"policy": {"eligibility": {"thresholds": None}}})
    assert found == ["policy.eligibility: give exactly one of thresholds or rule"]


def test_missing_sections_are_required() -> None:
    data = small_data()
    del data["world"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.problems == ["world: required"]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(["not", "a", "mapping"])
    assert caught.value.problems == ["scenario: must be a mapping of keys to values"]


def test_yaml_syntax_errors_name_the_line(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nseed: [1, 2\nweeks: 3\n", "utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problems[0].startswith("line ")
    assert "not valid YAML" in caught.value.problems[0]


def test_a_variant_inherits_its_base(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    write_yaml(small_data(), "base.yaml")
    child = write_yaml({"base": "base.yaml", "name": "child",
                        "policy": {"rates": {"state": "0.50"}}}, "child.yaml")
    scenario = load_scenario(child)
    assert scenario.name == "child"
    assert scenario.policy.rates.state == Decimal("0.50")
    assert scenario.policy.rates.commercial == Decimal("0.30")  # kept from the base
    assert scenario.world == load_scenario(SMALL).world


def test_a_base_that_leads_back_to_itself_is_refused(
    write_yaml: Callable[..., Path],
) -> None:
    write_yaml({"base": "b.yaml", "name": "a"}, "a.yaml")
    b = write_yaml({"base": "a.yaml", "name": "b"}, "b.yaml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(b)
    assert "leads back to itself" in caught.value.problems[0]


def test_a_dumped_scenario_validates_back_to_itself() -> None:
    scenario = load_scenario(SMALL)
    dumped = scenario.model_dump(mode="json")
    assert dumped["policy"]["budget_cny"] == "3000000.00"
    assert dumped["world"]["demand"]["training"]["limit_cny_per_gpu_hour"] == ["5.00", "12.00"]
    assert parse_scenario(dumped) == scenario
