"""Offers: listing capacity from a cluster, withdrawing it, free capacity, buyer search."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.catalog import service as catalog
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.money import format_cny, parse_cny
from suanli.kit.timeutil import utcnow
from suanli.market import capacity, repository
from suanli.market.capacity import HOUR, Booking, free_profile, next_whole_hour
from suanli.market.matching import OfferFacts
from suanli.market.models import Offer, OfferStatus
from suanli.market.schemas import OfferCreate, check_ident
from suanli.providers import service as providers
from suanli.providers.models import Cluster

Scope = Collection[int] | None  # organisation ids the caller may see; None: all
MAX_WINDOW = timedelta(days=366)


def snapshot(offer: Offer) -> dict[str, object]:
    return {"cluster_id": offer.cluster_id, "accelerator": offer.accelerator_model,
            "gpus": offer.gpus, "start_at": offer.start_at.isoformat(),
            "end_at": offer.end_at.isoformat(), "ask_fen": offer.ask_fen,
            "min_lease_hours": offer.min_lease_hours,
            "service_class": str(offer.service_class),
            "cancel_fee_rate": str(offer.cancel_fee_rate), "status": str(offer.status)}


def _cluster(session: Session, cluster_id: int, org_ids: Collection[int]) -> Cluster:
    return providers.get_cluster(session, cluster_id, org_ids, field="cluster_id")


def _check_fields(data: OfferCreate, cluster: Cluster, now: datetime) -> None:
    """The rules a request can break on its own; each names its field."""
    if data.gpus > cluster.gpus:
        raise ValidationFailed(f"cluster {cluster.name!r} has {cluster.gpus} GPUs",
                               field="gpus")
    if data.end_at <= data.start_at:
        raise ValidationFailed("must be after start_at", field="end_at")
    if data.end_at <= now:
        raise ValidationFailed("the window has already ended", field="end_at")
    if data.end_at - data.start_at > MAX_WINDOW:
        raise ValidationFailed("a window may last at most 366 days", field="end_at")
    hours = (data.end_at - max(data.start_at, now)) / HOUR
    if data.min_lease_hours > hours:
        raise ValidationFailed(f"longer than the {math.floor(hours)} hours left in the window",
                               field="min_lease_hours")


def _check_accelerator(session: Session, data: OfferCreate, cluster: Cluster) -> None:
    if data.accelerator is None:
        return
    if catalog.find_accelerator(session, check_ident(data.accelerator,
                                                     field="accelerator")) is None:
        raise ValidationFailed(f"no accelerator model {data.accelerator!r} in the catalogue",
                               field="accelerator")
    if data.accelerator != cluster.accelerator_model:
        raise ValidationFailed(f"cluster {cluster.name!r} has {cluster.accelerator_model}",
                               field="accelerator")


def create_offer(session: Session, *, org_ids: Collection[int], data: OfferCreate,
                 now: datetime | None = None) -> Offer:
    """List capacity from one of the caller's clusters; audited.

    Another organisation's cluster is 404 (``cluster_id``); a cluster that may not list
    is 409 with its reasons; more GPUs than the cluster has free of other live offers in
    the window is 409 (``gpus``). Nothing is written on any error.
    """
    now = now or utcnow()
    cluster = _cluster(session, data.cluster_id, org_ids)
    _check_accelerator(session, data, cluster)
    _check_fields(data, cluster, now)
    state = providers.listability(session, cluster)
    if not state.listable:
        raise Conflict(f"cluster {cluster.name!r} may not list offers yet: "
                       + "; ".join(state.reasons), field="cluster_id", reasons=state.reasons)
    repository.lock_cluster(session, cluster.id)  # held until commit: one listing at a time
    _check_room(session, cluster, capacity.listed(data.start_at, data.end_at, data.gpus))
    offer = Offer(organisation_id=cluster.organisation_id, cluster_id=cluster.id,
                  accelerator_model=cluster.accelerator_model, gpus=data.gpus,
                  start_at=data.start_at, end_at=data.end_at,
                  ask_fen=parse_cny(data.ask_cny_per_gpu_hour),
                  min_lease_hours=data.min_lease_hours, service_class=data.service_class,
                  cancel_fee_rate=data.cancel_fee_rate, status=OfferStatus.LIVE)
    repository.add(session, offer)
    audit.record(session, action="offer.create", object_type="offer", object_id=offer.id,
                 after=snapshot(offer), organisation_id=offer.organisation_id)
    return offer


def cluster_loads(session: Session, cluster_id: int, start: datetime, end: datetime
                  ) -> list[capacity.Load]:
    """What the cluster has committed in ``[start, end)``: the windows of its live offers
    and the contracts its withdrawn offers still hold."""
    live = [capacity.listed(o.start_at, o.end_at, o.gpus)
            for o in repository.cluster_offers_overlapping(session, cluster_id, start, end)]
    return live + [capacity.booked(b.start, b.end, b.gpus) for b in
                   repository.withdrawn_bookings(session, cluster_id, start, end)]


def _check_room(session: Session, cluster: Cluster, new: capacity.Load) -> None:
    """409 (``gpus``) when the new listing would take more GPUs than the cluster has in
    some hour; the caller holds the cluster's lock."""
    if new.start >= new.end:
        return
    at, taken = capacity.peak(cluster_loads(session, cluster.id, new.start, new.end),
                              new.start, new.end)
    if taken + new.gpus > cluster.gpus:
        raise Conflict(f"only {max(0, cluster.gpus - taken)} of the cluster's {cluster.gpus} "
                       f"GPUs are not already listed at {at.isoformat()}", field="gpus")


