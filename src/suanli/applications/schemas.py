"""Request and response shapes of the applications API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from suanli.applications.models import CreditRecord
from suanli.applications.states import ApplicationStatus
from suanli.documents.schemas import DocumentRead
from suanli.programs.schemas import Cny, EvaluationRead
from suanli.programs.text import PLAIN, plain

Plain = Annotated[str, AfterValidator(plain), Field(json_schema_extra=PLAIN)]

Label = Annotated[str, Field(min_length=1, max_length=100, json_schema_extra=PLAIN),
                  AfterValidator(plain)]


class ProfileIn(BaseModel):
    """What the startup declares; leave a field out (or null) when it is not known."""

    model_config = ConfigDict(extra="forbid")

    registered_city: str | None = Field(default=None, max_length=64, examples=["shanghai"])
    annual_revenue_cny: Cny | None = None
    research_project_member: bool | None = Field(
        default=None, description="Member of a government-sponsored research project")
    research_project_number: Plain | None = Field(
        default=None, max_length=100)
    headcount: int | None = Field(default=None, ge=0, le=10_000_000)
    founded_on: date | None = None
    model_filings: int | None = Field(default=None, ge=0, le=100_000,
                                      description="Registered model filings")
    credit_record: CreditRecord | None = Field(
        default=None, description="ok: no default in 3 years; default_3y: a default")
    other_subsidies: list[Label] | None = Field(default=None, max_length=20,
                                                description="Other subsidies already held")
    organisation_type: Literal["company", "university", "research_institute"] | None = None
    project_lead: Literal["none", "provincial", "national"] | None = Field(
        default=None, description="Lead of a government project, and at which level")
    affiliates: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]] | None = \
        Field(default=None, max_length=50,
              description="Organisations (slugs) your firm is affiliated with: shareholders, "
                          "subsidiaries, sister companies")

    @field_validator("founded_on")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("must not be in the future")
        return value


class ProfileRead(ProfileIn):
    model_config = ConfigDict(extra="ignore")

    organisation_id: int
    updated_at: datetime | None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: ProfileIn | None = Field(
        default=None, description="Profile to test; without it, your startup's saved one")
    organisation_id: int | None = None


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    program_id: int
    requested_value_cny: Cny | None = Field(
        default=None, description="Within the program's range; default: its default value")
    organisation_id: int | None = Field(
        default=None, description="Your startup; needed only if you belong to several")
    call_id: int | None = Field(default=None, description="For a program with calls: the "
                                "call (default: the open one that closes first)")
    paired_provider: str | None = Field(
        default=None, max_length=64, description="Paired-voucher programs (Langfang): the "
        "provider (its slug) that receives the linked half; the voucher pays it only")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"]
    reason: Plain = Field(min_length=1, max_length=1000)
    value_cny: Cny | None = Field(default=None, description="Required to approve")
    tier: str | None = Field(default=None, max_length=32,
                             description="Approve under this rate tier (its key; \"base\" for "
                                         "the program's own rates); default: the one the rules "
                                         "chose")


class BatchDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_ids: list[int] = Field(min_length=1, max_length=100)
    decision: Literal["approve", "reject"]
    reason: Plain = Field(min_length=1, max_length=1000)


class BatchDecisionRead(BaseModel):
    application_id: int
    status: str | None = Field(description="After the decision; null when refused")
    error: dict[str, Any] | None = Field(description="Why it was refused: field and detail")


class EventRead(BaseModel):
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    actor_user_id: int | None
    reason: str | None
    at: datetime


class ApplicationRead(BaseModel):
    id: int
    program_id: int
    program: str
    organisation_id: int
    organisation: str
    status: ApplicationStatus
    waiting_for_budget: bool = Field(description="Approved (by the rules or a reviewer) but "
                                     "the program's budget could not cover it yet: its "
                                     "voucher is issued when budget is added")
    requested_value_cny: str | None
    value_cny: str | None
    evaluation: EvaluationRead | None = Field(description="The rules' verdict at submission")
    tier: str | None = Field(description="The rate tier that applies; null: the program's own "
                                         "rates")
    call_id: int | None = Field(default=None, description="The call it came in")
    paired_provider: str | None = Field(default=None, description="Paired-voucher programs: "
                                        "the provider receiving the linked half")
    approvals: list[dict[str, Any]] = Field(
        default_factory=list, description="Reviewers' approvals where two must agree")
    decision_reason: str | None
    voucher_id: int | None
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    events: list[EventRead]
    evidence: list[DocumentRead]
