"""Eligibility in the simulator: the policy's rule through the REAL evaluator of ``programs``.

Simple thresholds are compiled into the same JSON rule tree a program administrator
would write (``suanli.programs.rules``), and every applicant is evaluated by
``rules.evaluate`` on the facts of its profile. A fact the world leaves unknown (an
unverified revenue) makes its criterion ``needs_review``, as it would on the platform.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from suanli.kit.money import format_cny
from suanli.programs import rules, tiers
from suanli.programs.rates import BP
from suanli.simulate.scenario import Eligibility, Policy, Thresholds
from suanli.simulate.world import Startup

Decision = Literal["pass", "fail", "needs_review"]
OTHER_SUBSIDY_TAG = "municipal-compute-subsidy"


def compile_thresholds(t: Thresholds) -> dict[str, Any]:
    """The rule tree (``programs.rules`` JSON) that the thresholds stand for."""
    parts: list[dict[str, Any]] = []
    if t.cities is not None:
        parts.append({"field": "registered_city", "op": "in", "value": list(t.cities)})
    if t.min_revenue_cny is not None:
        revenue = {"field": "annual_revenue", "op": "ge", "value": format_cny(t.min_revenue_cny)}
        member = {"field": "research_project_member", "op": "eq", "value": True}
        parts.append({"any": [revenue, member]} if t.research_project_path else revenue)
    if t.min_headcount is not None:
        parts.append({"field": "headcount", "op": "ge", "value": t.min_headcount})
    if t.max_company_age_years is not None:
        years = f"{t.max_company_age_years:.2f}"
        parts.append({"field": "company_age_years", "op": "le", "value": years})
    if t.require_model_filing:
        parts.append({"field": "model_filings", "op": "ge", "value": 1})
    if t.no_credit_default:
        parts.append({"field": "credit_record", "op": "eq", "value": "ok"})
    if t.no_other_subsidy:
        parts.append({"field": "other_subsidies", "op": "empty"})
    return {"all": parts}


def rule_tree(eligibility: Eligibility) -> dict[str, Any]:
    """The policy's rule tree: the raw ``rule`` or the compiled ``thresholds``."""
    if eligibility.rule is not None:
        return eligibility.rule
    assert eligibility.thresholds is not None  # the scenario model requires one of them
    return compile_thresholds(eligibility.thresholds)


def rule_problems(tree: object, path: str) -> list[str]:
    """``rules.problems`` of a tree, each named by its YAML path under ``path``."""
    return [f"{path}{p.path.removeprefix(rules.ROOT)}: {p.message}"
            for p in rules.problems(tree)]


def rule_for(eligibility: Eligibility) -> rules.Node:
    """The checked, parsed rule of a policy (RuleError for a rule that can never pass)."""
    return rules.check(rule_tree(eligibility))


def bp(rate: Decimal) -> int:
    """A scenario rate (a Decimal in [0, 1]) in basis points."""
    return int(rate * BP)


def policy_tiers(policy: Policy) -> tuple[tiers.Tier, ...]:
    """The policy's tiers, checked by the programs core (ValidationFailed naming the field)."""
    return tiers.parse(tiers.check(policy.tiers, domestic_bonus_bp=bp(policy.domestic_bonus),
                                   voucher_min_fen=0, funders=len(policy.funders)))


def base_terms(policy: Policy) -> tiers.RateTerms:
    """The policy's own rates, as the programs core holds a program's."""
    return tiers.RateTerms(bp(policy.rates.state), bp(policy.rates.commercial),
                           bp(policy.domestic_bonus), bp(policy.max_rate), None)


def terms_of(policy: Policy, parsed: tuple[tiers.Tier, ...], startup: Startup
             ) -> tiers.RateTerms:
    """The rates of the startup's tier (`tiers.choose`, as for a real application); a tier
    that would need review is not granted (the base rates apply)."""
    return tiers.choose(base_terms(policy), parsed, facts_of(startup)).terms


def facts_of(startup: Startup) -> dict[str, object]:
    """The applicant's profile as the evaluator reads it (money in fen, absent = unknown)."""
    facts: dict[str, object] = {
        "registered_city": startup.city,
        "research_project_member": startup.research_project,
        "research_project_number": f"GOV-{startup.id}" if startup.research_project else "",
        "headcount": startup.headcount,
        "company_age_years": f"{startup.age_years:.2f}",
        "model_filings": startup.model_filings,
        "credit_record": "default_3y" if startup.credit_default else "ok",
        "other_subsidies": [OTHER_SUBSIDY_TAG] if startup.other_subsidy else [],
    }
    if startup.revenue_verified:
        facts["annual_revenue"] = startup.revenue_fen
    return facts


def decide(rule: rules.Node, startup: Startup) -> Decision:
    """pass, fail or needs_review for one applicant."""
    outcome = rules.evaluate(rule, facts_of(startup)).outcome
    if outcome is rules.Outcome.PASS:
        return "pass"
    return "fail" if outcome is rules.Outcome.FAIL else "needs_review"
