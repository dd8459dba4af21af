"""The auditors' side: the queue of waiting clusters, decisions, holds.

A decision closes a case: ``approve`` accepts a provenance case or clears an attestation
mismatch (the cluster's attested GPUs are forgotten, so it must attest again before it
lists); ``lift`` ends a hold; ``reject`` on any case bars the cluster for good. Each
decision is audited and the cluster re-screened.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.providers import repository
from suanli.providers.models import (
    CaseKind,
    CaseStatus,
    Cluster,
    ClusterStatus,
    ComplianceCase,
    Decision,
)
from suanli.providers.service import (
    Listability,
    get_cluster,
    listability,
    open_case,
    provenance_documents,
    rescreen,
)

ALLOWED: dict[CaseKind, frozenset[Decision]] = {
    CaseKind.PROVENANCE: frozenset({Decision.APPROVE, Decision.REJECT}),
    CaseKind.ATTESTATION_MISMATCH: frozenset({Decision.APPROVE, Decision.REJECT}),
    CaseKind.HOLD: frozenset({Decision.LIFT, Decision.REJECT}),
}
WAITING = (ClusterStatus.PENDING, ClusterStatus.AWAITING_DECISION, ClusterStatus.SUSPENDED)


@dataclass(frozen=True)
class QueueEntry:
    cluster: Cluster
    listability: Listability
    open_cases: list[ComplianceCase]

    @property
    def needs_auditor(self) -> bool:
        return bool(self.open_cases)


def case_snapshot(case: ComplianceCase) -> dict[str, Any]:
    return {"kind": str(case.kind), "status": str(case.status),
            "decision": None if case.decision is None else str(case.decision),
            "decision_reason": case.decision_reason}


def get_case(session: Session, case_id: int) -> ComplianceCase:
    case = repository.case(session, case_id)
    if case is None:
        raise NotFound(f"no compliance case {case_id}", field="case_id")
    return case


def _check_decision(session: Session, case: ComplianceCase, decision: Decision,
                    reason: str) -> None:
    if case.status != CaseStatus.OPEN:
        raise Conflict(f"case {case.id} was already decided ({case.decision})",
                       field="decision")
    if decision not in ALLOWED[CaseKind(case.kind)]:
        allowed = " or ".join(sorted(ALLOWED[CaseKind(case.kind)]))
        raise ValidationFailed(f"a {case.kind} case is decided by {allowed}", field="decision")
    if not reason.strip():
        raise ValidationFailed("say why", field="reason")
    if (case.kind == CaseKind.PROVENANCE and decision == Decision.APPROVE
            and provenance_documents(session, case.cluster_id) == 0):
        raise Conflict("no provenance documents were uploaded for this cluster",
                       field="decision")


def decide(session: Session, *, case_id: int, decision: Decision | str, reason: str,
           user_id: int | None) -> ComplianceCase:
    """Close an open case with the auditor's decision and reason; re-screen the cluster."""
    case = get_case(session, case_id)
    choice = Decision(decision) if decision in set(Decision) else None
    if choice is None:
        raise ValidationFailed("must be approve, reject or lift", field="decision")
    _check_decision(session, case, choice, reason)
    before = case_snapshot(case)
    case.status, case.decision, case.decision_reason = CaseStatus.CLOSED, choice, reason.strip()
    case.decided_by_user_id, case.decided_at = user_id, utcnow()
    cluster = get_cluster(session, case.cluster_id, None)
    if case.kind == CaseKind.ATTESTATION_MISMATCH and choice == Decision.APPROVE:
        repository.forget_gpus(session, cluster.id)  # cleared: it must attest afresh
    session.flush()
    audit.record(session, action="compliance_case.decide", object_type="compliance_case",
                 object_id=case.id, before=before, after=case_snapshot(case),
                 organisation_id=case.organisation_id)
    outbox.emit(session, "compliance.case_decided", subject=("compliance_case", case.id),
                orgs={"provider": case.organisation_id}, payload={
                    "case_id": case.id, "cluster_id": case.cluster_id, "case_kind": case.kind,
                    "decision": choice, "reason": case.decision_reason})
    rescreen(session, cluster)
    return case


def hold(session: Session, *, cluster_id: int, reason: str) -> ComplianceCase:
    """Put a compliance hold on a cluster: its offers are off until the hold is lifted."""
    if not reason.strip():
        raise ValidationFailed("say why", field="reason")
    cluster = get_cluster(session, cluster_id, None)
    if cluster.status == ClusterStatus.REJECTED:
        raise Conflict("the cluster is rejected already", field="cluster_id")
    case = open_case(session, cluster=cluster, kind=CaseKind.HOLD,
                     details={"reason": reason.strip()})
    rescreen(session, cluster)
    return case


def queue(session: Session, scope: Collection[int] | None = None) -> list[QueueEntry]:
    """Every cluster that is not listable (and not rejected), with why it waits.

    Clusters with an open case, which need an auditor, come first, oldest case first.
    """
    clusters = repository.clusters(session, scope, statuses=WAITING)
    cases = repository.open_cases_for(session, [c.id for c in clusters])
    by_cluster: dict[int, list[ComplianceCase]] = {}
    for case in cases:
        by_cluster.setdefault(case.cluster_id, []).append(case)
    entries = [QueueEntry(c, listability(session, c), by_cluster.get(c.id, []))
               for c in clusters]
    return sorted(entries, key=lambda e: (not e.needs_auditor,
                                          e.open_cases[0].id if e.open_cases else 0,
                                          -e.cluster.id))
