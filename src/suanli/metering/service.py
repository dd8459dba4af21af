"""Importing usage: refused if from the future, attributed, checked, deduplicated,
reconciled, stored.

`import_batch` handles one batch inside the caller's transaction (a CLI batch, an API
request): every row it accepts is written in one bulk insert together with the batch's own
row, so a batch is stored whole or not at all. A record's natural key (contract, source,
source reference, GPU UUID) makes re-importing the same file add nothing.

Usage ending more than `FUTURE_SKEW` after the platform's clock is refused, naming the
field that holds the end (`end`, sacct's `End`, a sample's `timestamp`). Rows naming a GPU
but no contract are attributed by placement (`locate`); time that belongs to no contract is
counted as unattributed and billed to no one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.kit.errors import NotFound, ValidationFailed
from suanli.kit.timeutil import utcnow
from suanli.market.models import Contract, ContractState
from suanli.metering import late_port, locate, repository, tokens
from suanli.metering.attribution import Unattributed
from suanli.metering.models import Channel, UsageBatch
from suanli.metering.parse_json import UsageRecordIn, to_rows
from suanli.metering.reconcile import Accepted, Terms, Verdict, reconcile
from suanli.metering.repository import Pending
from suanli.metering.rows import STAMP, RowError, Source, UsageRow
from suanli.providers import service as providers

MAX_STORED_ERRORS = 200
MAX_UNATTRIBUTED_SHOWN = 100
FUTURE_SKEW = timedelta(minutes=5)  # the reporter's clock may run this far ahead
END_FIELD = {Source.JSON: "end", Source.SACCT: "End", Source.PROMETHEUS: "timestamp"}


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
    unattributed: list[Unattributed] = field(default_factory=list)  # the first ones
    unattributed_gpu_seconds: Counter[str] = field(default_factory=Counter)  # by reason

    def lost(self, items: Sequence[Unattributed]) -> None:
        room = MAX_UNATTRIBUTED_SHOWN - len(self.unattributed)
        self.unattributed.extend(items[:max(room, 0)])
        for item in items:
            self.unattributed_gpu_seconds[item.reason] += item.gpu_seconds


def import_batch(session: Session, *, rows: Sequence[UsageRow], source: str, channel: Channel,
                 run: str, reporter: Reporter, errors: Sequence[RowError] = (),
                 filename: str | None = None, now: datetime | None = None) -> BatchReport:
    """Check, reconcile and store one batch of rows; refused rows are reported, not stored."""
    report = BatchReport(rows=len(rows), rejected=list(errors))
    current = _not_future(rows, now or utcnow(), report)
    located, lost = locate.attribute_rows(session, _clusters_of(session, current, reporter,
                                                                report))
    report.lost(lost)
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


def _not_future(rows: Sequence[UsageRow], now: datetime, report: BatchReport
                ) -> list[UsageRow]:
    """Rows that ended by now (give or take the clock skew); the others are refused."""
    limit = now + FUTURE_SKEW
    kept, refused = [], set()
    for row in rows:
        if row.ended_at <= limit:
            kept.append(row)
        elif row.line not in refused:
            refused.add(row.line)
            report.rejected.append(RowError(
                row.line, f"{row.ended_at:{STAMP}} is in the future (the platform's clock says "
                          f"{now:{STAMP}}; at most {FUTURE_SKEW.seconds // 60} minutes ahead "
                          "are allowed)", field=END_FIELD[row.source]))
    return kept


def _clusters_of(session: Session, rows: list[UsageRow], reporter: Reporter,
                 report: BatchReport) -> list[UsageRow]:
    """Rows whose named cluster exists and is the reporter's; the others are refused."""
    wanted = {r.cluster_id for r in rows if r.cluster_id is not None}
    if not wanted:
        return rows
    owners = repository.cluster_owners(session, wanted)
    out, refused = [], set()
    for row in rows:
        owner = owners.get(row.cluster_id or 0)
        if row.cluster_id is None or (owner is not None and (
                reporter.org_ids is None or owner in reporter.org_ids)):
            out.append(row)
        elif row.line not in refused:
            refused.add(row.line)
            report.foreign.append(RowError(row.line, f"no cluster {row.cluster_id} of yours",
                                           field="cluster_id"))
    return out


def _contracts(session: Session, rows: list[UsageRow], reporter: Reporter,
               report: BatchReport) -> dict[int, Contract]:
    """The rows' contracts the reporter may report for; other rows are refused."""
    wanted = {r.contract_id for r in rows if r.contract_id is not None}
    found = {c.id: c for c in repository.contract_facts(session, wanted)}
    refusing = late_port.refusing(session, found)  # settled to their end, late usage refused
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
        elif contract.id in refusing:
            report.rejected.append(RowError(row.line, refusing[contract.id],
                                            field=END_FIELD[row.source]))
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
    named = {cid for cid, group in by_contract.items() if any(r.gpu_uuid for r in group)}
    placed = locate.placed_spans(session, [contracts[c] for c in sorted(named)])
    verdicts: dict[int, Verdict] = {}
    for contract_id, group in by_contract.items():
        contract = contracts[contract_id]
        attested = (frozenset(providers.attested_gpu_uuids(session, contract.offer.cluster_id))
                    if contract_id in named else frozenset())
        accepted = [Accepted(s.gpu_uuid or None, s.gpus, s.started_at, s.ended_at, s.source_ref)
                    for s in stored.get(contract_id, []) if s.billable]
        terms = Terms(contract.start_at, contract.end_at, contract.gpus, attested,
                      placed.get(contract_id, {}))
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
        "flags": [str(f) for f in verdict.flags], "created_at": now,
    }


def unsettled(session: Session, *, contract_id: int, until: datetime | None) -> Pending:
    """The records of a contract that no settlement billed yet, ended by `until` (None:
    all): how many, the first ids, and the record id they run up to (for `mark_settled`).
    Nothing is loaded per record, whatever their number."""
    return repository.unsettled(session, contract_id, until)


def mark_settled(session: Session, *, contract_id: int, pending: Pending,
                 until: datetime | None, settlement_id: int) -> None:
    """Note that `settlement_id` billed the records `pending` counted (each is billed once):
    one row per settlement, no record rewritten."""
    repository.mark_settled(session, contract_id=contract_id, pending=pending, until=until,
                            settlement_id=settlement_id)


def report_usage(session: Session, *, records: Sequence[UsageRecordIn], reporter: Reporter,
                 run: str, now: datetime | None = None) -> BatchReport:
    """Usage sent to the API: stored whole, or refused naming the first bad record.

    A record naming a contract, cluster or model subscription that is not the reporter's
    is a 404, as if it did not exist. Time of a cluster's GPUs that no contract held is
    reported, not billed. Token records (`subscription_id`) go to `metering.tokens`.
    """
    token_records = [(i, r) for i, r in enumerate(records) if r.subscription_id is not None]
    took, again = tokens.record(session, records=token_records, org_ids=reporter.org_ids,
                                now=now) if token_records else (0, 0)
    rows = [row for i, record in enumerate(records) for row in to_rows(record, i + 1)]
    report = import_batch(session, rows=rows, source="json", channel=Channel.API, run=run,
                          reporter=reporter, now=now)
    report.accepted += took
    report.duplicates += again
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
