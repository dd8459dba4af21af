"""All SQL of metering."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy import (
    inspect as sa_inspect,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from suanli.kit.repository import paged
from suanli.kit.timeutil import as_utc
from suanli.market.models import Contract, ContractGpu, ContractState, Offer
from suanli.metering.attribution import Placed
from suanli.metering.gpu_runs import Edge, Neighbours
from suanli.metering.models import UsageBatch, UsageRecord
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


def unsettled(session: Session, contract_id: int, until: datetime | None
              ) -> list[UsageRecord]:
    """Records of a contract ended by `until` (None: any) that no settlement billed yet."""
    stmt = (select(UsageRecord).where(UsageRecord.contract_id == contract_id,
                                      UsageRecord.settlement_id.is_(None))
            .order_by(UsageRecord.id))
    if until is not None:
        stmt = stmt.where(UsageRecord.ended_at <= until)
    return list(session.execute(stmt).scalars())


def mark_settled(session: Session, record_ids: Collection[int], settlement_id: int) -> None:
    """Set `settlement_id` on these records (those not billed yet) in one set-based
    statement: the ids travel as one array (PostgreSQL) or one JSON array (SQLite), so the
    cost is linear in the records. An ORM bulk UPDATE in chunks with session
    synchronisation was quadratic (170 s for 193,536 records). Records loaded in the
    session get the new value without being marked changed."""
    ids = sorted(record_ids)
    if not ids:
        return
    session.flush()
    free = RECORDS.c.settlement_id.is_(None)
    if session.get_bind().dialect.name == "postgresql":
        chosen = RECORDS.c.id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger)))
    else:
        listed: Select[tuple[Any]] = select(literal_column("value")).select_from(
            func.json_each(bindparam("ids", json.dumps(ids), type_=String)))
        chosen = RECORDS.c.id.in_(listed)
    session.execute(update(RECORDS).where(chosen, free).values(settlement_id=settlement_id))
    loaded, key_of = session.identity_map, sa_inspect(UsageRecord).identity_key_from_primary_key
    for record_id in ids:
        record = loaded.get(key_of((record_id,)))
        if isinstance(record, UsageRecord) and "settlement_id" in record.__dict__ \
                and record.settlement_id is None:
            set_committed_value(record, "settlement_id", settlement_id)


def records_of_settlement(session: Session, settlement_id: int) -> list[UsageRecord]:
    stmt = (select(UsageRecord).where(UsageRecord.settlement_id == settlement_id)
            .order_by(UsageRecord.started_at, UsageRecord.id))
    return list(session.execute(stmt).scalars())


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
