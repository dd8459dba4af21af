"""Receiving signed attestations: verify, compare with the claim, record, re-screen.

See ``attestation.py`` for the payload, the signature and what counts as a mismatch.
A matching node's GPUs replace that node's earlier ones; a mismatch records nothing as
attested, suspends the cluster and opens (or extends) an attestation-mismatch case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from suanli import outbox
from suanli.audit import service as audit
from suanli.catalog import service as catalog
from suanli.catalog.reported_names import model_for
from suanli.kit.errors import Conflict, ValidationFailed
from suanli.kit.timeutil import as_utc, utcnow
from suanli.providers import repository
from suanli.providers.attestation import (
    WINDOW,
    Claim,
    ReportedGpu,
    compare,
    verify,
    within_window,
)
from suanli.providers.errors import BadSignature, Replayed
from suanli.providers.models import (
    Attestation,
    AttestedGpu,
    CaseKind,
    CaseStatus,
    Cluster,
    ClusterStatus,
    Decision,
    Verdict,
)
from suanli.providers.schemas import AttestationPayload
from suanli.providers.screening import Reason, Screening
from suanli.providers.service import get_cluster, open_case, rescreen


@dataclass(frozen=True)
class Outcome:
    attestation: Attestation
    problems: tuple[Reason, ...]
    screening: Screening


def _parse(payload: dict[str, Any], cluster_id: int, now: datetime) -> AttestationPayload:
    try:
        parsed = AttestationPayload.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValidationFailed(first["msg"], field=f"payload.{where}") from None
    if parsed.cluster_id != cluster_id:
        raise ValidationFailed(f"is {parsed.cluster_id}, but this is cluster {cluster_id}",
                               field="payload.cluster_id")
    if not within_window(as_utc(parsed.timestamp), now):
        drift = int(abs((now - as_utc(parsed.timestamp)).total_seconds()))
        raise ValidationFailed(
            f"is {drift} s away from the platform's clock; at most "
            f"{int(WINDOW.total_seconds())} s are accepted (check the node's clock)",
            field="payload.timestamp")
    return parsed


def _checked(session: Session, cluster: Cluster, payload: dict[str, Any], signature: str,
             now: datetime) -> AttestationPayload:
    if cluster.status == ClusterStatus.REJECTED:
        raise Conflict("the auditor rejected this cluster; it cannot be attested",
                       field="cluster_id")
    if cluster.attestation_key is None:
        raise Conflict("register the cluster's attestation public key first",
                       field="attestation_key")
    if not verify(payload, signature, cluster.attestation_key):
        raise BadSignature("does not verify with the cluster's registered public key",
                           field="signature")
    parsed = _parse(payload, cluster.id, now)
    if repository.nonce_used(session, cluster.id, parsed.nonce):
        raise Replayed("this attestation was already received (nonce seen before)",
                       field="payload.nonce")
    return parsed


def _record_gpus(session: Session, cluster: Cluster, attestation: Attestation,
                 gpus: tuple[ReportedGpu, ...], names: dict[str, str]) -> None:
    repository.forget_gpus(session, cluster.id, hostname=attestation.hostname)
    for gpu in gpus:
        session.add(AttestedGpu(
            cluster_id=cluster.id, attestation_id=attestation.id,
            hostname=attestation.hostname, gpu_index=gpu.index, uuid=gpu.uuid, name=gpu.name,
            model=model_for(gpu.name, names) or "", memory_total_mib=gpu.memory_total_mib,
            attested_at=attestation.received_at))
    cluster.attested_at = attestation.received_at
    session.flush()


def _flag_mismatch(session: Session, cluster: Cluster, attestation: Attestation,
                   problems: tuple[Reason, ...]) -> None:
    entries = [p.as_dict() for p in problems]
    outbox.emit(session, "attestation.mismatch", subject=("cluster", cluster.id), orgs={
        "provider": cluster.organisation_id}, payload={"cluster_id": cluster.id, "hostname":
        attestation.hostname, "problems": "; ".join(p.text for p in problems)})
    for case in repository.cases_of(session, cluster.id, status=CaseStatus.OPEN,
                                    kind=CaseKind.ATTESTATION_MISMATCH):
        # One open case per cluster gathers every mismatching attestation.
        details = dict(case.details)
        details["problems"] = [*details.get("problems", []),
                               *[e for e in entries if e not in details.get("problems", [])]]
        details["attestations"] = [*details.get("attestations", []), attestation.id]
        case.details = details
        session.flush()
        return
    open_case(session, cluster=cluster, kind=CaseKind.ATTESTATION_MISMATCH, details={
        "problems": entries, "attestations": [attestation.id],
        "claims": {"model": cluster.accelerator_model, "nodes": cluster.nodes,
                   "gpus_per_node": cluster.gpus_per_node},
        "reported": {"hostname": attestation.hostname,
                     "gpus": attestation.payload.get("gpus", [])}})


def _lift_cleared_mismatches(session: Session, cluster: Cluster,
                             attestation: Attestation) -> None:
    """Close a mismatch case once every node it names has since attested and matched."""
    for case in repository.cases_of(session, cluster.id, status=CaseStatus.OPEN,
                                    kind=CaseKind.ATTESTATION_MISMATCH):
        hosts = repository.hostnames_of(session, case.details.get("attestations", []))
        verdicts = repository.latest_verdicts(session, cluster.id, hosts)
        if not hosts or any(verdicts.get(h) != Verdict.MATCH for h in hosts):
            continue
        before = {"status": str(case.status), "decision": None}
        case.status, case.decision = CaseStatus.CLOSED, Decision.LIFT
        case.decision_reason = (f"node(s) {', '.join(sorted(hosts))} attested again and "
                                f"matched (attestation {attestation.id})")
        case.decided_at = attestation.received_at
        session.flush()
        audit.record(session, action="compliance_case.lift_by_attestation",
                     object_type="compliance_case", object_id=case.id, before=before,
                     after={"status": str(case.status), "decision": str(case.decision),
                            "decision_reason": case.decision_reason,
                            "attestation_id": attestation.id},
                     organisation_id=case.organisation_id)


def receive(session: Session, *, org_ids: Collection[int], cluster_id: int,
            payload: dict[str, Any], signature: str, now: datetime | None = None) -> Outcome:
    """Verify and record one node's attestation; the cluster is re-screened.

    Refused (nothing recorded): another organisation's cluster (404), no key or a
    rejected cluster (409), a bad signature (422 ``signature``), a malformed payload,
    a payload for another cluster or outside the time window (422 ``payload.*``), a
    replayed nonce (409 ``payload.nonce``).
    """
    now = now or utcnow()
    cluster = get_cluster(session, cluster_id, org_ids)
    parsed = _checked(session, cluster, payload, signature, now)
    gpus = tuple(ReportedGpu(g.index, g.name, g.uuid, g.memory_total_mib) for g in parsed.gpus)
    claim = Claim(cluster.accelerator_model, cluster.nodes, cluster.gpus_per_node,
                  frozenset(repository.attested_hosts(session, cluster.id)))
    elsewhere = repository.gpus_attested_elsewhere(session, cluster.id, [g.uuid for g in gpus])
    names = catalog.reported_name_table(session)
    problems = compare(claim, parsed.hostname, gpus, elsewhere, names)
    attestation = Attestation(
        cluster_id=cluster.id, hostname=parsed.hostname, nonce=parsed.nonce,
        reported_at=as_utc(parsed.timestamp), received_at=now, gpu_count=len(gpus),
        payload=payload, signature=signature, verdict=Verdict.MISMATCH if problems
        else Verdict.MATCH, problems=[p.as_dict() for p in problems])
    repository.add(session, attestation)
    if problems:
        _flag_mismatch(session, cluster, attestation, problems)
    else:
        _record_gpus(session, cluster, attestation, gpus, names)
        _lift_cleared_mismatches(session, cluster, attestation)
    audit.record(session, action="attestation.receive", object_type="cluster",
                 object_id=cluster.id, after={
                     "attestation_id": attestation.id, "hostname": parsed.hostname,
                     "gpus": len(gpus), "verdict": str(attestation.verdict),
                     "problems": [p.text for p in problems]},
                 organisation_id=cluster.organisation_id)
    return Outcome(attestation, problems, rescreen(session, cluster))
