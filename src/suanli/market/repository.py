"""All SQL of the market: offers, orders, rounds, contracts.

``lock=True`` selects rows FOR UPDATE on PostgreSQL (only the market's own table, so
the eager outer joins stay allowed); SQLite writers are serialised by BEGIN IMMEDIATE.
Locks are taken cluster first, then offers (by id), then contracts, so that two
transactions never wait for each other in a circle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from suanli.kit.repository import paged
from suanli.market.capacity import Booking, held_until
from suanli.market.models import (
    Contract,
    ContractGpu,
    ContractState,
    Offer,
    OfferStatus,
    Order,
    OrderStatus,
    Round,
    RoundStatus,
)
from suanli.providers.models import Cluster, ClusterStatus, DataCentre


def add(session: Session, row: object) -> None:
    session.add(row)
    session.flush()


def offer(session: Session, offer_id: int, *, lock: bool = False) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id)
    if lock:
        stmt = stmt.with_for_update(of=Offer)
    return session.execute(stmt).scalar_one_or_none()


def _live(now: datetime) -> Select[Offer]:
    return (select(Offer).join(Cluster, Offer.cluster_id == Cluster.id)
            .where(Offer.status == OfferStatus.LIVE, Offer.end_at > now,
                   Cluster.status == ClusterStatus.LISTABLE))


def live_offers(session: Session, *, now: datetime, models: Collection[str] | None = None,
                lock: bool = False) -> list[Offer]:
    """Live offers on listable clusters whose window has not ended, by id."""
    stmt = _live(now).order_by(Offer.id)
    if models is not None:
        stmt = stmt.where(Offer.accelerator_model.in_(sorted(models)))
    if lock:
        stmt = stmt.with_for_update(of=Offer)
    return list(session.execute(stmt).unique().scalars())


def search_offers(session: Session, *, now: datetime, models: Collection[str] | None,
                  hub: str | None, city: str | None, operator: str | None,
                  service_class: str | None) -> list[Offer]:
    """Live offers narrowed by the filters that SQL can apply."""
    stmt = _live(now).join(DataCentre, Cluster.data_centre_id == DataCentre.id)
    if models is not None:
        stmt = stmt.where(Offer.accelerator_model.in_(sorted(models)))
    if hub:
        stmt = stmt.where(DataCentre.hub_id == hub)
    if city:
        stmt = stmt.where(DataCentre.city_id == city)
    if operator:
        stmt = stmt.where(DataCentre.operator_type == operator)
    if service_class:
        stmt = stmt.where(Offer.service_class == service_class)
    return list(session.execute(stmt.order_by(Offer.ask_fen, Offer.id)).unique().scalars())


def offers_of(session: Session, org_ids: Collection[int] | None, *, limit: int, offset: int,
              status: str | None = None) -> tuple[list[Offer], int]:
    stmt = select(Offer).order_by(Offer.id.desc())
    if org_ids is not None:
        stmt = stmt.where(Offer.organisation_id.in_(sorted(org_ids)))
    if status:
        stmt = stmt.where(Offer.status == status)
    return paged(session, stmt, limit=limit, offset=offset)


def cluster_has_offers(session: Session, cluster_id: int) -> bool:
    stmt = select(Offer.id).where(Offer.cluster_id == cluster_id).limit(1)
    return session.execute(stmt).first() is not None


def lock_cluster(session: Session, cluster_id: int) -> None:
    """Hold the cluster's row until the transaction ends, so that listings (and placements)
    on one cluster are decided one at a time. FOR NO KEY UPDATE on PostgreSQL: the foreign
    keys of new offers (and of anything else naming the cluster) still take their share
    lock; SQLite's BEGIN IMMEDIATE has already made this the only writer."""
    session.execute(select(Cluster.id).where(Cluster.id == cluster_id)
                    .with_for_update(key_share=True))


def cluster_offers_overlapping(session: Session, cluster_id: int, start: datetime,
                               end: datetime) -> list[Offer]:
    stmt = select(Offer).where(Offer.cluster_id == cluster_id,
                               Offer.status == OfferStatus.LIVE,
                               Offer.start_at < end, Offer.end_at > start)
    return list(session.execute(stmt).unique().scalars())


