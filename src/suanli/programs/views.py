"""Programs as the API and the pages show them, and edge fields read into settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from suanli.kit.errors import ValidationFailed
from suanli.kit.money import MoneyError, format_cny, parse_cny
from suanli.programs import cofund, repository, rules
from suanli.programs import service as programs
from suanli.programs.models import Program
from suanli.programs.rates import format_rate, parse_rate
from suanli.programs.schemas import BudgetRead, FunderBudgetRead, ProgramFields, ProgramRead
from suanli.programs.vouchers_port import ProgramTotals, program_totals

MONEY = {"budget_cny": "budget_fen", "voucher_min_cny": "voucher_min_fen",
         "voucher_max_cny": "voucher_max_fen", "default_value_cny": "default_value_fen",
         "cap_per_firm_cny": "cap_per_firm_fen",
         "second_review_above_cny": "second_review_above_fen"}
RATES = {"domestic_bonus": "domestic_bonus_bp", "max_rate": "max_rate_bp"}
NULLABLE = frozenset({"name_zh", "cap_per_firm_fen", "eligibility_text", "source",
                      "max_contract_days", "contracts_signed_from", "second_review_above_fen"})
EDGE = {**{c: e for e, c in MONEY.items()}, **{c: e for e, c in RATES.items()}}
PLAIN = ("city", "name", "name_zh", "year", "provider_mode", "provider_slugs", "validity_days",
         "window_opens_at", "window_closes_at", "rules", "tiers", "auto_approve",
         "max_contract_days", "contracts_signed_from", "no_affiliated_providers", "tranches",
         "funders", "voucher_unit",
         "forbid_other_subsidies", "redemption_mode", "partial_vouchers",
         "subsidise_cancellation", "refuse_late_usage", "credit_lines", "eligibility_text",
         "source")


def changes_from(body: ProgramFields) -> dict[str, Any]:
    """The settings a request names, in internal units (absent fields are left out)."""
    given = body.model_fields_set
    out: dict[str, Any] = {name: getattr(body, name) for name in PLAIN if name in given}
    for edge, column in MONEY.items():
        if edge in given:
            raw = getattr(body, edge)
            out[column] = None if raw is None else _fen(raw, edge)
    for edge, column in RATES.items():
        if edge in given and getattr(body, edge) is not None:
            out[column] = parse_rate(getattr(body, edge))
    if "rates" in given and body.rates is not None:
        out["rate_state_bp"] = parse_rate(body.rates.state)
        out["rate_commercial_bp"] = parse_rate(body.rates.commercial)
    for name in ("provider_slugs", "tiers", "tranches", "funders"):
        if name in out and out[name] is None:
            out[name] = []
    for name, value in out.items():
        if value is None and name not in NULLABLE:
            raise ValidationFailed("must not be null", field=EDGE.get(name, name))
    return out


def _fen(raw: str, field: str) -> int:
    try:
        return parse_cny(raw, field=field)
    except MoneyError as exc:
        raise ValidationFailed(str(exc), field=field) from exc


def program_read(program: Program, authority: str) -> ProgramRead:
    return ProgramRead(
        id=program.id, authority_org_id=program.authority_org_id, authority=authority,
        preset_key=program.preset_key, city=program.city, name=program.name,
        name_zh=program.name_zh, year=program.year, status=program.status,
        budget_cny=format_cny(program.budget_fen),
        voucher_min_cny=format_cny(program.voucher_min_fen),
        voucher_max_cny=format_cny(program.voucher_max_fen),
        default_value_cny=format_cny(program.default_value_fen),
        rates={"state": format_rate(program.rate_state_bp),
               "commercial": format_rate(program.rate_commercial_bp)},
        domestic_bonus=format_rate(program.domestic_bonus_bp),
        max_rate=format_rate(program.max_rate_bp), provider_mode=program.provider_mode,
        provider_slugs=list(program.provider_slugs),
        cap_per_firm_cny=None if program.cap_per_firm_fen is None
        else format_cny(program.cap_per_firm_fen),
        validity_days=program.validity_days, window_opens_at=program.window_opens_at,
        window_closes_at=program.window_closes_at, rules=program.rules,
        rules_text=rules.describe(program.rules, "en", programs.city_names()),
        tiers=list(program.tiers or []), max_contract_days=program.max_contract_days,
        contracts_signed_from=program.contracts_signed_from,
        no_affiliated_providers=program.no_affiliated_providers,
        tranches=list(program.tranches or []), funders=list(program.funders or []),
        voucher_unit=program.voucher_unit or "gpu_hours",
        second_review_above_cny=None if program.second_review_above_fen is None
        else format_cny(program.second_review_above_fen),
        auto_approve=program.auto_approve,
        forbid_other_subsidies=program.forbid_other_subsidies,
        redemption_mode=program.redemption_mode, partial_vouchers=program.partial_vouchers,
        subsidise_cancellation=program.subsidise_cancellation,
        refuse_late_usage=program.refuse_late_usage, credit_lines=program.credit_lines,
        eligibility_text=program.eligibility_text,
        source=program.source, illustrative=program.illustrative,
        illustrative_fields=list(program.illustrative_fields))


def authorities(session: Session, rows: list[Program]) -> dict[int, str]:
    orgs = repository.organisations(session, {p.authority_org_id for p in rows})
    return {org_id: org.slug for org_id, org in orgs.items()}


def reads(session: Session, rows: list[Program]) -> list[ProgramRead]:
    names = authorities(session, rows)
    return [program_read(p, names.get(p.authority_org_id, "")) for p in rows]


# The budget chart's shares of each program's budget, in the order drawn, and their colours.
SEGMENTS = ("spent", "held", "outstanding", "unissued")
COLOURS = {"spent": "#b3261e", "held": "#e0a030", "outstanding": "#3b6ea5",
           "unissued": "#c9d3df"}


@dataclass(frozen=True)
class BudgetView:
    program: Program
    budget: int
    unissued: int
    totals: ProgramTotals
    funders: list[cofund.FunderShare] = field(default_factory=list)


def budgets(session: Session, rows: list[Program]) -> list[BudgetView]:
    """Each program's money: its budget and what happened to it, from the ledger (and, for
    a co-funded program, each funder's part)."""
    totals = program_totals(session, [p.id for p in rows])
    return [BudgetView(p, p.budget_fen, programs.available_fen(session, p), totals[p.id],
                       _funders(session, p, totals[p.id])) for p in rows]


def _funders(session: Session, program: Program,
             totals: ProgramTotals) -> list[cofund.FunderShare]:
    if not program.funders:
        return []
    fundings = [(f.amount_fen, f.funder_index)
                for f in repository.fundings(session, program.id)]
    return cofund.shares_of(session, program, fundings=fundings,
                             spent=totals.spent_by_split)


def budget_read(view: BudgetView) -> BudgetRead:
    t = view.totals
    return BudgetRead(program_id=view.program.id, budget_cny=format_cny(view.budget),
                      unissued_cny=format_cny(view.unissued), issued_cny=format_cny(t.issued),
                      outstanding_cny=format_cny(t.outstanding), held_cny=format_cny(t.held),
                      spent_cny=format_cny(t.spent), returned_cny=format_cny(t.returned),
                      awaiting_cny=format_cny(t.awaiting),
                      vouchers=t.vouchers, funders=[FunderBudgetRead(
                          name=f.name, label=f.label, share=f.share, account=f.account,
                          funded_cny=format_cny(f.funded), unissued_cny=format_cny(f.unissued),
                          committed_cny=format_cny(f.committed), paid_cny=format_cny(f.paid))
                          for f in view.funders])
