"""Eligibility goes through the real evaluator of ``programs.rules``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from suanli.programs import rules
from suanli.simulate.eligibility import compile_thresholds, decide, facts_of, rule_for
from suanli.simulate.loading import ScenarioError, merge, parse_scenario
from suanli.simulate.scenario import Thresholds
from suanli.simulate.world import Startup
from tests.simulate.helpers import small_data, variant

APPLICANT = Startup(
    id="s0001", arrival_week=0, city="shanghai", revenue_fen=200_000_000,
    revenue_verified=True, research_project=False, headcount=12, age_years=2.5,
    model_filings=1, credit_default=False, other_subsidy=False, review_draw=0.3,
)


def with_rule(rule: dict[str, Any]) -> list[str]:
    data = merge(small_data(), {"policy": {"eligibility": {"thresholds": None, "rule": rule}}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return caught.value.problems


def test_thresholds_compile_into_a_tree_the_real_checker_accepts() -> None:
    tree = compile_thresholds(Thresholds(cities=["shanghai"], min_revenue_cny="1000000.00",
                                         min_headcount=5, max_company_age_years=3,
                                         require_model_filing=True))
    node = rules.check(tree)
    assert rules.evaluate(node, facts_of(APPLICANT)).outcome is rules.Outcome.PASS
    assert "annual revenue ≥ 1 m CNY" in rules.describe(node)


@pytest.mark.parametrize(("change", "expected"), [
    ({}, "pass"),
    ({"city": "wuhan"}, "fail"),
    ({"revenue_fen": 10_000}, "fail"),
    ({"revenue_fen": 10_000, "research_project": True}, "pass"),
    ({"revenue_verified": False}, "needs_review"),
    ({"credit_default": True}, "fail"),
    ({"other_subsidy": True}, "fail"),
])
def test_decisions_follow_the_small_scenarios_thresholds(change: dict[str, Any],
                                                         expected: str) -> None:
    rule = rule_for(variant().policy.eligibility)
    assert decide(rule, dataclasses.replace(APPLICANT, **change)) == expected


def test_a_raw_rule_tree_is_used_as_written() -> None:
    tree = {"all": [{"field": "headcount", "op": "ge", "value": 20}]}
    scenario = variant(policy={"eligibility": {"thresholds": None, "rule": tree}})
    rule = rule_for(scenario.policy.eligibility)
    assert decide(rule, APPLICANT) == "fail"
    assert decide(rule, dataclasses.replace(APPLICANT, headcount=25)) == "pass"


def test_a_bad_rule_tree_is_named_by_its_yaml_path() -> None:
    found = with_rule({"all": [{"field": "headcount", "op": "ge", "value": 1},
                               {"field": "annual_revenue", "op": "ge", "value": 5.5}]})
    assert found == ["policy.eligibility.rule.all[1].value: must be an amount of CNY as a "
                     'decimal string such as "5000000.00"']
    found = with_rule({"all": [{"field": "shoe_size", "op": "ge", "value": 1}]})
    assert found[0].startswith("policy.eligibility.rule.all[0].field: unknown field 'shoe_size'")


def test_a_rule_that_can_never_pass_is_refused() -> None:
    found = with_rule({"all": [{"field": "headcount", "op": "ge", "value": 50},
                               {"field": "headcount", "op": "lt", "value": 10}]})
    assert len(found) == 1 and found[0].startswith("policy.eligibility.rule")


def test_thresholds_the_evaluator_refuses_are_named_too() -> None:
    data = merge(small_data(), {"policy": {"eligibility": {"thresholds": {"cities": []}}}})
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.problems == ["policy.eligibility.thresholds: must be a non-empty list"]