# A contract holds its GPUs while reserved, running or done; a cancelled one until the
# end of the hour it was cancelled in (see capacity.held_until).
_HOLDS = or_(Contract.state != ContractState.CANCELLED,
             Contract.cancelled_at > Contract.start_at)


def _bookings(rows: Any) -> Iterator[tuple[int, Booking]]:
    for key, start, end, gpus, cancelled_at in rows:
        until = held_until(end, cancelled_at)
        if until > start:
            yield key, Booking(start, until, gpus)


def bookings(session: Session, offer_ids: Collection[int], *, after: datetime
             ) -> dict[int, list[Booking]]:
    """GPUs already sold on each offer, in hours that end after ``after``."""
    out: dict[int, list[Booking]] = defaultdict(list)
    if not offer_ids:
        return out
    stmt = (select(Contract.offer_id, Contract.start_at, Contract.end_at, Contract.gpus,
                   Contract.cancelled_at)
            .where(Contract.offer_id.in_(sorted(offer_ids)), _HOLDS, Contract.end_at > after)
            .order_by(Contract.id))
    for offer_id, booking in _bookings(session.execute(stmt)):
        if booking.end > after:
            out[offer_id].append(booking)
    return out


def withdrawn_bookings(session: Session, cluster_id: int, start: datetime, end: datetime
                       ) -> list[Booking]:
    """What contracts on the cluster's withdrawn offers still hold in ``[start, end)``:
    withdrawing an offer leaves its contracts standing."""
    stmt = (select(Contract.offer_id, Contract.start_at, Contract.end_at, Contract.gpus,
                   Contract.cancelled_at)
            .join(Offer, Contract.offer_id == Offer.id)
            .where(Offer.cluster_id == cluster_id, Offer.status != OfferStatus.LIVE, _HOLDS,
                   Contract.start_at < end, Contract.end_at > start))
    return [b for _, b in _bookings(session.execute(stmt)) if b.end > start]


def capacity_facts(session: Session) -> tuple[list[Any], list[Any], list[Any]]:
    """Every cluster (id, name, GPUs), offer (id, cluster, GPUs, window, status) and
    holding contract (offer, GPUs, window, cancelled at): what `suanli market
    verify-capacity` checks."""
    clusters = session.execute(select(Cluster.id, Cluster.name,
                                      Cluster.nodes * Cluster.gpus_per_node)
                               .order_by(Cluster.id)).all()
    offers = session.execute(select(Offer.id, Offer.cluster_id, Offer.gpus, Offer.start_at,
                                    Offer.end_at, Offer.status).order_by(Offer.id)).all()
    contracts = session.execute(select(Contract.offer_id, Contract.start_at, Contract.end_at,
                                       Contract.gpus, Contract.cancelled_at)
                                .where(_HOLDS).order_by(Contract.id)).all()
    return list(clusters), list(offers), list(contracts)


def order(session: Session, order_id: int, *, lock: bool = False) -> Order | None:
    stmt = select(Order).where(Order.id == order_id)
    if lock:
        stmt = stmt.with_for_update(of=Order)
    return session.execute(stmt).scalar_one_or_none()


def orders_of(session: Session, org_ids: Collection[int] | None, *, status: str | None,
              limit: int, offset: int) -> tuple[list[Order], int]:
    stmt = select(Order).order_by(Order.id.desc())
    if org_ids is not None:
        stmt = stmt.where(Order.organisation_id.in_(sorted(org_ids)))
    if status:
        stmt = stmt.where(Order.status == status)
    return paged(session, stmt, limit=limit, offset=offset)


def open_orders(session: Session, *, lock: bool = False) -> list[Order]:
    stmt = select(Order).where(Order.status == OrderStatus.OPEN).order_by(Order.id)
    if lock:
        stmt = stmt.with_for_update(of=Order)
    return list(session.execute(stmt).scalars())


def contract(session: Session, contract_id: int, *, lock: bool = False) -> Contract | None:
    stmt = select(Contract).where(Contract.id == contract_id)
    if lock:
        stmt = stmt.with_for_update(of=Contract)
    return session.execute(stmt).unique().scalar_one_or_none()


