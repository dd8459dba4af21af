"""Importing usage: contracts resolved and checked, duplicates dropped, reconciled, stored.

`import_batch` handles one batch inside the caller's transaction (a CLI batch, an API
request): every row it accepts is written in one bulk insert together with the batch's own
row, so a batch is stored whole or not at all. A record's natural key (contract, source,
source reference, GPU UUID) makes re-importing the same file add nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.market.models import Contract, ContractState
from suanli.metering import repository
from suanli.metering.models import Channel, UsageBatch, UsageRecord
from suanli.metering.parse_json import UsageRecordIn, to_rows
from suanli.metering.reconcile import Accepted, Terms, Verdict, reconcile
from suanli.metering.rows import RowError, UsageRow
from suanli.providers import service as providers

MAX_STORED_ERRORS = 200


@dataclass(frozen=True)
class Reporter:
    """Who reports: the provider organisations whose contracts rows may name (None: any)."""

    name: str
    org_ids: frozenset[int] | None
    organisation_id: int | None = None  # recorded on the batch


@dataclass
class BatchReport:
    batch_id: int | None = None
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    flagged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    foreign: list[RowError] = field(default_factory=list)  # contracts not the reporter's


def import_batch(session: Session, *, rows: Sequence[UsageRow], source: str, channel: Channel,
                 run: str, reporter: Reporter, errors: Sequence[RowError] = (),
                 filename: str | None = None) -> BatchReport:
    """Check, reconcile and store one batch of rows; refused rows are reported, not stored."""
    report = BatchReport(rows=len(rows), rejected=list(errors))
    located = _locate(session, rows, report)
    contracts = _contracts(session, located, reporter, report)
    usable = [r for r in located if r.contract_id in contracts]
    stored = _stored(session, usable)
    judged = _reconcile(session, contracts, _fresh(source, usable, stored, report), stored)
    if not rows and not errors:
        return report
    batch = repository.add_batch(session, UsageBatch(
        run=run, source=source, channel=channel, filename=filename,
        organisation_id=reporter.organisation_id, created_by=reporter.name,
        rejected=len(report.rejected) + len(report.foreign), errors=_stored_errors(report)))
    now = utcnow()
    landed = repository.insert_records(session, batch.id, [
        _record(batch.id, contracts[r.contract_id or 0], r, v, now) for r, v in judged])
    report.duplicates += len(judged) - landed  # raced in, or re-sent with another interval
    report.batch_id, report.accepted = batch.id, landed
    if landed < len(judged):
        kept = repository.keys_of_batch(session, batch.id)
        judged = [(r, v) for r, v in judged if _key(r) in kept]
    report.flagged = sum(1 for _, v in judged if v.flags)
    batch.accepted, batch.duplicates, batch.flagged = landed, report.duplicates, report.flagged
    session.flush()
    audit.record(session, action="usage.import", object_type="usage_batch", object_id=batch.id,
                 after={"run": run, "source": source, "channel": str(channel),
                        "accepted": batch.accepted, "duplicates": batch.duplicates,
                        "rejected": batch.rejected, "flagged": batch.flagged},
                 organisation_id=reporter.organisation_id)
    return report


def _stored_errors(report: BatchReport) -> list[dict[str, Any]]:
    both = sorted([*report.rejected, *report.foreign], key=lambda e: e.line)
    return [{"line": e.line, "field": e.field, "reason": e.reason}
            for e in both[:MAX_STORED_ERRORS]]


def _locate(session: Session, rows: Sequence[UsageRow], report: BatchReport) -> list[UsageRow]:
    """Rows with their contract: named, or found from the GPU's attested cluster."""
    unnamed = [r for r in rows if r.contract_id is None]
    if not unnamed:
        return list(rows)
    clusters = repository.clusters_of_uuids(session, {r.gpu_uuid or "" for r in unnamed})
    since = min(r.started_at for r in unnamed)
    until = max(r.ended_at for r in unnamed)
    running: dict[int, list[Contract]] = defaultdict(list)
    for contract in repository.contracts_on_clusters(session, set(clusters.values()), since,
                                                     until):
        running[contract.offer.cluster_id].append(contract)
    out = []
    for row in rows:
        if row.contract_id is not None:
            out.append(row)
            continue
        found = _contract_of_gpu(row, clusters, running)
        if isinstance(found, RowError):
            report.rejected.append(found)
        else:
            out.append(replace(row, contract_id=found))
    return out


def _contract_of_gpu(row: UsageRow, clusters: dict[str, int],
                     running: dict[int, list[Contract]]) -> int | RowError:
    cluster = clusters.get(row.gpu_uuid or "")
    if cluster is None:
        return RowError(row.line, f"{row.gpu_uuid} is not attested in any cluster; label the "
                                  "series with its contract", field="UUID")
    names = [c.id for c in running[cluster] if c.start_at <= row.started_at < c.end_at]
    if len(names) == 1:
        return names[0]
    if not names:
        return RowError(row.line, f"no contract was running on cluster {cluster} at "
                                  f"{row.started_at:%Y-%m-%dT%H:%M:%SZ}", field="UUID")
    return RowError(row.line, f"contracts {', '.join(map(str, names))} share cluster {cluster}; "
                              "label the series with its contract", field="contract")


def _contracts(session: Session, rows: list[UsageRow], reporter: Reporter,
               report: BatchReport) -> dict[int, Contract]:
    """The rows' contracts the reporter may report for; other rows are refused."""
    wanted = {r.contract_id for r in rows if r.contract_id is not None}
    found = {c.id: c for c in repository.contract_facts(session, wanted)}
    usable: dict[int, Contract] = {}
    for row in rows:
        contract = found.get(row.contract_id or 0)
        if contract is None or (reporter.org_ids is not None
                                and contract.provider_org_id not in reporter.org_ids):
            report.foreign.append(RowError(row.line, f"no contract {row.contract_id} of yours",
                                           field="contract_id"))
        elif contract.state == ContractState.CANCELLED:
            report.rejected.append(RowError(row.line, f"contract {contract.id} was cancelled",
                                            field="contract_id"))
        else:
            usable[contract.id] = contract
    return usable


