"""All SQL of metering."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from suanli.kit.repository import paged
from suanli.kit.timeutil import as_utc
from suanli.market.models import Contract, ContractGpu, ContractState, Offer
from suanli.metering.attribution import Placed
from suanli.metering.gpu_runs import Edge, Neighbours
from suanli.metering.models import UsageBatch, UsageRecord, UsageSettled
from suanli.metering.rows import Source
from suanli.providers.models import AttestedGpu, Cluster, DataCentre

RECORDS = cast(Table, UsageRecord.__table__)
Key = tuple[int, str, str]  # (contract, source_ref, gpu_uuid) within one source
KEY_CHUNK = 500  # row-value IN lists stay well under SQLite's variable limit


@dataclass(frozen=True, slots=True)
class Stored:
    """A stored record as the importer compares new rows with it."""

    source: str
    source_ref: str
    gpu_uuid: str
    gpus: int
    started_at: datetime
    ended_at: datetime
    billable: bool


def records_in_span(session: Session, contract_id: int, since: datetime, until: datetime
                    ) -> list[Stored]:
    """A contract's records overlapping [since, until): for natural keys and reconciliation.

    Led by the (contract, end) index, so a batch in time order reads only its neighbours.
    """
    r = UsageRecord
    stmt = select(r.source, r.source_ref, r.gpu_uuid, r.gpus, r.started_at, r.ended_at,
                  r.billable_gpu_seconds).where(
        r.contract_id == contract_id, r.ended_at > since, r.started_at < until)
    return [Stored(src, ref, uuid, gpus, start, end, billable > 0)
            for src, ref, uuid, gpus, start, end, billable in session.execute(stmt)]


def add_batch(session: Session, batch: UsageBatch) -> UsageBatch:
    session.add(batch)
    session.flush()
    return batch


def insert_records(session: Session, batch_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Bulk insert (one executemany) skipping natural keys already stored; how many landed.

    The skip covers what the importer could not see: a record re-sent under its old key
    with another interval, or a concurrent import of the same file. (Drivers do not agree
    on an executemany's row count, so the batch's rows are counted.)
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":  # see usage_barrier; in order, so two imports never deadlock
        for contract_id in sorted({int(r["contract_id"]) for r in rows}):
            session.execute(text("SELECT pg_advisory_xact_lock_shared(:k, :c)"),
                            {"k": USAGE_LOCK, "c": contract_id})
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(make(RECORDS).on_conflict_do_nothing(), list(rows))
    stmt = select(func.count()).where(UsageRecord.batch_id == batch_id)
    return int(session.execute(stmt).scalar_one())


def clusters_of_uuids(session: Session, uuids: Collection[str]) -> dict[str, int]:
    """The attested cluster of each GPU UUID known to the platform."""
    out: dict[str, int] = {}
    ordered = sorted(uuids)
    for i in range(0, len(ordered), KEY_CHUNK):
        stmt = select(AttestedGpu.uuid, AttestedGpu.cluster_id).where(
            AttestedGpu.uuid.in_(ordered[i:i + KEY_CHUNK]))
        out.update({u: c for u, c in session.execute(stmt)})
    return out


def records_of(session: Session, contract_id: int, *, limit: int, offset: int
               ) -> tuple[list[UsageRecord], int]:
    stmt = (select(UsageRecord).where(UsageRecord.contract_id == contract_id)
            .order_by(UsageRecord.started_at, UsageRecord.id))
    return paged(session, stmt, limit=limit, offset=offset)


def summary_of(session: Session, contract_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """Per contract: (records, reported GPU-seconds, billable GPU-seconds)."""
    stmt = (select(UsageRecord.contract_id, func.count(), func.sum(UsageRecord.gpu_seconds),
                   func.sum(UsageRecord.billable_gpu_seconds))
            .where(UsageRecord.contract_id.in_(list(contract_ids)))
            .group_by(UsageRecord.contract_id))
    return {c: (int(n), int(g or 0), int(b or 0)) for c, n, g, b in session.execute(stmt)}


def keys_of_batch(session: Session, batch_id: int) -> set[Key]:
    stmt = select(UsageRecord.contract_id, UsageRecord.source_ref, UsageRecord.gpu_uuid).where(
        UsageRecord.batch_id == batch_id)
    return {(c, r, g) for c, r, g in session.execute(stmt)}


def flagged_count(session: Session, contract_id: int) -> int:
    stmt = select(func.count()).where(UsageRecord.contract_id == contract_id,
                                      UsageRecord.billable_gpu_seconds < UsageRecord.gpu_seconds)
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True, slots=True)
class Mark:
    """What one settlement billed of a contract (see `models.UsageSettled`)."""

    settlement_id: int
    through: int
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Pending:
    """A contract's records that no settlement billed yet, up to `through` (a record id):
    how many, and the first ids of them (as claim evidence)."""

    through: int
    records: int
    first_ids: list[int]


USAGE_LOCK = 14_001  # first key of the per-contract advisory lock (PostgreSQL)
LISTED = 1000  # record ids listed as evidence: the count is exact, the list is the first


def marks(session: Session, contract_id: int) -> list[Mark]:
    """The contract's settlement marks, oldest first."""
    m = UsageSettled
    stmt = (select(m.settlement_id, m.through_record_id, m.until)
            .where(m.contract_id == contract_id).order_by(m.id))
    return [Mark(int(s), int(t), u) for s, t, u in session.execute(stmt)]


