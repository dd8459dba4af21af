"""The YAML scenario of a simulation: the policy under test and the world it meets.

A scenario has a ``seed``, a number of ``weeks``, a ``policy`` (what a city decides:
budget, voucher value, subsidy rates, eligibility, energy price), a ``world`` (what the
city does not decide: who arrives, what they want, what the data centres offer) and
``clearing`` (how the simulator runs rounds). Money is a decimal string of CNY with at
most two places (``"1000000.00"``), held as int fen; rates are decimals in [0, 1].
Unknown keys are refused. :func:`suanli.simulate.loading.load_scenario` reads a file and
names the YAML path of every problem, e.g. ``policy.rates.state: must be between 0 and 1``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from suanli.catalog.accelerators import load_accelerators
from suanli.catalog.network import load_cities, load_hubs
from suanli.kit.money import MoneyError, format_cny, parse_cny

HOURS_PER_WEEK = 168


def _fen(value: object) -> int:
    if isinstance(value, (float, bool)):
        raise ValueError('must be a decimal string such as "12.50"')
    if not isinstance(value, (str, int)):
        raise ValueError('must be a decimal string such as "12.50"')
    try:
        return parse_cny(value, field="value")
    except MoneyError as exc:
        raise ValueError(str(exc).removeprefix("value: ")) from None


def _non_negative_fen(value: object) -> int:
    fen = _fen(value)
    if fen < 0:
        raise ValueError("must be >= 0")
    return fen


def _positive_fen(value: object) -> int:
    fen = _fen(value)
    if fen <= 0:
        raise ValueError("must be > 0")
    return fen


def _rate(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError('must be a decimal such as "0.30"')
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError('must be a decimal such as "0.30"') from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise ValueError("must be between 0 and 1")
    if number != number.quantize(Decimal("0.0001")):
        raise ValueError("at most 4 decimal places")
    return number


# Fen inside; dumped to JSON as the decimal string it was read from, so that a dumped
# scenario validates back to the same scenario.
AS_TEXT = PlainSerializer(format_cny, return_type=str, when_used="json")
Fen = Annotated[int, BeforeValidator(_non_negative_fen), AS_TEXT]
PositiveFen = Annotated[int, BeforeValidator(_positive_fen), AS_TEXT]
Rate = Annotated[Decimal, BeforeValidator(_rate)]
Share = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known(value: str, known: list[str], what: str) -> str:
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}; known: {', '.join(known)}")
    return value


def _hub_ids() -> list[str]:
    return [hub.id for hub in load_hubs()]


def _city_ids() -> list[str]:
    return [city.id for city in load_cities()]


def _accelerator(model: str) -> str:
    """A catalogue model with the figures a clearing snapshot needs."""
    specs = {spec.model: spec for spec in load_accelerators()}
    _known(model, list(specs), "accelerator")
    spec = specs[model]
    if spec.tdp_w is None or spec.memory_gb is None or spec.bf16_tflops_dense is None:
        raise ValueError(f"{model} lacks a published TDP, memory or BF16 figure; choose another")
    return model


class Rates(Strict):
    """Subsidy rate by operator type of the data centre."""

    state: Rate
    commercial: Rate


class Thresholds(Strict):
    """Simple eligibility thresholds, compiled into the real rule tree (``rulespec``)."""

    cities: list[str] | None = None
    min_revenue_cny: Fen | None = None
    research_project_path: bool = True
    min_headcount: int | None = Field(default=None, ge=0)
    max_company_age_years: float | None = Field(default=None, gt=0)
    require_model_filing: bool = False
    no_credit_default: bool = True
    no_other_subsidy: bool = True

    @field_validator("cities")
    @classmethod
    def _cities(cls, value: list[str] | None) -> list[str] | None:
        for city in value or []:
            _known(city, _city_ids(), "city")
        return value


class Eligibility(Strict):
    """Either ``thresholds`` or a raw ``rule`` tree (``programs.rules`` JSON, checked by it).

    Applicants the rule sends to review are approved in ``review_approval_share`` of cases.
    """

    thresholds: Thresholds | None = None
    rule: dict[str, Any] | None = None
    review_approval_share: Share = 0.5

    @model_validator(mode="after")
    def _one_of(self) -> Eligibility:
        if (self.thresholds is None) == (self.rule is None):
            raise ValueError("give exactly one of thresholds or rule")
        return self


class Policy(Strict):
    """What the city decides."""

    budget_cny: Fen
    voucher_value_cny: PositiveFen
    rates: Rates
    domestic_bonus: Rate = Decimal(0)
    max_rate: Rate = Decimal(1)
    # Rates by applicant tier, exactly as a program holds them (programs/tiers.py); checked
    # by the programs core when the scenario is loaded.
    tiers: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    # Co-funding, exactly as a program holds it (programs/funders.py): [{name, label?,
    # share, source?}], each funder's part of the budget its own; a tier's `funder_shares`
    # splits its vouchers its own way. Checked by the programs core when loaded.
    funders: list[dict[str, Any]] = Field(default_factory=list, max_length=10)
    voucher_weeks: int = Field(default=52, ge=1)
    energy_price_cny_per_kwh: Fen = 0
    eligibility: Eligibility


class Revenue(Strict):
    """Annual revenue: a share with none, the rest log-normal around ``median_cny``."""

    median_cny: PositiveFen
    sigma: float = Field(default=1.0, ge=0, le=5)
    zero_share: Share = 0.2


class Startups(Strict):
    """Who arrives, from where, and what they look like to the eligibility rules."""

    initial: int = Field(default=0, ge=0)
    arrivals_per_week: float = Field(ge=0)
    max_startups: int | None = Field(default=None, ge=0)
    cities: dict[str, float] = Field(min_length=1)
    revenue: Revenue
    research_project_share: Share = 0.1
    headcount: tuple[int, int] = (3, 60)
    age_years: tuple[float, float] = (0.5, 8.0)
    model_filing_share: Share = 0.2
    credit_default_share: Share = 0.03
    other_subsidy_share: Share = 0.05
    unverified_revenue_share: Share = 0.05

    @field_validator("cities")
    @classmethod
    def _cities(cls, value: dict[str, float]) -> dict[str, float]:
        for city, weight in value.items():
            _known(city, _city_ids(), "city")
            if weight <= 0:
                raise ValueError(f"{city}: weight must be > 0")
        return value

    @field_validator("headcount", "age_years")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= value[0] <= value[1]:
            raise ValueError("must be [low, high] with 0 <= low <= high")
        return value


class Workload(Strict):
    """One kind of demand (training or inference): sizes, durations, chips, prices."""

    share: float = Field(ge=0)
    gpus: list[int] = Field(min_length=1)
    duration_hours: list[int] = Field(min_length=1)
    flexibility_hours: int = Field(default=24, ge=0, le=HOURS_PER_WEEK)
    accelerators: list[str] = Field(min_length=1)
    limit_cny_per_gpu_hour: tuple[PositiveFen, PositiveFen]
    max_latency_ms: int | None = Field(default=None, ge=1)

    @field_validator("gpus")
    @classmethod
    def _gpus(cls, value: list[int]) -> list[int]:
        if any(g < 1 for g in value):
            raise ValueError("every entry must be >= 1")
        return value

    @field_validator("duration_hours")
    @classmethod
    def _durations(cls, value: list[int]) -> list[int]:
        if any(not 1 <= h <= HOURS_PER_WEEK for h in value):
            raise ValueError(f"every entry must be between 1 and {HOURS_PER_WEEK}")
        return value

    @field_validator("accelerators")
    @classmethod
    def _accelerators(cls, value: list[str]) -> list[str]:
        for model in value:
            _accelerator(model)
        return value

    @field_validator("limit_cny_per_gpu_hour")
    @classmethod
    def _limits(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError("must be [low, high] with low <= high")
        return value


class Demand(Strict):
    """What active startups order each week."""

    orders_per_week: float = Field(default=1.0, ge=0)
    patience_weeks: int = Field(default=1, ge=0)
    buy_without_voucher: bool = True
    training: Workload
    inference: Workload

    @model_validator(mode="after")
    def _shares(self) -> Demand:
        if self.training.share + self.inference.share <= 0:
            raise ValueError("training.share + inference.share must be > 0")
        return self


class ClusterGroup(Strict):
    """``count`` clusters of one kind in one hub."""

    hub: str
    operator: Literal["state", "commercial"]
    accelerator: str
    count: int = Field(default=1, ge=1)
    gpus: int = Field(ge=1)
    ask_cny_per_gpu_hour: PositiveFen
    ask_spread: float = Field(default=0.0, ge=0, lt=1)
    pue: float | None = Field(default=None, ge=1, le=3)

    @field_validator("hub")
    @classmethod
    def _hub(cls, value: str) -> str:
        return _known(value, _hub_ids(), "hub")

    @field_validator("accelerator")
    @classmethod
    def _accelerator(cls, value: str) -> str:
        return _accelerator(value)


class World(Strict):
    """What the city does not decide."""

    startups: Startups
    demand: Demand
    clusters: list[ClusterGroup] = Field(min_length=1)
    delivery_ratio: Share = 1.0


class Clearing(Strict):
    """How rounds are run: one per week over a horizon of 168 hours in ``slot_hours`` slots."""

    slot_hours: int = Field(default=4, ge=1, le=HOURS_PER_WEEK)
    time_limit_s: float | None = Field(default=60.0, gt=0)
    broker: Literal["optimal", "greedy"] = "optimal"

    @field_validator("slot_hours")
    @classmethod
    def _divides_week(cls, value: int) -> int:
        if HOURS_PER_WEEK % value:
            raise ValueError(f"must divide {HOURS_PER_WEEK} (1, 2, 3, 4, 6, 7, 8, 12, 24, ...)")
        return value

    @property
    def slots(self) -> int:
        """Slots in one weekly round."""
        return HOURS_PER_WEEK // self.slot_hours


class Scenario(Strict):
    """A whole scenario file."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = Field(ge=0)
    weeks: int = Field(ge=1, le=104)
    policy: Policy
    world: World
    clearing: Clearing = Clearing()
