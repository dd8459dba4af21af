"""The capacity invariant, checked over everything stored: in no hour is an offer sold
beyond its GPUs, nor a cluster sold or listed beyond its GPUs.

Listed means the windows of live offers plus what contracts of withdrawn offers still
hold; sold means every contract that holds GPUs (reserved, running, completed, and a
cancelled one up to the end of the hour it was cancelled in).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from suanli.market import capacity, repository
from suanli.market.models import OfferStatus


@dataclass(frozen=True)
class CapacityVerdict:
    ok: bool
    clusters: int
    offers: int
    contracts: int
    problem: str | None = None


def verify_capacity(session: Session) -> CapacityVerdict:
    """Check every cluster; the verdict names the first cluster (by id) and hour found
    over its GPUs."""
    clusters, offers, contracts = repository.capacity_facts(session)
    problem = first_problem(clusters, offers, contracts)
    return CapacityVerdict(problem is None, len(clusters), len(offers), len(contracts),
                           problem)


def first_problem(clusters: list[Any], offers: list[Any], contracts: list[Any]) -> str | None:
    """The first broken rule, in words, or None."""
    sold: dict[int, list[capacity.Load]] = defaultdict(list)
    for offer_id, start, end, gpus, cancelled_at in contracts:
        until = capacity.held_until(end, cancelled_at)
        if until > start:
            sold[offer_id].append(capacity.booked(start, until, gpus))
    by_cluster: dict[int, list[Any]] = defaultdict(list)
    for offer in offers:
        by_cluster[offer.cluster_id].append(offer)
    for cluster_id, name, gpus in clusters:
        problem = _cluster_problem(f"cluster {cluster_id} ({name})", gpus,
                                   by_cluster.get(cluster_id, []), sold)
        if problem:
            return problem
    return None


def _cluster_problem(label: str, gpus: int, offers: list[Any],
                     sold: dict[int, list[capacity.Load]]) -> str | None:
    for offer in offers:
        excess = capacity.first_excess(sold.get(offer.id, []), offer.gpus)
        if excess:
            return (f"offer {offer.id} of {label} is sold beyond its {offer.gpus} GPUs: "
                    f"{excess[1]} at {excess[0].isoformat()}")
    all_sold = [load for offer in offers for load in sold.get(offer.id, [])]
    excess = capacity.first_excess(all_sold, gpus)
    if excess:
        return f"{label} is sold beyond its {gpus} GPUs: {excess[1]} at {excess[0].isoformat()}"
    listed = [capacity.listed(o.start_at, o.end_at, o.gpus) for o in offers
              if o.status == OfferStatus.LIVE]
    listed += [load for o in offers if o.status != OfferStatus.LIVE
               for load in sold.get(o.id, [])]
    excess = capacity.first_excess(listed, gpus)
    if excess:
        return (f"{label} is listed beyond its {gpus} GPUs: {excess[1]} at "
                f"{excess[0].isoformat()}")
    return None