def usage_barrier(session: Session, contract_id: int) -> int:
    """The largest id of the contract's records, read when none is in flight: on
    PostgreSQL under the contract's usage lock, which every import of its records holds
    (shared) until it commits (`insert_records`), so every record of the contract with a
    smaller id is visible now and every later one gets a larger id. SQLite has one writer."""
    newest = select(func.coalesce(func.max(UsageRecord.id), 0)).where(
        UsageRecord.contract_id == contract_id)
    if session.get_bind().dialect.name != "postgresql":
        return int(session.execute(newest).scalar_one())
    key = {"k": USAGE_LOCK, "c": contract_id}
    # Held only while reading (a session-level lock: a transaction-level one would keep
    # the contract's imports waiting for the whole run); the read sits in a savepoint so
    # that the unlock still runs if it fails (a statement timeout, say).
    session.execute(text("SELECT pg_advisory_lock(:k, :c)"), key)
    try:
        with session.begin_nested():
            return int(session.execute(newest).scalar_one())
    finally:
        session.execute(text("SELECT pg_advisory_unlock(:k, :c)"), key)


def _uncovered(contract_id: int, through: int, until: datetime | None, done: list[Mark]
               ) -> list[ColumnElement[bool]]:
    """Conditions: the contract's records up to `through` ended by `until` that no mark
    covers (a mark that another one covers is left out: usually one remains)."""
    r = UsageRecord
    out = [r.contract_id == contract_id, r.id <= through]
    if until is not None:
        out.append(r.ended_at <= until)
    for m in _frontier(done):
        out.append(r.id > m.through if m.until is None
                   else or_(r.id > m.through, r.ended_at > m.until))
    return out


def _frontier(done: list[Mark]) -> list[Mark]:
    def within(a: Mark, b: Mark) -> bool:  # a's records are all b's
        return a.through <= b.through and (b.until is None or (
            a.until is not None and a.until <= b.until))
    kept: list[Mark] = []
    for i, m in enumerate(done):
        if not any(within(m, o) and (not within(o, m) or j < i) for j, o in enumerate(done)
                   if j != i):
            kept.append(m)
    return kept


def unsettled(session: Session, contract_id: int, until: datetime | None) -> Pending:
    """Records of a contract ended by `until` (None: any) that no settlement billed yet:
    counted in SQL, never loaded (500,000 ORM objects took most of a day's settlement)."""
    through = usage_barrier(session, contract_id)
    where = _uncovered(contract_id, through, until, marks(session, contract_id))
    count = session.execute(select(func.count()).where(*where)).scalar_one()
    ids = session.execute(select(UsageRecord.id).where(*where).order_by(UsageRecord.id)
                          .limit(LISTED)).scalars()
    return Pending(through, int(count), [int(i) for i in ids])