def contracts_for(session: Session, *, buyer_ids: Collection[int] | None,
                  provider_ids: Collection[int] | None, limit: int, offset: int,
                  state: str | None = None) -> tuple[list[Contract], int]:
    """Contracts where the caller is the buyer or the provider (both None: all)."""
    stmt = (select(Contract).options(selectinload(Contract.placement))
            .order_by(Contract.id.desc()))
    if buyer_ids is not None or provider_ids is not None:
        stmt = stmt.where(or_(Contract.buyer_org_id.in_(sorted(buyer_ids or ())),
                              Contract.provider_org_id.in_(sorted(provider_ids or ()))))
    if state:
        stmt = stmt.where(Contract.state == state)
    return paged(session, stmt, limit=limit, offset=offset)


def contracts_due(session: Session, now: datetime) -> list[Contract]:
    """Reserved contracts whose start has passed and running ones whose end has."""
    stmt = select(Contract).where(or_(
        (Contract.state == ContractState.RESERVED) & (Contract.start_at <= now),
        (Contract.state == ContractState.RUNNING) & (Contract.end_at <= now),
    )).order_by(Contract.id).with_for_update(of=Contract)
    return list(session.execute(stmt).unique().scalars())


def contracts_of_round(session: Session, round_id: int) -> list[Contract]:
    stmt = select(Contract).where(Contract.round_id == round_id).order_by(Contract.id)
    return list(session.execute(stmt).unique().scalars())


def matched_since(session: Session, since: datetime
                  ) -> list[tuple[str, datetime, int, int]]:
    """(model, matched at, unit price fen, GPU-hours) of every contract since ``since``."""
    stmt = (select(Contract.accelerator_model, Contract.created_at, Contract.unit_price_fen,
                   Contract.gpu_hours)
            .where(Contract.created_at >= since).order_by(Contract.id))
    return [(m, at, p, h) for m, at, p, h in session.execute(stmt)]


def round_(session: Session, round_id: int) -> Round | None:
    return session.get(Round, round_id)


def rounds(session: Session, *, limit: int, offset: int, status: str | None = None
           ) -> tuple[list[Round], int]:
    stmt = select(Round).order_by(Round.id.desc())
    if status:
        stmt = stmt.where(Round.status == status)
    return paged(session, stmt, limit=limit, offset=offset)


def last_completed_round(session: Session) -> Round | None:
    stmt = (select(Round).where(Round.status == RoundStatus.COMPLETED)
            .order_by(Round.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def latest_round_start(session: Session) -> datetime | None:
    return session.execute(select(func.max(Round.started_at))).scalar_one_or_none()


# Placement: which GPUs serve which contract, and when (serialised by `lock_cluster`).
def placement(session: Session, contract_ids: Collection[int]) -> dict[int, list[ContractGpu]]:
    """Each contract's placement rows, by start then host and GPU."""
    out: dict[int, list[ContractGpu]] = defaultdict(list)
    ids = sorted(contract_ids)
    for i in range(0, len(ids), 500):
        stmt = (select(ContractGpu).where(ContractGpu.contract_id.in_(ids[i:i + 500]))
                .order_by(ContractGpu.since, ContractGpu.hostname, ContractGpu.gpu_uuid))
        for row in session.execute(stmt).scalars():
            out[row.contract_id].append(row)
    return out


def placed_elsewhere(session: Session, uuids: Collection[str], since: datetime,
                     until: datetime, contract_id: int) -> list[ContractGpu]:
    """Placement rows of these GPUs on other contracts (not cancelled) overlapping
    [since, until)."""
    stmt = (select(ContractGpu).join(Contract, ContractGpu.contract_id == Contract.id)
            .where(ContractGpu.gpu_uuid.in_(sorted(uuids)), ContractGpu.since < until,
                   ContractGpu.until > since, ContractGpu.contract_id != contract_id,
                   Contract.state != ContractState.CANCELLED)
            .order_by(ContractGpu.gpu_uuid, ContractGpu.since))
    return list(session.execute(stmt).scalars())


def end_placement(session: Session, contract_id: int, at: datetime) -> None:
    """The contract's placement ends at `at`: later rows go, a row spanning it is cut."""
    session.execute(delete(ContractGpu).where(ContractGpu.contract_id == contract_id,
                                              ContractGpu.since >= at))
    session.execute(update(ContractGpu).where(ContractGpu.contract_id == contract_id,
                                              ContractGpu.until > at)
                    .values(until=at).execution_options(synchronize_session=False))