def _stored(session: Session, rows: list[UsageRow]) -> dict[int, list[repository.Stored]]:
    """Per contract, the stored records overlapping the batch's rows (one query each)."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for row in rows:
        cid = row.contract_id or 0
        lo, hi = spans.get(cid, (row.started_at, row.ended_at))
        spans[cid] = (min(lo, row.started_at), max(hi, row.ended_at))
    return {cid: repository.records_in_span(session, cid, lo, hi)
            for cid, (lo, hi) in spans.items()}


def _fresh(source: str, rows: list[UsageRow], stored: dict[int, list[repository.Stored]],
           report: BatchReport) -> list[UsageRow]:
    """Rows whose natural key is neither stored nor repeated earlier in the batch."""
    seen = {(cid, s.source_ref, s.gpu_uuid) for cid, found in stored.items() for s in found
            if s.source == source}
    out = []
    for row in rows:
        key = _key(row)
        if key in seen:
            report.duplicates += 1
            continue
        seen.add(key)
        out.append(row)
    return out


def _key(row: UsageRow) -> tuple[int, str, str]:
    return (row.contract_id or 0, row.source_ref, row.gpu_uuid or "")


def _reconcile(session: Session, contracts: dict[int, Contract], rows: list[UsageRow],
               stored: dict[int, list[repository.Stored]]) -> list[tuple[UsageRow, Verdict]]:
    by_contract: dict[int, list[UsageRow]] = defaultdict(list)
    for row in rows:
        by_contract[row.contract_id or 0].append(row)
    verdicts: dict[int, Verdict] = {}
    for contract_id, group in by_contract.items():
        contract = contracts[contract_id]
        named = any(r.gpu_uuid for r in group)
        attested = (frozenset(providers.attested_gpu_uuids(session, contract.offer.cluster_id))
                    if named else frozenset())
        accepted = [Accepted(s.gpu_uuid or None, s.gpus, s.started_at, s.ended_at, s.source_ref)
                    for s in stored.get(contract_id, []) if s.billable]
        terms = Terms(contract.start_at, contract.end_at, contract.gpus, attested)
        for row, verdict in zip(group, reconcile(terms, accepted, group), strict=True):
            verdicts[id(row)] = verdict
    return [(row, verdicts[id(row)]) for row in rows]


def _record(batch_id: int, contract: Contract, row: UsageRow, verdict: Verdict,
            now: Any) -> dict[str, Any]:
    util = None if row.utilisation_pct is None else Decimal(f"{row.utilisation_pct:.2f}")
    return {
        "batch_id": batch_id, "contract_id": contract.id,
        "provider_org_id": contract.provider_org_id, "source": str(row.source),
        "source_ref": row.source_ref, "gpu_uuid": row.gpu_uuid or "", "gpus": row.gpus,
        "started_at": row.started_at, "ended_at": row.ended_at,
        "gpu_seconds": row.gpu_seconds, "billable_gpu_seconds": verdict.billable_gpu_seconds,
        "utilisation_pct": util, "hostname": row.hostname, "line": row.line,
        "flags": [str(f) for f in verdict.flags], "settlement_id": None, "created_at": now,
    }


def unsettled(session: Session, *, contract_id: int, until: datetime | None
              ) -> list[UsageRecord]:
    """Records of a contract that no settlement billed yet, ended by `until` (None: all)."""
    return repository.unsettled(session, contract_id, until)


def mark_settled(session: Session, *, record_ids: Sequence[int], settlement_id: int) -> None:
    """Note which settlement billed these records (each is billed once)."""
    repository.mark_settled(session, record_ids, settlement_id)


def records_of_settlement(session: Session, settlement_id: int) -> list[UsageRecord]:
    return repository.records_of_settlement(session, settlement_id)


def report_usage(session: Session, *, records: Sequence[UsageRecordIn], reporter: Reporter,
                 run: str) -> BatchReport:
    """Usage sent to the API: stored whole, or refused naming the first bad record.

    A record naming a contract that is not the reporter's is a 404, as if it did not exist.
    """
    rows = [row for i, record in enumerate(records) for row in to_rows(record, i + 1)]
    report = import_batch(session, rows=rows, source="json", channel=Channel.API, run=run,
                          reporter=reporter)
    if report.foreign:
        first = report.foreign[0]
        raise NotFound(first.reason, field=f"records[{first.line - 1}].{first.field}")
    if report.rejected:
        problems = [{"field": f"records[{e.line - 1}].{e.field or 'record'}",
                     "message": e.reason} for e in report.rejected]
        raise ValidationFailed(f"{problems[0]['field']}: {problems[0]['message']}",
                               field=problems[0]["field"], errors=problems)
    return report


def contract_for_reading(session: Session, contract_id: int, org_ids: frozenset[int] | None
                         ) -> Contract:
    """A contract whose usage the caller may read (its buyer or provider; None: anyone)."""
    found = repository.contract_facts(session, [contract_id])
    if not found or (org_ids is not None and found[0].provider_org_id not in org_ids
                     and found[0].buyer_org_id not in org_ids):
        raise NotFound(f"no contract {contract_id}", field="contract_id")
    return found[0]


def imported_by(session: Session, name: str) -> bool:
    """Whether anything was imported under this reporter name (the demo's marker)."""
    return repository.has_batches_by(session, name)