def mark_settled(session: Session, *, contract_id: int, pending: Pending,
                 until: datetime | None, settlement_id: int) -> None:
    """Note that `settlement_id` billed the records `pending` counted: one row, whatever
    their number (rewriting each record took 30 s for 500,000 on PostgreSQL)."""
    session.add(UsageSettled(contract_id=contract_id, settlement_id=settlement_id,
                             through_record_id=pending.through, until=until))
    session.flush()


def settlements_of(session: Session, records: Sequence[UsageRecord]) -> dict[int, int]:
    """Record id -> the settlement that billed it (the first mark covering it)."""
    out: dict[int, int] = {}
    by_contract: dict[int, list[Mark]] = {}
    for record in records:
        if record.contract_id not in by_contract:
            by_contract[record.contract_id] = marks(session, record.contract_id)
        for m in by_contract[record.contract_id]:
            if record.id <= m.through and (m.until is None or record.ended_at <= m.until):
                out[record.id] = m.settlement_id
                break
    return out


def batches(session: Session, org_ids: Collection[int] | None, *, limit: int, offset: int
            ) -> tuple[list[UsageBatch], int]:
    stmt = select(UsageBatch).order_by(UsageBatch.id.desc())
    if org_ids is not None:
        stmt = stmt.where(UsageBatch.organisation_id.in_(list(org_ids)))
    return paged(session, stmt, limit=limit, offset=offset)


def batch_counts(session: Session, run: str) -> list[tuple[int, int, int]]:
    """(batch id, accepted as recorded, records actually stored) for one run."""
    stored = (select(UsageRecord.batch_id, func.count().label("n"))
              .group_by(UsageRecord.batch_id).subquery())
    stmt = (select(UsageBatch.id, UsageBatch.accepted, func.coalesce(stored.c.n, 0))
            .outerjoin(stored, stored.c.batch_id == UsageBatch.id)
            .where(UsageBatch.run == run).order_by(UsageBatch.id))
    return [(int(a), int(b), int(c)) for a, b, c in session.execute(stmt)]


# Read-only views of the market's contracts (the facts usage is reconciled against).
def contract_facts(session: Session, contract_ids: Collection[int]) -> list[Contract]:
    ids = sorted(contract_ids)
    out: list[Contract] = []
    for i in range(0, len(ids), KEY_CHUNK):
        stmt = select(Contract).where(Contract.id.in_(ids[i:i + KEY_CHUNK]))
        out.extend(session.execute(stmt).unique().scalars())
    return out


def contracts_on_clusters(session: Session, cluster_ids: Collection[int], since: datetime,
                          until: datetime) -> list[Contract]:
    """Contracts (not cancelled) on these clusters whose window overlaps [since, until)."""
    stmt = (select(Contract).join(Offer, Contract.offer_id == Offer.id)
            .where(Offer.cluster_id.in_(sorted(cluster_ids)),
                   Contract.state != ContractState.CANCELLED,
                   Contract.start_at < until, Contract.end_at > since)
            .order_by(Contract.id))
    return list(session.execute(stmt).unique().scalars())


def has_batches_by(session: Session, name: str) -> bool:
    stmt = select(UsageBatch.id).where(UsageBatch.created_by == name).limit(1)
    return session.execute(stmt).first() is not None


def placed_gpus(session: Session, uuids: Collection[str], since: datetime, until: datetime
                ) -> list[Placed]:
    """Placements of these GPUs on contracts (not cancelled) overlapping [since, until)."""
    out: list[Placed] = []
    ordered = sorted(uuids)
    for i in range(0, len(ordered), KEY_CHUNK):
        stmt = (select(ContractGpu.gpu_uuid, ContractGpu.contract_id, Offer.cluster_id,
                       ContractGpu.since, ContractGpu.until)
                .join(Contract, ContractGpu.contract_id == Contract.id)
                .join(Offer, Contract.offer_id == Offer.id)
                .where(ContractGpu.gpu_uuid.in_(ordered[i:i + KEY_CHUNK]),
                       ContractGpu.since < until, ContractGpu.until > since,
                       Contract.state != ContractState.CANCELLED))
        out.extend(Placed(u, c, k, a, b) for u, c, k, a, b in session.execute(stmt))
    return out