def get_offer(session: Session, offer_id: int, scope: Scope, *, field: str = "offer_id",
              lock: bool = False) -> Offer:
    """The offer when the caller may see it (a live one: any trader); 404 otherwise."""
    offer = repository.offer(session, offer_id, lock=lock)
    if offer is None:
        raise NotFound(f"no offer {offer_id}", field=field)
    mine = scope is None or offer.organisation_id in scope
    if not mine and offer.status != OfferStatus.LIVE:
        raise NotFound(f"no offer {offer_id}", field=field)
    return offer


def withdraw_offer(session: Session, *, org_ids: Collection[int], offer_id: int,
                   now: datetime | None = None) -> Offer:
    """Take an offer off the market; contracts already made on it stand."""
    offer = repository.offer(session, offer_id, lock=True)
    if offer is None or offer.organisation_id not in org_ids:
        raise NotFound(f"no offer {offer_id} of yours", field="offer_id")
    if offer.status == OfferStatus.WITHDRAWN:
        return offer
    before = snapshot(offer)
    offer.status = OfferStatus.WITHDRAWN
    offer.withdrawn_at = now or utcnow()
    session.flush()
    audit.record(session, action="offer.withdraw", object_type="offer", object_id=offer.id,
                 before=before, after=snapshot(offer), organisation_id=offer.organisation_id)
    return offer


@dataclass(frozen=True)
class Grid:
    """Hourly slots from ``origin``: the grid free capacity is counted on."""

    origin: datetime
    slots: int

    @classmethod
    def until(cls, origin: datetime, end: datetime) -> Grid:
        return cls(origin, max(0, math.ceil((end - origin) / HOUR)))


def profiles(session: Session, offers: list[Offer], grid: Grid) -> dict[int, list[int]]:
    """Free GPUs of each offer in each hour of the grid, net of contracts already made."""
    booked = repository.bookings(session, [o.id for o in offers], after=grid.origin)
    return {o.id: free_profile(o.gpus, (o.start_at, o.end_at), booked.get(o.id, []),
                               grid.origin, grid.slots) for o in offers}


def free_gpus(session: Session, offers: list[Offer], now: datetime | None = None
              ) -> dict[int, int]:
    """The most GPUs of each offer still free at some hour of its remaining window."""
    origin = next_whole_hour(now or utcnow())
    out: dict[int, int] = {}
    for offer in offers:
        grid = Grid.until(max(origin, next_whole_hour(offer.start_at)), offer.end_at)
        profile = profiles(session, [offer], grid)[offer.id]
        out[offer.id] = max(profile, default=0)
    return out


def facts(offer: Offer, profile: list[int]) -> OfferFacts:
    """The offer as the pure matching rules see it."""
    dc = offer.cluster.data_centre
    return OfferFacts(id=offer.id, provider=offer.organisation.slug,
                      location=providers.location_key(dc), operator=str(dc.operator_type),
                      accelerator=offer.accelerator_model,
                      domestic=bool(offer.cluster.accelerator.domestic), ask_fen=offer.ask_fen,
                      min_lease_hours=offer.min_lease_hours, free=tuple(profile))


def bookings_of(session: Session, offer: Offer, after: datetime) -> list[Booking]:
    return repository.bookings(session, [offer.id], after=after).get(offer.id, [])


def ask_text(offer: Offer) -> str:
    return format_cny(offer.ask_fen)
