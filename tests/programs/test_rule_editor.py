"""The rule editor's form (pure): nested groups to and from form fields, structural edits,
where a save error lands, the sample profile; and sentences of negated criteria."""

from __future__ import annotations

from decimal import Decimal

import pytest

from suanli.programs import rule_editor as editor
from suanli.programs import rules
from suanli.programs.rules import Outcome

TREE = {"all": [
    {"field": "registered_city", "op": "in", "value": ["beijing", "shanghai"]},
    {"not": {"any": [{"field": "headcount", "op": "gt", "value": 300},
                     {"not": {"field": "credit_record", "op": "eq", "value": "default_3y"}}]}},
    {"field": "research_project_member", "op": "eq", "value": True},
]}


def _fields(group: editor.Group) -> dict[str, str]:
    """The fields a browser would post for the editor's groups (what the template writes)."""
    out: dict[str, str] = {}
    for node in editor._walk(group):
        if node.negated:
            out[f"{node.path}_not"] = "on"
        if isinstance(node, editor.Group):
            out[f"{node.path}_kind"] = node.kind
            continue
        out |= {f"{node.path}_field": node.field, f"{node.path}_op": node.op,
                f"{node.path}_value": node.value}
        out |= {f"{node.path}_pick_{item}": "on" for item in node.picks}
    return out


def test_a_nested_tree_survives_the_form_both_ways() -> None:
    group = editor.from_tree(TREE)
    assert [p.path for p in group.parts] == ["n-0", "n-1", "n-2"]
    inner = group.parts[1]
    assert isinstance(inner, editor.Group) and inner.negated and inner.kind == "any"
    assert editor.to_tree(editor.read(_fields(group))) == TREE
    assert rules.to_json(rules.check(editor.to_tree(group))) == TREE


def test_edits_add_and_remove_nodes_without_saving() -> None:
    group = editor.edit(editor.from_tree(TREE), "group:n-1")
    added = group.parts[1]
    assert isinstance(added, editor.Group) and added.parts[-1].path == "n-1-2"
    assert isinstance(added.parts[-1], editor.Group) and added.parts[-1].kind == "any"
    group = editor.edit(group, "remove:n-0")
    assert [p.path for p in group.parts] == ["n-0", "n-1"]  # numbered again
    assert editor.edit(group, "remove:n").parts == group.parts  # the root stays
    group = editor.edit(group, "add:n")
    assert isinstance(group.parts[-1], editor.Criterion) and group.parts[-1].field == ""
    # blank criteria and groups holding only blanks are left out of the tree to save
    assert editor.to_tree(editor.edit(group, "group:n")) == editor.to_tree(group)


def test_a_save_error_lands_on_the_node_and_input_it_names() -> None:
    group = editor.from_tree(TREE)
    editor.to_tree(group)
    assert editor.error_at(group, "rules.all[1].not.any[1].not.value") == ("n-1-1", "value")
    assert editor.error_at(group, "rules.all[0].op") == ("n-0", "op")
    assert editor.error_at(group, "rules.all[1].not.any") == ("n-1", "kind")
    assert editor.error_at(group, "tiers[0]") is None


def test_the_sample_profile_becomes_facts_or_says_what_is_wrong() -> None:
    facts, errors = editor.facts_of({"annual_revenue": "3000000.00", "headcount": "12",
                                     "company_age_years": "2.5", "other_subsidies": "a, b",
                                     "research_project_member": "no",
                                     "registered_city": "shanghai", "model_filings": ""})
    assert facts == {"annual_revenue": 300_000_000, "headcount": 12,
                     "company_age_years": Decimal("2.5"), "other_subsidies": ["a", "b"],
                     "research_project_member": False, "registered_city": "shanghai"}
    assert errors == {}
    _, errors = editor.facts_of({"annual_revenue": "1e30", "headcount": "-3",
                                 "research_project_member": "perhaps"})
    assert set(errors) == {"annual_revenue", "headcount", "research_project_member"}


@pytest.mark.parametrize(("value", "fact"), [("default_3y", "ok"), ("default_3y", "default_3y")])
def test_a_negated_criterion_reads_as_its_opposite(value: str, fact: str) -> None:
    tree = {"all": [{"not": {"field": "credit_record", "op": "eq", "value": value}}]}
    check = rules.evaluate(tree, {"credit_record": fact}).checks[0]
    assert check.key.endswith(".pass") == (check.effect is Outcome.PASS)
    if check.effect is Outcome.PASS:
        assert "required" not in check.en and "excluded" in check.en
    else:
        assert "which is excluded" in check.en


def test_every_met_line_says_met_and_every_failed_line_says_so() -> None:
    """Whatever the nesting of `not`s, a sentence never contradicts its line's effect."""
    facts = {"registered_city": "hangzhou", "headcount": 500, "credit_record": "ok",
             "research_project_member": True}
    for tree in (TREE, {"not": TREE}, {"any": [{"not": {"not": TREE}}]}):
        for check in rules.evaluate(tree, facts).checks:
            assert check.key.endswith(".pass") == (check.effect is Outcome.PASS), check


def test_unknown_cities_and_choices_are_refused_naming_the_value() -> None:
    for tree, path in (
            ({"all": [{"field": "registered_city", "op": "eq", "value": "atlantis"}]},
             "rules.all[0].value"),
            ({"all": [{"field": "project_lead", "op": "in", "value": ["mayor"]}]},
             "rules.all[0].value")):
        with pytest.raises(rules.RuleError) as caught:
            rules.check(tree)
        assert caught.value.path == path
        assert "unknown" in caught.value.message or "must be one of" in caught.value.message