def placed_spans(session: Session, contract_ids: Collection[int]
                 ) -> dict[int, dict[str, list[tuple[datetime, datetime]]]]:
    """Per contract and GPU, when the GPU was placed on it."""
    out: dict[int, dict[str, list[tuple[datetime, datetime]]]] = {}
    ids = sorted(contract_ids)
    for i in range(0, len(ids), KEY_CHUNK):
        stmt = select(ContractGpu.contract_id, ContractGpu.gpu_uuid, ContractGpu.since,
                      ContractGpu.until).where(ContractGpu.contract_id.in_(ids[i:i + KEY_CHUNK]))
        for contract_id, uuid, since, until in session.execute(stmt):
            out.setdefault(contract_id, {}).setdefault(uuid, []).append((since, until))
    return out


def cluster_owners(session: Session, cluster_ids: Collection[int]) -> dict[int, int]:
    """The provider organisation of each cluster that exists."""
    stmt = select(Cluster.id, Cluster.organisation_id).where(Cluster.id.in_(sorted(cluster_ids)))
    return {c: o for c, o in session.execute(stmt)}


def zone_of_contract(session: Session, contract_id: int) -> tuple[str | None, str] | None:
    """The time zone of the data centre serving a contract, and the cluster's name."""
    stmt = (select(DataCentre.time_zone, Cluster.name)
            .join(Cluster, Cluster.data_centre_id == DataCentre.id)
            .join(Offer, Offer.cluster_id == Cluster.id)
            .join(Contract, Contract.offer_id == Offer.id).where(Contract.id == contract_id))
    found = session.execute(stmt).first()
    return None if found is None else (found[0], found[1])


def neighbours(session: Session, edges: Sequence[Edge], gap_s: int) -> list[Neighbours]:
    """For each edge, the stored DCGM records of its GPU just before its first sample and
    just after its last one (of its contract, when the edge names one)."""
    if not edges:
        return []
    r = UsageRecord
    firsts, lasts = [e.first.at for e in edges], [e.last.at for e in edges]
    ends = _near(session, r.ended_at, edges, min(firsts) - gap_s, max(firsts))
    starts = _near(session, r.started_at, edges, min(lasts), max(lasts) + gap_s)
    out = []
    for edge in edges:
        before = [t for c, t in ends.get(edge.uuid, [])
                  if edge.first.at - gap_s <= t <= edge.first.at
                  and edge.contract in (None, c)]
        after = [t for c, t in starts.get(edge.uuid, [])
                 if edge.last.at <= t <= edge.last.at + gap_s and edge.contract in (None, c)]
        out.append(Neighbours(max(before, default=None), min(after, default=None)))
    return out


def _near(session: Session, column: Any, edges: Sequence[Edge], lo: int, hi: int
          ) -> dict[str, list[tuple[int, int]]]:
    """(contract, time in seconds) of the edges' GPUs' DCGM records with `column` in
    [lo, hi]."""
    out: dict[str, list[tuple[int, int]]] = {}
    uuids = sorted({e.uuid for e in edges})
    since, until = _at(lo), _at(hi)
    for i in range(0, len(uuids), KEY_CHUNK):
        stmt = select(UsageRecord.gpu_uuid, UsageRecord.contract_id, column).where(
            UsageRecord.gpu_uuid.in_(uuids[i:i + KEY_CHUNK]),
            UsageRecord.source == str(Source.PROMETHEUS), column >= since, column <= until)
        for uuid, contract, at in session.execute(stmt):
            out.setdefault(uuid, []).append((contract, int(as_utc(at).timestamp())))
    return out


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
