"""Capacity grants: a provider applies with evidence, the program's reviewer decides, and
the listing period decides whether it is paid or clawed back.

Payment comes after the listing period, not at approval: the E-Town policy grants the share
to servers *listed* on the dispatch platform, so the listing is the condition paid for.
Approval reserves the grant: the ledger moves it from the program's budget to the grant's
own account (`capacity-grant:<id>`, which may not go below zero), so no voucher or other
grant can take it; `sweep` pays it to the provider's payout account once the period has
passed with the capacity listed throughout, or moves it back to the budget (clawback) as
soon as the capacity leaves early. Transfer ids are `capacity-grant:<id>:reserve|pay|
clawback`, so a retry or a second sweep moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth.models import Organisation
from suanli.documents import service as documents
from suanli.documents.models import Document, Purpose
from suanli.grants import listing, repository
from suanli.grants.models import CapacityGrant, GrantStatus
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.ledger import service as ledger
from suanli.ledger.errors import ExceedsCredits
from suanli.programs import grant_terms
from suanli.programs import repository as programs_repo
from suanli.programs.credit import ensure_account
from suanli.programs.enums import ProgramStatus
from suanli.programs.errors import BudgetExhausted
from suanli.programs.models import Program
from suanli.providers import repository as providers_repo
from suanli.providers.models import Cluster

EVIDENCE_OBJECT = "grant_evidence"  # documents attached to a cluster as grant evidence
MAX_EVIDENCE = 20


def snapshot(grant: CapacityGrant) -> dict[str, object]:
    return {"status": str(grant.status), "program_id": grant.program_id,
            "cluster_id": grant.cluster_id, "purchase_fen": grant.purchase_fen,
            "amount_fen": grant.amount_fen, "evidence": list(grant.evidence_document_ids)}


def terms_of(program: Program) -> grant_terms.GrantTerms:
    """The program's grant terms; 409 naming `program_id` when it makes no grants."""
    terms = grant_terms.parse(program.capacity_grant)
    if terms is None:
        raise Conflict(f"program {program.id} makes no capacity grants", field="program_id")
    return terms


def _program(session: Session, program_id: int) -> Program:
    program = programs_repo.get(session, program_id)
    if program is None or program.status == ProgramStatus.DRAFT:
        raise NotFound(f"no program {program_id}", field="program_id")
    return program


def _cluster(session: Session, cluster_id: int, provider_ids: Collection[int]) -> Cluster:
    cluster = providers_repo.cluster(session, cluster_id)
    if cluster is None or cluster.organisation_id not in provider_ids:
        raise NotFound(f"no cluster {cluster_id}", field="cluster_id")
    if not cluster.accelerator.domestic:
        raise ValidationFailed(
            f"the cluster's accelerator {cluster.accelerator.name} is not a domestic chip in "
            "the catalogue; grants pay only for domestic-chip servers", field="cluster_id")
    return cluster


def _evidence(session: Session, cluster: Cluster, ids: list[int]) -> list[int]:
    """The evidence documents: at least one, each uploaded by the provider as grant
    evidence of this cluster (the purchase invoice)."""
    if not ids:
        raise ValidationFailed("attach the purchase invoice (at least one document)",
                               field="evidence_document_ids")
    if len(ids) > MAX_EVIDENCE:
        raise ValidationFailed(f"at most {MAX_EVIDENCE} documents",
                               field="evidence_document_ids")
    for index, doc_id in enumerate(ids):
        doc = session.get(Document, doc_id) if isinstance(doc_id, int) else None
        if (doc is None or doc.owner_org_id != cluster.organisation_id
                or doc.object_type != EVIDENCE_OBJECT or doc.object_id != str(cluster.id)):
            raise ValidationFailed(f"no grant evidence {doc_id} of cluster {cluster.id}",
                                   field=f"evidence_document_ids[{index}]")
    return sorted(set(ids))


