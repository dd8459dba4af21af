"""Request and response shapes of the programs API: money as CNY decimal strings, rates as
decimal strings in [0, 1] ("0.30")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from suanli.kit.money import MoneyError, parse_cny
from suanli.programs.enums import ProgramStatus, ProviderMode, RedemptionMode, VoucherUnit
from suanli.programs.rates import RateError, parse_rate
from suanli.programs.text import plain


def _cny(value: str) -> str:
    try:
        fen = parse_cny(value, field="value")
    except MoneyError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from exc
    if fen < 0:
        raise ValueError("must not be negative")
    return value


def _rate(value: str) -> str:
    try:
        parse_rate(value)
    except RateError as exc:
        raise ValueError(str(exc)) from exc
    return value


Text = Annotated[str, AfterValidator(plain)]
Cny = Annotated[str, Field(examples=["1000000.00"], max_length=24), AfterValidator(_cny)]
Rate = Annotated[str, Field(examples=["0.30"], max_length=8), AfterValidator(_rate)]


class Rates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: Rate = Field(description="Subsidy rate at state-run data centres")
    commercial: Rate = Field(description="Subsidy rate at commercial data centres")


class ProgramFields(BaseModel):
    """Every setting of a program; in a PATCH each is optional."""

    model_config = ConfigDict(extra="forbid")

    city: str | None = Field(default=None, max_length=64, examples=["shanghai"])
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    name_zh: Text | None = Field(default=None, max_length=200)
    year: int | None = Field(default=None, ge=2000, le=2100)
    budget_cny: Cny | None = None
    voucher_min_cny: Cny | None = None
    voucher_max_cny: Cny | None = None
    default_value_cny: Cny | None = Field(
        default=None, description="What an auto-approved application receives "
                                  "(the smallest value when not given)")
    rates: Rates | None = None
    domestic_bonus: Rate | None = Field(default=None,
                                        description="Added to the rate for domestic chips")
    max_rate: Rate | None = None
    provider_mode: ProviderMode | None = None
    provider_slugs: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=200)
    cap_per_firm_cny: Cny | None = Field(default=None,
                                         description="Per firm per calendar year; null: none")
    validity_days: int | None = Field(default=None, ge=1, le=3650)
    window_opens_at: AwareDatetime | None = None
    window_closes_at: AwareDatetime | None = None
    rules: dict[str, Any] | None = Field(default=None, description="Eligibility rule tree")
    tiers: list[dict[str, Any]] | None = Field(
        default=None, max_length=20,
        description="Rates by applicant tier, first match applies: each {key, name, rule, "
                    "rate, max_rate?, cap_per_firm_cny?, source?}")
    max_contract_days: int | None = Field(
        default=None, ge=1, le=3650,
        description="Longest contract a voucher pays for, in days (Beijing: 365); null: any")
    contracts_signed_from: AwareDatetime | None = Field(
        default=None, description="A voucher pays only for contracts signed at or after this")
    no_affiliated_providers: bool | None = Field(
        default=None, description="Refuse providers the applicant declares affiliated")
    tranches: list[dict[str, Any]] | None = Field(
        default=None, max_length=10,
        description="Release plan: [{share, milestone}], the first part at issue, the rest "
                    "when a reviewer confirms its milestone; shares sum to 1; []: all at once")
    second_review_above_cny: Cny | None = Field(
        default=None, description="Approvals above this value need a second reviewer")
    funders: list[dict[str, Any]] | None = Field(
        default=None, max_length=10,
        description="Co-funding: [{name, label?, share}], shares decimal fractions summing to "
                    "exactly 1; each funder has its own budget account and every movement "
                    "splits by share; fixed once the program is created; []: one budget")
    voucher_unit: VoucherUnit | None = Field(
        default=None, description="What the vouchers pay for: gpu_hours (market contracts, "
                                  "the default) or tokens (model services priced per "
                                  "million tokens: model vouchers)")
    auto_approve: bool | None = None
    forbid_other_subsidies: bool | None = None
    redemption_mode: RedemptionMode | None = None
    partial_vouchers: bool | None = Field(
        default=None, description="A voucher with less left than a contract's subsidy pays "
                                  "what it has, the buyer the rest (default: refused)")
    subsidise_cancellation: bool | None = Field(
        default=None, description="Vouchers subsidise cancellation fees for hours never run "
                                  "(default: no)")
    refuse_late_usage: bool | None = Field(
        default=None, description="Refuse usage reported after a contract's final "
                                  "settlement (default: billed as an adjustment)")
    credit_lines: bool | None = Field(
        default=None, description="Buyers may be granted post-paid credit lines: contracts "
                                  "hold against the limit, billed monthly (default: no)")
    eligibility_text: Text | None = Field(default=None, max_length=1000)
    source: Text | None = Field(default=None, max_length=500)


class ProgramCreate(ProgramFields):
    authority_org_id: int | None = Field(
        default=None, description="Your authority; needed only if you administer several")
    city: str = Field(max_length=64, examples=["shanghai"])
    name: Text = Field(min_length=1, max_length=200)
    year: int = Field(ge=2000, le=2100)
    budget_cny: Cny
    voucher_min_cny: Cny
    voucher_max_cny: Cny
    rates: Rates
    max_rate: Rate
    validity_days: int = Field(ge=1, le=3650)
    window_opens_at: AwareDatetime
    window_closes_at: AwareDatetime


class ProgramUpdate(ProgramFields):
    pass


class PresetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority_org_id: int | None = None
    window_opens_at: AwareDatetime | None = Field(default=None,
                                                  description="Default: now; open 365 days")


class FundingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cny: Annotated[str, Field(examples=["5000000.00", "-1000000.00"], max_length=24)]
    reason: Text = Field(default="top-up", min_length=1, max_length=200)
    funder: int | None = Field(default=None, ge=1, le=10,
                               description="Co-funded: the funder (1 = the first) whose "
                                           "account alone this funds or returns; null: every "
                                           "funder by its share")


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text = Field(min_length=1, max_length=200, examples=["Spring 2026 call"])
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    budget_cny: Cny = Field(description="The slice of the program's budget for this call")


class CallRead(BaseModel):
    id: int
    program_id: int
    name: str
    opens_at: datetime
    closes_at: datetime
    budget_cny: str


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProgramStatus


class ProgramRead(BaseModel):
    id: int
    authority_org_id: int
    authority: str
    preset_key: str | None
    city: str
    name: str
    name_zh: str | None
    year: int
    status: ProgramStatus
    budget_cny: str
    voucher_min_cny: str
    voucher_max_cny: str
    default_value_cny: str
    rates: dict[str, str]
    domestic_bonus: str
    max_rate: str
    provider_mode: ProviderMode
    provider_slugs: list[str]
    cap_per_firm_cny: str | None
    validity_days: int
    window_opens_at: datetime
    window_closes_at: datetime
    rules: dict[str, Any]
    rules_text: str
    tiers: list[dict[str, Any]]
    max_contract_days: int | None
    contracts_signed_from: datetime | None
    no_affiliated_providers: bool
    tranches: list[dict[str, Any]]
    funders: list[dict[str, Any]] = Field(default_factory=list)
    voucher_unit: str = "gpu_hours"
    second_review_above_cny: str | None
    auto_approve: bool
    forbid_other_subsidies: bool
    redemption_mode: RedemptionMode
    partial_vouchers: bool
    subsidise_cancellation: bool
    refuse_late_usage: bool
    credit_lines: bool = False
    eligibility_text: str | None
    source: str | None
    illustrative: bool
    illustrative_fields: list[str]


class FunderBudgetRead(BaseModel):
    name: str
    label: str
    share: str = Field(description="Decimal fraction of every movement this funder bears")
    account: str = Field(description="The funder's budget account in the ledger")
    funded_cny: str = Field(description="Moved in from the treasury, less what went back")
    unissued_cny: str = Field(description="Left in the funder's account (available)")
    committed_cny: str = Field(description="On vouchers: issued less returned")
    paid_cny: str = Field(description="Its share of what the program's vouchers spent")


class BudgetRead(BaseModel):
    program_id: int
    budget_cny: str = Field(description="Funded into the ledger from the treasury")
    unissued_cny: str = Field(description="Left in the budget account (available)")
    issued_cny: str = Field(description="Face value of every voucher issued")
    outstanding_cny: str = Field(description="Still spendable on live vouchers")
    held_cny: str = Field(description="Reserved on vouchers by contracts")
    spent_cny: str
    returned_cny: str = Field(description="Given back by expiry and clawback")
    awaiting_cny: str = Field(default="0.00", description="Later tranches of issued vouchers, "
                              "held on the budget until their milestones are confirmed")
    vouchers: int
    funders: list[FunderBudgetRead] = Field(
        default_factory=list, description="Co-funded programs: each funder's part")


class PresetRead(BaseModel):
    key: str
    city: str
    name: str
    name_zh: str
    year: int
    published: bool
    source: str
    eligibility_text: str
    redemption_text: str
    illustrative_fields: list[str]


class RuleCheckRead(BaseModel):
    path: str
    field: str
    op: str
    outcome: str
    effect: str
    key: str
    params: dict[str, str]
    en: str
    zh: str


class TierTriedRead(BaseModel):
    key: str
    name: str
    outcome: str
    checks: list[RuleCheckRead]


class TierChoiceRead(BaseModel):
    key: str | None = Field(description="The tier that applies; null: the program's own rates")
    undecided: str | None = Field(description="A tier passed over because a fact it reads "
                                              "is not given (a reviewer may set it)")
    rate: str
    max_rate: str
    cap_per_firm_cny: str | None
    tried: list[TierTriedRead] = Field(description="Each tier tried, in order, and why")
    why: str


class EvaluationRead(BaseModel):
    outcome: str = Field(description="pass, fail or needs_review")
    checks: list[RuleCheckRead]
    tier: TierChoiceRead | None = Field(default=None,
                                        description="Which rate tier applies, and why")
