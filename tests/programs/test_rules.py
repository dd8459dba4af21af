"""The eligibility rules, pure: evaluation, its laws, sentences, and the save-time check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from suanli.programs import rules
from suanli.programs.rules import Outcome
from suanli.programs.satisfy import never_passes, witness

MILLION = 1_000_000_00

CRITERIA: list[dict[str, Any]] = [
    {"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
    {"field": "annual_revenue", "op": "lt", "value": "1000000.00"},
    {"field": "annual_revenue", "op": "le", "value": "5000000.00"},
    {"field": "headcount", "op": "gt", "value": 10},
    {"field": "headcount", "op": "le", "value": 10},
    {"field": "headcount", "op": "eq", "value": 0},
    {"field": "registered_city", "op": "eq", "value": "shanghai"},
    {"field": "registered_city", "op": "in", "value": ["beijing", "shanghai"]},
    {"field": "research_project_member", "op": "eq", "value": True},
    {"field": "research_project_number", "op": "present"},
    {"field": "research_project_number", "op": "prefix", "value": "2024-"},
    {"field": "credit_record", "op": "eq", "value": "default_3y"},
    {"field": "other_subsidies", "op": "empty"},
    {"field": "other_subsidies", "op": "contains", "value": "talent-grant"},
    {"field": "company_age_years", "op": "le", "value": "5"},
]

FACTS = st.fixed_dictionaries({}, optional={
    "annual_revenue": st.sampled_from([0, MILLION - 1, MILLION, 5 * MILLION - 1, 5 * MILLION,
                                       9 * MILLION]),
    "headcount": st.integers(0, 30),
    "registered_city": st.sampled_from(["shanghai", "beijing", "hangzhou"]),
    "research_project_member": st.booleans(),
    "research_project_number": st.sampled_from(["", "2024-17", "2023-01"]),
    "credit_record": st.sampled_from(["ok", "default_3y"]),
    "other_subsidies": st.lists(st.sampled_from(["talent-grant", "rent"]), max_size=2),
    "company_age_years": st.sampled_from([Decimal("0.5"), Decimal(5), Decimal("5.01"), 12]),
})


def trees(max_leaves: int = 6) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(CRITERIA)
    return st.recursive(leaf, lambda kids: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(kids, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, kids)), max_leaves=max_leaves)


def outcome(tree: dict[str, Any], facts: dict[str, object]) -> Outcome:
    return rules.evaluate(tree, facts).outcome


# ---- evaluation ---------------------------------------------------------------------------

def test_the_issue_example_reads_as_a_person_would_say_it() -> None:
    tree = {"field": "annual_revenue", "op": "ge", "value": "5000000.00"}
    result = rules.evaluate(tree, {"annual_revenue": 320_000_000})
    assert result.outcome is Outcome.FAIL
    (check,) = result.checks
    assert check.en == "Annual revenue 3.2 m CNY is below the required 5 m CNY"
    assert check.zh == "年营业收入320万元，低于要求的500万元"
    assert check.key == "rule.num.ge.fail"


def test_missing_facts_need_review_and_say_so() -> None:
    tree = {"all": [{"field": "registered_city", "op": "eq", "value": "shanghai"},
                    {"field": "headcount", "op": "le", "value": 300}]}
    result = rules.evaluate(tree, {"registered_city": "shanghai"},
                            names={"shanghai": ("Shanghai", "上海")})
    assert result.outcome is Outcome.REVIEW
    assert [c.outcome for c in result.checks] == [Outcome.PASS, Outcome.REVIEW]
    assert result.checks[0].zh == "注册城市：上海，符合要求"
    assert result.checks[1].en == "Headcount is not given, so a reviewer must check it"


def test_a_failure_beats_a_missing_fact_in_all_and_a_pass_beats_it_in_any() -> None:
    fail = {"field": "headcount", "op": "gt", "value": 10}
    missing = {"field": "credit_record", "op": "eq", "value": "ok"}
    facts = {"headcount": 3}
    assert outcome({"all": [fail, missing]}, facts) is Outcome.FAIL
    assert outcome({"any": [{"not": fail}, missing]}, facts) is Outcome.PASS
    assert outcome({"any": [fail, missing]}, facts) is Outcome.REVIEW


def test_every_criterion_is_explained_not_only_the_first_failure() -> None:
    tree = {"all": [{"field": "headcount", "op": "gt", "value": 10},
                    {"field": "registered_city", "op": "eq", "value": "beijing"}]}
    result = rules.evaluate(tree, {"headcount": 3, "registered_city": "shanghai"})
    assert len(result.checks) == 2
    assert all(c.effect is Outcome.FAIL for c in result.checks)


def test_under_not_the_effect_is_inverted() -> None:
    tree = {"not": {"field": "credit_record", "op": "eq", "value": "default_3y"}}
    (check,) = rules.evaluate(tree, {"credit_record": "default_3y"}).checks
    assert check.outcome is Outcome.PASS and check.effect is Outcome.FAIL


@settings(max_examples=150, deadline=None)
@given(tree=trees(), facts=FACTS)
def test_double_negation_changes_nothing(tree: dict[str, Any], facts: dict[str, object]) -> None:
    assert outcome({"not": {"not": tree}}, facts) is outcome(tree, facts)


@settings(max_examples=150, deadline=None)
@given(a=trees(3), b=trees(3), facts=FACTS)
def test_de_morgan_and_commutativity(a: dict[str, Any], b: dict[str, Any],
                                     facts: dict[str, object]) -> None:
    assert outcome({"not": {"all": [a, b]}}, facts) is outcome(
        {"any": [{"not": a}, {"not": b}]}, facts)
    assert outcome({"not": {"any": [a, b]}}, facts) is outcome(
        {"all": [{"not": a}, {"not": b}]}, facts)
    assert outcome({"all": [a, b]}, facts) is outcome({"all": [b, a]}, facts)
    assert outcome({"any": [a, b]}, facts) is outcome({"any": [b, a]}, facts)
    assert outcome({"all": [a]}, facts) is outcome(a, facts) is outcome({"any": [a]}, facts)


@settings(max_examples=150, deadline=None)
@given(a=trees(3), facts=FACTS)
def test_absorption_and_idempotence(a: dict[str, Any], facts: dict[str, object]) -> None:
    assert outcome({"all": [a, a]}, facts) is outcome(a, facts)
    assert outcome({"any": [a, a]}, facts) is outcome(a, facts)


@settings(max_examples=100, deadline=None)
@given(tree=trees(), facts=FACTS)
def test_known_facts_never_need_review(tree: dict[str, Any], facts: dict[str, object]) -> None:
    complete = {"annual_revenue": 0, "headcount": 0, "registered_city": "x",
                "research_project_member": False, "research_project_number": "",
                "credit_record": "ok", "other_subsidies": [], "company_age_years": 1} | facts
    assert outcome(tree, complete) is not Outcome.REVIEW


# ---- the save-time check ------------------------------------------------------------------

@pytest.mark.parametrize(("tree", "path"), [
    ({"all": [{"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
              {"field": "annual_revenue", "op": "lt", "value": "1000000.00"}]},
     "rules.all[1].value"),
    ({"not": {"any": [{"field": "headcount", "op": "ge", "value": 0}]}},
     "rules.not.any[0].value"),
    ({"all": [{"field": "headcount", "op": "lt", "value": 0}]}, "rules.all[0].value"),
    ({"any": [{"field": "registered_city", "op": "eq", "value": "beijing"},
              {"all": [{"field": "research_project_member", "op": "eq", "value": True},
                       {"not": {"field": "research_project_member", "op": "eq",
                                "value": True}}]}],
      "all": []}, "rules.any"),
    ({"any": []}, "rules.any"),
    ({"all": [{"field": "revenue", "op": "ge", "value": 1}]}, "rules.all[0].field"),
    ({"all": [{"field": "headcount", "op": "in", "value": [1]}]}, "rules.all[0].op"),
    ({"all": [{"field": "annual_revenue", "op": "ge", "value": 5.5}]}, "rules.all[0].value"),
    ({"all": [{"field": "annual_revenue", "op": "ge", "value": "1.234"}]},
     "rules.all[0].value"),
    ({"all": [{"field": "credit_record", "op": "eq", "value": "excellent"}]},
     "rules.all[0].value"),
    ({"all": [{"field": "headcount", "op": "ge"}]}, "rules.all[0].value"),
    ({"all": [{"field": "headcount", "op": "ge", "value": 1, "weight": 2}]},
     "rules.all[0].weight"),
    ({"all": [{"any": [{"field": "credit_record", "op": "eq", "value": "ok"},
                       {"field": "credit_record", "op": "eq", "value": "default_3y"}]},
              {"not": {"field": "credit_record", "op": "in",
                       "value": ["ok", "default_3y"]}}]},
     "rules.all[1].not.value"),
    (["all"], "rules"),
])
def test_refused_trees_name_the_offending_node(tree: Any, path: str) -> None:
    found = rules.problems(tree)
    assert found, "should have been refused"
    assert found[0].path == path, found
    with pytest.raises(rules.RuleError) as caught:
        rules.check(tree)
    assert caught.value.path == path


def test_a_dead_alternative_beside_a_live_one_is_accepted() -> None:
    tree = {"any": [{"field": "headcount", "op": "lt", "value": 0},
                    {"field": "registered_city", "op": "eq", "value": "shanghai"}]}
    assert rules.problems(tree) == []


def test_an_empty_all_always_passes_and_is_accepted() -> None:
    assert rules.problems({"all": []}) == []
    assert outcome({"all": []}, {}) is Outcome.PASS


@settings(max_examples=200, deadline=None)
@given(tree=trees(8), facts=FACTS)
def test_the_check_is_sound_and_finds_a_passing_profile(tree: dict[str, Any],
                                                        facts: dict[str, object]) -> None:
    node = rules.parse(tree)
    if never_passes(node) is not None:
        # Refused: then no profile at all passes it.
        assert outcome(tree, facts) is not Outcome.PASS
    else:
        found = witness(node)
        assert found is not None
        assert rules.evaluate(node, found).outcome is Outcome.PASS


def test_canonical_json_and_words_round_trip() -> None:
    tree = {"all": [{"field": "annual_revenue", "op": "ge", "value": 5000000},
                    {"not": {"field": "registered_city", "op": "in",
                             "value": ["beijing", "beijing"]}}]}
    node = rules.check(tree)
    assert rules.to_json(node) == {"all": [
        {"field": "annual_revenue", "op": "ge", "value": "5000000.00"},
        {"not": {"field": "registered_city", "op": "in", "value": ["beijing"]}}]}
    assert rules.describe(node) == "annual revenue ≥ 5 m CNY and registered city is not " \
                                   "one of Beijing"
    assert rules.describe(node, "zh") == "年营业收入 ≥ 500万元且注册城市 不属于 Beijing"