def submit(session: Session, *, provider_ids: Collection[int], program_id: int,
           cluster_id: int, purchase_fen: int, grant_fen: int | None,
           evidence_document_ids: list[int], user_id: int | None) -> CapacityGrant:
    """A provider's application for a grant on a domestic-chip cluster it owns. Refused
    naming the field: a program without grants (`program_id`), a foreign chip
    (`cluster_id`), amounts of 0 or less or above the share or cap (`purchase_cny`,
    `grant_cny`), no evidence (`evidence_document_ids`), a second open grant of the same
    program on the cluster (409, `cluster_id`)."""
    program = _program(session, program_id)
    terms = terms_of(program)
    cluster = _cluster(session, cluster_id, provider_ids)
    amount = grant_terms.check_request(terms, purchase_fen=purchase_fen, grant_fen=grant_fen)
    evidence = _evidence(session, cluster, evidence_document_ids)
    if repository.open_on_cluster(session, program.id, cluster.id) is not None:
        raise Conflict(f"cluster {cluster.id} already has a grant of this program",
                       field="cluster_id")
    grant = repository.add(session, CapacityGrant(
        program_id=program.id, cluster_id=cluster.id, provider_org_id=cluster.organisation_id,
        purchase_fen=purchase_fen, amount_fen=amount, share_bp=terms.share_bp,
        cap_fen=terms.cap_fen, listing_days=terms.listing_days,
        evidence_document_ids=evidence, status=GrantStatus.SUBMITTED, submitted_by=user_id))
    audit.record(session, action="capacity_grant.submit", object_type="capacity_grant",
                 object_id=grant.id, after=snapshot(grant),
                 organisation_id=cluster.organisation_id)
    return grant


def facts(session: Session, grant: CapacityGrant, now: datetime) -> listing.ListingFacts:
    cluster = providers_repo.cluster(session, grant.cluster_id)
    assert cluster is not None  # a foreign key
    return listing.ListingFacts(
        cluster_status=str(cluster.status),
        live_offers=repository.live_offers(session, cluster.id, now),
        gpus_attested=providers_repo.attested_counts(session, cluster.id)[1],
        gpus_granted=grant.gpus_listed)


def decide(session: Session, *, reviewer_ids: Collection[int], grant_id: int, approve: bool,
           reason: str, user_id: int | None, now: datetime | None = None) -> CapacityGrant:
    """A reviewer of the program's authority approves (reserving the grant on the ledger
    and starting the listing period) or rejects a submitted grant. Approval needs the
    capacity listed now (409 naming `cluster_id`) and the budget (409 `budget-exhausted`)."""
    now = now or utcnow()
    if not reason.strip():
        raise ValidationFailed("give a reason", field="reason")
    grant = repository.get(session, grant_id, lock=True)
    program = None if grant is None else programs_repo.lock(session, grant.program_id)
    if grant is None or program is None or program.authority_org_id not in reviewer_ids:
        raise NotFound(f"no capacity grant {grant_id}", field="grant_id")
    if grant.status != GrantStatus.SUBMITTED:
        raise Conflict(f"the grant is {grant.status}, not submitted", field="decision")
    before = snapshot(grant)
    if approve:
        _approve(session, grant, program, now)
    else:
        grant.status = GrantStatus.REJECTED
    grant.decided_by, grant.decided_at, grant.decision_reason = user_id, now, reason.strip()
    session.flush()
    audit.record(session, action=f"capacity_grant.{'approve' if approve else 'reject'}",
                 object_type="capacity_grant", object_id=grant.id, before=before,
                 after={**snapshot(grant), "reason": grant.decision_reason},
                 organisation_id=grant.provider_org_id)
    return grant


def _approve(session: Session, grant: CapacityGrant, program: Program, now: datetime) -> None:
    if program.funders:
        raise Conflict("a co-funded program pays no capacity grants (one budget account "
                       "only)", field="program_id")
    found = facts(session, grant, now)
    left = listing.problem(found)
    if left is not None:
        raise Conflict(f"the capacity is not listed: {left.en}", field="cluster_id")
    ensure_account(session, code=grant.account, kind=ledger.AccountKind.PROGRAM_BUDGET,
                   owner=program.authority_org_id, floor=True,
                   name=f"Capacity grant {grant.id} awaiting its listing period")
    try:
        ledger.transfer(session, id=f"{grant.account}:reserve", debit=program.budget_account,
                        credit=grant.account, amount=grant.amount_fen,
                        reason="capacity-grant-reserve", ref=f"program:{program.id}", now=now)
    except ExceedsCredits as exc:
        raise BudgetExhausted("the program's budget has less left than this grant",
                              field="amount_cny") from exc
    grant.status = GrantStatus.APPROVED
    grant.gpus_listed = found.gpus_attested
    grant.listed_from = now
    grant.listed_until = now + timedelta(days=grant.listing_days)


