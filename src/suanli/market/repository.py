"""All SQL of the market: offers, orders, rounds, contracts.

``lock=True`` selects rows FOR UPDATE on PostgreSQL (only the market's own table, so
the eager outer joins stay allowed); SQLite writers are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from suanli.kit.repository import paged
from suanli.market.capacity import Booking
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

ACTIVE = (ContractState.RESERVED, ContractState.RUNNING)


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


def offers_of(session: Session, org_ids: Collection[int] | None, *, limit: int, offset: int
              ) -> tuple[list[Offer], int]:
    stmt = select(Offer).order_by(Offer.id.desc())
    if org_ids is not None:
        stmt = stmt.where(Offer.organisation_id.in_(sorted(org_ids)))
    return paged(session, stmt, limit=limit, offset=offset)


def cluster_has_offers(session: Session, cluster_id: int) -> bool:
    stmt = select(Offer.id).where(Offer.cluster_id == cluster_id).limit(1)
    return session.execute(stmt).first() is not None


def cluster_offers_overlapping(session: Session, cluster_id: int, start: datetime,
                               end: datetime) -> list[Offer]:
    stmt = select(Offer).where(Offer.cluster_id == cluster_id,
                               Offer.status == OfferStatus.LIVE,
                               Offer.start_at < end, Offer.end_at > start)
    return list(session.execute(stmt).unique().scalars())


def bookings(session: Session, offer_ids: Collection[int], *, after: datetime
             ) -> dict[int, list[Booking]]:
    """GPUs already sold on each offer by contracts still reserved or running."""
    out: dict[int, list[Booking]] = defaultdict(list)
    if not offer_ids:
        return out
    stmt = (select(Contract.offer_id, Contract.start_at, Contract.end_at, Contract.gpus)
            .where(Contract.offer_id.in_(sorted(offer_ids)), Contract.state.in_(ACTIVE),
                   Contract.end_at > after)
            .order_by(Contract.id))
    for offer_id, start, end, gpus in session.execute(stmt):
        out[offer_id].append(Booking(start, end, gpus))
    return out


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
                  provider_ids: Collection[int] | None, limit: int, offset: int
                  ) -> tuple[list[Contract], int]:
    """Contracts where the caller is the buyer or the provider (both None: all)."""
    stmt = (select(Contract).options(selectinload(Contract.placement))
            .order_by(Contract.id.desc()))
    if buyer_ids is not None or provider_ids is not None:
        stmt = stmt.where(or_(Contract.buyer_org_id.in_(sorted(buyer_ids or ())),
                              Contract.provider_org_id.in_(sorted(provider_ids or ()))))
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


def rounds(session: Session, *, limit: int, offset: int) -> tuple[list[Round], int]:
    return paged(session, select(Round).order_by(Round.id.desc()), limit=limit, offset=offset)


def last_completed_round(session: Session) -> Round | None:
    stmt = (select(Round).where(Round.status == RoundStatus.COMPLETED)
            .order_by(Round.id.desc()).limit(1))
    return session.execute(stmt).scalar_one_or_none()


def latest_round_start(session: Session) -> datetime | None:
    return session.execute(select(func.max(Round.started_at))).scalar_one_or_none()


# Placement: which GPUs serve which contract, and when.
def lock_cluster(session: Session, cluster_id: int) -> None:
    """Serialise placements on one cluster (PostgreSQL; SQLite writers are serialised)."""
    stmt = select(Cluster.id).where(Cluster.id == cluster_id).with_for_update(key_share=True)
    session.execute(stmt)


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
