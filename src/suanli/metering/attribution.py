"""Attributing GPU time to contracts by GPU UUID and contract placement (pure).

A row that names a GPU but no contract (DCGM series without a contract label, the agent's
records of a cluster) belongs to the contracts whose placement held that GPU at that time:
the row is split at every placement boundary, each piece going to its contract. Time on a
GPU that no contract held, or on a GPU not attested where the reporter said, is
*unattributed*: reported back (GPU-seconds, by reason) and billed to no one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from suanli.metering.rows import UsageRow, split_ref

NOT_ATTESTED = "GPU attested in no cluster"
OTHER_CLUSTER = "GPU not attested in the cluster named"
NOT_PLACED = "GPU placed on no contract at the time"


@dataclass(frozen=True, slots=True)
class Placed:
    """A GPU placed on a contract (of a cluster) from `since` until `until`."""

    gpu_uuid: str
    contract_id: int
    cluster_id: int
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class Unattributed:
    line: int
    gpu_uuid: str
    started_at: datetime
    ended_at: datetime
    reason: str

    @property
    def gpu_seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


def attribute(rows: Iterable[UsageRow], placed: Sequence[Placed], attested: Mapping[str, int]
              ) -> tuple[list[UsageRow], list[Unattributed]]:
    """Rows with their contract (split where the placement changes), and the time that
    belongs to no contract. Rows that already name a contract pass unchanged."""
    by_gpu: dict[str, list[Placed]] = defaultdict(list)
    for p in sorted(placed, key=lambda p: (p.gpu_uuid, p.since, p.contract_id)):
        by_gpu[p.gpu_uuid].append(p)
    out: list[UsageRow] = []
    lost: list[Unattributed] = []
    for row in rows:
        if row.contract_id is not None or row.gpu_uuid is None:
            out.append(row)
            continue
        cluster = attested.get(row.gpu_uuid)
        if cluster is None or (row.cluster_id is not None and cluster != row.cluster_id):
            reason = NOT_ATTESTED if cluster is None else OTHER_CLUSTER
            lost.append(Unattributed(row.line, row.gpu_uuid, row.started_at, row.ended_at,
                                     reason))
            continue
        _split(row, [p for p in by_gpu[row.gpu_uuid] if p.cluster_id == cluster], out, lost)
    return out, lost


def _split(row: UsageRow, placed: list[Placed], out: list[UsageRow],
           lost: list[Unattributed]) -> None:
    whole = (row.started_at, row.ended_at)
    seconds = max(int((row.ended_at - row.started_at).total_seconds()), 1)
    cursor = row.started_at
    uuid = row.gpu_uuid or ""
    for p in placed:
        lo, hi = max(cursor, p.since), min(row.ended_at, p.until)
        if hi <= lo:
            continue
        if lo > cursor:
            lost.append(Unattributed(row.line, uuid, cursor, lo, NOT_PLACED))
        part = int((hi - lo).total_seconds())
        out.append(replace(row, contract_id=p.contract_id, started_at=lo, ended_at=hi,
                           source_ref=split_ref(row.source_ref, whole, (lo, hi)),
                           gpu_seconds=row.gpu_seconds * part // seconds))
        cursor = hi
    if cursor < row.ended_at:
        lost.append(Unattributed(row.line, uuid, cursor, row.ended_at, NOT_PLACED))