def _payout_account(session: Session, org_id: int) -> str:
    org = session.get(Organisation, org_id)
    assert org is not None  # a foreign key
    return ensure_account(session, code=f"provider-payout:{org.slug}", owner=org.id,
                          kind=ledger.AccountKind.PROVIDER_PAYOUT,
                          name=f"Payouts to {org.name}")


@dataclass
class SweepReport:
    paid: list[int]
    clawed_back: list[int]
    waiting: int


def settle_one(session: Session, grant_id: int, *, now: datetime) -> GrantStatus | None:
    """Pay or claw back one approved grant as its listing says; None: it keeps waiting."""
    grant = repository.get(session, grant_id, lock=True)
    if grant is None or grant.status != GrantStatus.APPROVED:
        return None
    assert grant.listed_until is not None
    left = listing.problem(facts(session, grant, now))
    program = programs_repo.get(session, grant.program_id)
    assert program is not None
    before = snapshot(grant)
    if left is not None:
        ledger.transfer(session, id=f"{grant.account}:clawback", debit=grant.account,
                        credit=program.budget_account, amount=grant.amount_fen,
                        reason="capacity-grant-clawback", ref=f"program:{program.id}", now=now)
        grant.status, grant.clawed_back_at, grant.clawback_reason = (
            GrantStatus.CLAWED_BACK, now, f"{left.key}: {left.en}")
    elif now >= grant.listed_until:
        ledger.transfer(session, id=f"{grant.account}:pay", debit=grant.account,
                        credit=_payout_account(session, grant.provider_org_id),
                        amount=grant.amount_fen, reason="capacity-grant-pay",
                        ref=f"program:{program.id}", now=now)
        grant.status, grant.paid_at = GrantStatus.PAID, now
    else:
        return None
    session.flush()
    audit.record(session, action=f"capacity_grant.{grant.status}", object_type="capacity_grant",
                 object_id=grant.id, before=before,
                 after={**snapshot(grant), "reason": grant.clawback_reason},
                 organisation_id=grant.provider_org_id)
    return grant.status


def sweep(session: Session, *, now: datetime | None = None) -> SweepReport:
    """Every approved grant: paid once its listing period has passed with the capacity
    listed, clawed back as soon as the capacity has left; safe to run twice."""
    now = now or utcnow()
    report = SweepReport(paid=[], clawed_back=[], waiting=0)
    for grant_id in repository.approved_ids(session):
        outcome = settle_one(session, grant_id, now=now)
        if outcome == GrantStatus.PAID:
            report.paid.append(grant_id)
        elif outcome == GrantStatus.CLAWED_BACK:
            report.clawed_back.append(grant_id)
        else:
            report.waiting += 1
    return report


def evidence_documents(session: Session, grant: CapacityGrant) -> list[Document]:
    found = (session.get(Document, i) for i in grant.evidence_document_ids)
    return [d for d in found if d is not None]


def upload_evidence(session: Session, *, provider_ids: Collection[int], cluster_id: int,
                    filename: str, data: bytes, user_id: int | None) -> Document:
    """A purchase invoice (or other evidence) attached to the provider's own cluster."""
    cluster = providers_repo.cluster(session, cluster_id)
    if cluster is None or cluster.organisation_id not in provider_ids:
        raise NotFound(f"no cluster {cluster_id}", field="cluster_id")
    return documents.upload(session, owner_org_id=cluster.organisation_id, uploaded_by=user_id,
                            filename=filename, data=data,
                            purpose=Purpose.EVIDENCE, object_type=EVIDENCE_OBJECT,
                            object_id=cluster.id)
