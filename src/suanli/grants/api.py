"""JSON routes of capacity grants: a provider applies, the program's reviewer decides, all
involved read the state; the platform runs the listing sweep (also `suanli grants sweep`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

import suanli.grants.evidence  # noqa: F401  (registers the evidence object type)
from suanli.auth.principal import Principal
from suanli.auth.roles import Role
from suanli.deps import DbSession, Guard, Idempotent
from suanli.grants import listing, repository, service
from suanli.grants import permissions as perms
from suanli.grants.models import CapacityGrant, GrantStatus
from suanli.kit.errors import NotFound
from suanli.kit.money import POSITIVE_PATTERN, format_cny, parse_cny
from suanli.kit.text import NOT_BLANK
from suanli.kit.timeutil import utcnow
from suanli.market.schemas import MAX_ID
from suanli.programs import repository as programs_repo
from suanli.programs.rates import format_rate

router = APIRouter(tags=["capacity grants"])
Applicant = Annotated[Principal, Guard(perms.GRANTS_APPLY)]
Reader = Annotated[Principal, Guard(perms.GRANTS_READ)]
Decider = Annotated[Principal, Guard(perms.GRANTS_DECIDE)]
Sweeper = Annotated[Principal, Guard(perms.GRANTS_SWEEP)]


class GrantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    program_id: int = Field(ge=1, le=MAX_ID)
    cluster_id: int = Field(ge=1, le=MAX_ID, description="Your cluster of domestic-chip servers")
    purchase_cny: str = Field(max_length=24, examples=["80000000.00"],
                              json_schema_extra={"pattern": POSITIVE_PATTERN},
                              description="What the servers cost")
    grant_cny: str | None = Field(default=None, max_length=24,
                                  json_schema_extra={"pattern": POSITIVE_PATTERN},
                                  description="Default: the most the terms allow")
    evidence_document_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list, max_length=service.MAX_EVIDENCE,
        description="Uploads with object_type=grant_evidence, object_id=<cluster id> "
                    "(the purchase invoice)")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    reason: str = Field(max_length=1000, json_schema_extra={"pattern": NOT_BLANK})


class ListingRead(BaseModel):
    listed: bool
    problem: str | None = Field(description="Why the capacity is not listed now")


class GrantRead(BaseModel):
    id: int
    program_id: int
    cluster_id: int
    provider_org_id: int
    status: GrantStatus
    purchase_cny: str
    grant_cny: str
    share: str
    cap_cny: str | None
    listing_days: int
    evidence_document_ids: list[int]
    submitted_at: datetime
    decided_at: datetime | None
    decision_reason: str | None
    gpus_listed: int | None
    listed_from: datetime | None
    listed_until: datetime | None = Field(description="Paid after this if still listed")
    paid_at: datetime | None
    clawed_back_at: datetime | None
    clawback_reason: str | None
    account: str = Field(description="The grant's ledger account while it is reserved")
    listing: ListingRead | None = Field(description="The listing now (approved grants)")


class SweepRead(BaseModel):
    paid: list[int]
    clawed_back: list[int]
    waiting: int


def grant_read(session: Session, grant: CapacityGrant) -> GrantRead:
    now_listing = None
    if grant.status == GrantStatus.APPROVED:
        left = listing.problem(service.facts(session, grant, utcnow()))
        now_listing = ListingRead(listed=left is None, problem=None if left is None else left.en)
    return GrantRead(
        id=grant.id, program_id=grant.program_id, cluster_id=grant.cluster_id,
        provider_org_id=grant.provider_org_id, status=grant.status,
        purchase_cny=format_cny(grant.purchase_fen), grant_cny=format_cny(grant.amount_fen),
        share=format_rate(grant.share_bp),
        cap_cny=None if grant.cap_fen is None else format_cny(grant.cap_fen),
        listing_days=grant.listing_days, evidence_document_ids=grant.evidence_document_ids,
        submitted_at=grant.submitted_at, decided_at=grant.decided_at,
        decision_reason=grant.decision_reason, gpus_listed=grant.gpus_listed,
        listed_from=grant.listed_from, listed_until=grant.listed_until, paid_at=grant.paid_at,
        clawed_back_at=grant.clawed_back_at, clawback_reason=grant.clawback_reason,
        account=grant.account, listing=now_listing)


def visible(session: Session, principal: Principal) -> list[CapacityGrant]:
    """The grants a caller sees: all (platform, regulator), its programs' (authorities),
    its own (providers)."""
    if principal.has_role(Role.PLATFORM_ADMIN) or principal.has_role(Role.AUDITOR):
        return repository.grants(session)
    authorities = principal.org_ids(Role.PROGRAM_ADMIN, Role.REVIEWER)
    program_ids = [p.id for p in programs_repo.programs(session, authority_ids=authorities,
                                                                  public=False)
                   ] if authorities else []
    return repository.grants(session, provider_ids=principal.org_ids(Role.PROVIDER),
                             authority_program_ids=program_ids)


def one(session: Session, principal: Principal, grant_id: int) -> CapacityGrant:
    """A grant the caller may see; 404 otherwise (whether or not it exists)."""
    grant = repository.get(session, grant_id)
    if grant is not None and (principal.has_role(Role.PLATFORM_ADMIN)
                              or principal.has_role(Role.AUDITOR)
                              or grant.provider_org_id in principal.org_ids(Role.PROVIDER)):
        return grant
    program = None if grant is None else programs_repo.get(session, grant.program_id)
    if grant is None or program is None or program.authority_org_id not in principal.org_ids(
            Role.PROGRAM_ADMIN, Role.REVIEWER):
        raise NotFound(f"no capacity grant {grant_id}", field="grant_id")
    return grant


def money(value: str | None, field: str) -> int | None:
    return None if value is None else parse_cny(value, field=field, negative=True)


@router.post("/capacity-grants", response_model=GrantRead, status_code=201,
             summary="Apply for a capacity grant on your domestic-chip cluster, with the "
                     "purchase invoice as evidence")
def submit_grant(body: GrantIn, session: DbSession, principal: Applicant,
                 _key: Idempotent) -> GrantRead:
    purchase = money(body.purchase_cny, "purchase_cny")
    assert purchase is not None
    grant = service.submit(session, provider_ids=principal.org_ids_with(perms.GRANTS_APPLY),
                           program_id=body.program_id, cluster_id=body.cluster_id,
                           purchase_fen=purchase, grant_fen=money(body.grant_cny, "grant_cny"),
                           evidence_document_ids=body.evidence_document_ids,
                           user_id=principal.user_id)
    return grant_read(session, grant)


@router.get("/capacity-grants", response_model=list[GrantRead],
            summary="Capacity grants: a provider's own, an authority's programs', or all")
def list_grants(session: DbSession, principal: Reader) -> list[GrantRead]:
    return [grant_read(session, g) for g in visible(session, principal)]


@router.get("/capacity-grants/{grant_id}", response_model=GrantRead,
            summary="One capacity grant, with its listing now")
def get_grant(grant_id: int, session: DbSession, principal: Reader) -> GrantRead:
    return grant_read(session, one(session, principal, grant_id))


@router.post("/capacity-grants/{grant_id}/decision", response_model=GrantRead,
             summary="Approve (reserve the grant, start the listing period) or reject")
def decide_grant(grant_id: int, body: DecisionIn, session: DbSession, principal: Decider,
                 _key: Idempotent) -> GrantRead:
    grant = service.decide(session, reviewer_ids=principal.org_ids_with(perms.GRANTS_DECIDE),
                           grant_id=grant_id, approve=body.decision == "approve",
                           reason=body.reason, user_id=principal.user_id)
    return grant_read(session, grant)


@router.post("/capacity-grants/sweep", response_model=SweepRead,
             summary="Pay grants whose listing period passed; claw back those whose "
                     "capacity left early (safe to run twice)")
def sweep_grants(session: DbSession, principal: Sweeper, _key: Idempotent) -> SweepRead:
    report = service.sweep(session)
    return SweepRead(paid=report.paid, clawed_back=report.clawed_back, waiting=report.waiting)
