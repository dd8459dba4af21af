"""Demo steps for the market (idempotent: a second run adds nothing).

Every listable demo cluster offers its GPUs for the next two weeks; the demo startups
get opening bank deposits and place a dozen orders of different kinds; one clearing
round runs; acme-ai then takes Qingyang's H20s at their ask (an instant buy).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from suanli.auth import repository as auth_repo
from suanli.kit.money import format_cny, parse_cny
from suanli.kit.timeutil import as_utc, utcnow
from suanli.market import (
    funds,
    instant,
    offers_service,
    orders_service,
    repository,
    rounds,
    vouchers_port,
)
from suanli.market.capacity import next_whole_hour
from suanli.market.models import ContractSource, Order, Round, ServiceClass
from suanli.market.schemas import InstantBuy, OfferCreate, OrderCreate
from suanli.providers import repository as providers_repo
from suanli.providers.models import ClusterStatus

# model: (ask CNY per GPU-hour in an eastern hub, service class, minimum lease hours)
ASKS: dict[str, tuple[str, ServiceClass, int]] = {
    "h20": ("9.00", ServiceClass.INFERENCE, 1), "l20": ("4.80", ServiceClass.INFERENCE, 1),
    "ascend-910b": ("10.00", ServiceClass.TRAINING, 4),
    "ascend-910c": ("16.00", ServiceClass.TRAINING, 12),
    "a800-sxm-80g": ("11.50", ServiceClass.TRAINING, 4),
    "h800-sxm": ("19.00", ServiceClass.TRAINING, 12),
    "hygon-k100-ai": ("6.20", ServiceClass.BATCH, 2),
}
DECLINE = Decimal("0.15")  # what rental prices lost over the quarter the history covers
WEST = {"gs-qingyang", "nx-zhongwei", "im-horinger", "gz-guian"}  # cheaper power, far away
DEPOSITS = {"acme-ai": "500000.00", "lingxi-labs": "300000.00", "hangzhou-vision": "200000.00",
            "deepseed-ai": "100000.00", "nova-ai": "100000.00"}
# (buyer, order fields; hours are offsets of the window from the next whole hour)
ORDERS: list[tuple[str, dict[str, Any]]] = [
    ("acme-ai", dict(accelerators=["h20"], gpus=16, duration_hours=48, window=(0, 96),
                     limit="6.00", voucher=True)),
    ("acme-ai", dict(accelerators=["l20"], gpus=8, duration_hours=24, window=(0, 72),
                     limit="4.00", voucher=True, max_latency_ms=10)),
    ("acme-ai", dict(min_memory_gb=64, min_tflops=300, gpus=32, duration_hours=72,
                     window=(0, 168), limit="7.00", voucher=True)),
    ("acme-ai", dict(accelerators=["h20"], gpus=512, duration_hours=24, window=(0, 72),
                     limit="9.00")),
    ("lingxi-labs", dict(accelerators=["ascend-910b"], gpus=64, duration_hours=96,
                         window=(0, 168), limit="5.50", voucher=True)),
    ("lingxi-labs", dict(accelerators=["h20", "l20"], gpus=8, duration_hours=12,
                         window=(6, 48), limit="5.00", voucher=True, max_latency_ms=30)),
    ("hangzhou-vision", dict(accelerators=["l20"], gpus=8, duration_hours=24, window=(0, 72),
                             limit="5.20", max_latency_ms=15)),
    ("hangzhou-vision", dict(accelerators=["h20"], gpus=16, duration_hours=24,
                             window=(12, 96), limit="9.50")),
    ("deepseed-ai", dict(accelerators=["ascend-910c"], gpus=16, duration_hours=24,
                         window=(0, 120), limit="16.00")),
    ("deepseed-ai", dict(accelerators=["h800-sxm"], gpus=8, duration_hours=12,
                         window=(0, 72), limit="3.00")),
    ("nova-ai", dict(accelerators=["hygon-k100-ai"], gpus=8, duration_hours=24,
                     window=(0, 96), limit="7.00")),
    ("nova-ai", dict(accelerators=["a800-sxm-80g", "ascend-910b"], gpus=8, duration_hours=24,
                     window=(24, 144), limit="12.00")),
]


def _ask(model: str, hub: str | None) -> tuple[str, ServiceClass, int]:
    """Today's ask: the level of `ASKS` after the quarter's decline (the full demo's
    history starts at `ASKS` and drifts down to here), less in the western hubs."""
    east, service, lease = ASKS.get(model, ("10.00", ServiceClass.TRAINING, 1))
    factor = (Decimal("0.88") if hub in WEST else Decimal(1)) * (1 - DECLINE)
    return format_cny(int(parse_cny(east) * factor)), service, lease


def seed_offers(session: Session) -> None:
    """Each listable cluster lists its GPUs not yet offered for the next two weeks."""
    start = next_whole_hour(utcnow())
    listable = providers_repo.clusters(session, None, statuses=[ClusterStatus.LISTABLE])
    live = repository.live_offers(session, now=start + timedelta(days=7))
    for cluster in sorted(listable, key=lambda c: c.id):
        # What is listed for the coming week already (a contract running today, or this
        # step's own listing on an earlier run) stays; the rest of the cluster is listed.
        offered = sum(o.gpus for o in live if o.cluster_id == cluster.id)
        if offered >= cluster.gpus:
            continue
        ask, service, lease = _ask(cluster.accelerator_model, cluster.data_centre.hub_id)
        offers_service.create_offer(session, org_ids={cluster.organisation_id}, data=OfferCreate(
            cluster_id=cluster.id, gpus=cluster.gpus - offered, start_at=start,
            end_at=start + timedelta(days=14), ask_cny_per_gpu_hour=ask,
            min_lease_hours=lease, service_class=service, cancel_fee_rate=Decimal("0.2")))


def seed_orders(session: Session) -> None:
    """Opening deposits for the demo startups, then a dozen orders (once)."""
    for slug, amount in DEPOSITS.items():
        if auth_repo.org_by_slug(session, slug) is not None:
            funds.record_deposit(session, organisation=slug, amount_fen=parse_cny(amount),
                                 reference="demo-opening-balance")
    now = utcnow()
    if any(as_utc(o.latest_end) > now and as_utc(o.earliest_start) < now + timedelta(hours=20)
           for o in _recent_orders(session, now)):
        return  # placed on an earlier run (older orders are the history's)
    origin = next_whole_hour(now)
    for slug, spec in ORDERS:
        org = auth_repo.org_by_slug(session, slug)
        if org is None:
            continue
        fields = dict(spec)
        first, last = fields.pop("window")
        limit = fields.pop("limit")
        vouchers = vouchers_port.usable_vouchers(session, [org.id], now) \
            if fields.pop("voucher", False) else []
        data = OrderCreate(
            **fields, earliest_start=origin + timedelta(hours=first),
            latest_end=origin + timedelta(hours=last), limit_cny_per_gpu_hour=limit,
            voucher_id=vouchers[0].id if vouchers else None, origin_city=org.city)
        orders_service.place_order(session, data=data, org_ids={org.id}, user_id=None)


def _recent_orders(session: Session, now: datetime) -> list[Order]:
    stmt = select(Order).where(Order.latest_end > now)
    return list(session.execute(stmt).scalars())


def seed_round(session: Session) -> None:
    """One clearing round over the demo orders (once; the history's rounds are its own)."""
    if session.execute(select(Round.id).where(Round.trigger == "demo").limit(1)).first():
        return
    rounds.run_round(session, options=rounds.Options(trigger="demo", time_limit_s=20))


def seed_instant_buy(session: Session) -> None:
    """acme-ai takes 8 of Qingyang's H20s for 12 hours, in five days' time (once)."""
    contracts, _ = repository.contracts_for(session, buyer_ids=None, provider_ids=None,
                                            limit=500, offset=0)
    buyer = auth_repo.org_by_slug(session, "acme-ai")
    seller = auth_repo.org_by_slug(session, "qingyang-state-dc")
    now = utcnow()
    if buyer is None or seller is None or any(
            c.source == ContractSource.INSTANT and as_utc(c.start_at) > now for c in contracts):
        return
    offers = [o for o in repository.live_offers(session, now=now, models=["h20"])
              if o.organisation_id == seller.id and as_utc(o.start_at) > now]
    if offers:
        start = next_whole_hour(utcnow()) + timedelta(days=5)
        instant.instant_buy(session, data=InstantBuy(offer_id=offers[0].id, gpus=8, hours=12,
                                                     start_at=start), org_ids={buyer.id})


STEPS = [
    ("market: offers on the listable clusters", seed_offers),
    ("market: deposits and a dozen orders", seed_orders),
    ("market: one clearing round", seed_round),
    ("market: an instant buy", seed_instant_buy),
]
