"""Which contract GPU time belongs to: attribution by placement, the placement that
reconciliation checks named GPUs against, and joins to records stored from other files."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from suanli.market import placement
from suanli.market.models import Contract
from suanli.metering import repository
from suanli.metering.attribution import Unattributed, attribute
from suanli.metering.gpu_runs import MAX_GAP_S, Edge, bridges
from suanli.metering.rows import UsageRow

Spans = dict[str, list[tuple[datetime, datetime]]]


def attribute_rows(session: Session, rows: Sequence[UsageRow]
                   ) -> tuple[list[UsageRow], list[Unattributed]]:
    """Rows naming a GPU but no contract, split among the contracts whose placement held
    the GPU at the time (placements not yet recorded are recorded first); the rest is
    unattributed."""
    unnamed = [r for r in rows if r.contract_id is None and r.gpu_uuid]
    if not unnamed:
        return list(rows), []
    uuids = {r.gpu_uuid or "" for r in unnamed}
    attested = repository.clusters_of_uuids(session, uuids)
    since = min(r.started_at for r in unnamed)
    until = max(r.ended_at for r in unnamed)
    if attested:
        placement.ensure_placed(session, repository.contracts_on_clusters(
            session, set(attested.values()), since, until))
    placed = repository.placed_gpus(session, uuids, since, until)
    return attribute(rows, placed, attested)


def placed_spans(session: Session, contracts: Collection[Contract]) -> dict[int, Spans]:
    """When each GPU was placed on each of these contracts (recording missing placements)."""
    placement.ensure_placed(session, contracts)
    return repository.placed_spans(session, [c.id for c in contracts])


def bridge_rows(session: Session, edges: Sequence[Edge], *, max_gap_s: int = MAX_GAP_S
                ) -> list[UsageRow]:
    """Rows for the scrape intervals between an input's edges and stored records."""
    near = repository.neighbours(session, edges, max_gap_s)
    return list(bridges(zip(edges, near, strict=True), max_gap_s=max_gap_s))


def zone_of_contract(session: Session, contract_id: int) -> tuple[str | None, str] | None:
    """The time zone of the data centre serving a contract (None: not set), and the name
    of its cluster; None when there is no such contract."""
    return repository.zone_of_contract(session, contract_id)
