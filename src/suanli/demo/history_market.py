"""The demo's history of the market: weekly listings whose asks drift down, daily orders of
the startups holding vouchers, a clearing round each morning and an instant buy.

Asks follow what rentals did in 2025: a gentle decline (about 15 % over the quarter), the
western hubs about 12 % below the eastern ones, and the domestic chips at their own level
(`market.demo.ASKS`), with a little weekly noise per cluster so the curves are not lines.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from suanli.kit.errors import AppError
from suanli.kit.money import format_cny, parse_cny
from suanli.market import instant, offers_service, orders_service, repository, rounds
from suanli.market.demo import ASKS, DECLINE, WEST
from suanli.market.models import Offer
from suanli.market.schemas import InstantBuy, OfferCreate, OrderCreate
from suanli.programs import repository as program_repo
from suanli.providers import repository as providers_repo
from suanli.providers.models import Cluster, ClusterStatus
from suanli.vouchers import repository as voucher_repo
from suanli.vouchers.models import VoucherStatus

ORDERS_A_DAY = 3
MODELS = ["h20", "ascend-910b", "l20", "h20", "ascend-910b", "hygon-k100-ai", "a800-sxm-80g"]


def ask(model: str, hub: str | None, *, progress: Decimal, noise: int) -> str:
    """The ask of a cluster in a week: base level, western discount, decline, noise."""
    east, _, _ = ASKS.get(model, ("10.00", None, 1))
    factor = (Decimal("0.88") if hub in WEST else Decimal(1)) * (1 - DECLINE * progress)
    factor *= 1 + Decimal(noise % 7 - 3) / 100
    return format_cny(int(parse_cny(east) * factor))


def _listable(session: Session) -> list[Cluster]:
    return sorted(providers_repo.clusters(session, None, statuses=[ClusterStatus.LISTABLE]),
                  key=lambda c: c.id)


def list_week(session: Session, *, start: datetime, until: datetime, progress: Decimal,
              week: int) -> None:
    """Each listable cluster offers three eighths of its GPUs (at most 48) from `start` to
    `until`: two such listings overlap by a day, and the recent week's own offers (the
    settlement demo's) still fit beside them."""
    for cluster in _listable(session):
        price = ask(cluster.accelerator_model, cluster.data_centre.hub_id, progress=progress,
                    noise=cluster.id * 3 + week)
        offers_service.create_offer(session, org_ids={cluster.organisation_id}, data=OfferCreate(
            cluster_id=cluster.id, gpus=min(cluster.gpus * 3 // 8, 48), start_at=start,
            end_at=until, ask_cny_per_gpu_hour=price, min_lease_hours=1))


def voucher_holders(session: Session) -> list[int]:
    """Startups with an active voucher, oldest voucher first (each once)."""
    seen: dict[int, None] = {}
    for voucher in sorted(voucher_repo.vouchers(session, statuses=[VoucherStatus.ACTIVE]),
                          key=lambda v: v.id):
        seen.setdefault(voucher.holder_org_id, None)
    return list(seen)


def place_orders(session: Session, *, day_index: int, now: datetime, start: datetime) -> None:
    """A few startups holding vouchers order a day of GPUs for tomorrow, with a voucher."""
    holders = voucher_holders(session)
    if not holders:
        return
    for n in range(ORDERS_A_DAY):
        org_id = holders[(day_index * ORDERS_A_DAY + n) % len(holders)]
        org = program_repo.organisation(session, org_id)
        vouchers = [v for v in voucher_repo.vouchers(session, holder_ids=[org_id],
                                                     statuses=[VoucherStatus.ACTIVE])]
        model = MODELS[(day_index + n) % len(MODELS)]
        base = parse_cny(ASKS[model][0])
        data = OrderCreate(accelerators=[model], gpus=8 * (1 + n % 2), duration_hours=24,
                           earliest_start=start, latest_end=start + timedelta(hours=24),
                           limit_cny_per_gpu_hour=format_cny(base),
                           voucher_id=vouchers[-1].id if vouchers else None,
                           origin_city=org.city if org else None)
        try:
            with session.begin_nested():
                orders_service.place_order(session, data=data, org_ids={org_id},
                                           user_id=None, now=now)
        except AppError:
            continue  # out of money or voucher: the startup sits this day out


def clear(session: Session, *, trigger: str, now: datetime) -> None:
    """The morning's clearing round over two days of hourly slots."""
    rounds.run_round(session, now=now, options=rounds.Options(
        trigger=trigger, slots=48, time_limit_s=5))


def instant_buy(session: Session, *, day_index: int, now: datetime, start: datetime) -> None:
    """One startup takes 8 GPUs of the cheapest live H20 or 910B offer for tomorrow."""
    holders = voucher_holders(session)
    offers: list[Offer] = [o for o in repository.live_offers(
        session, now=now, models=["h20", "ascend-910b"]) if o.start_at <= start]
    if not holders or not offers:
        return
    offer = min(offers, key=lambda o: (o.ask_fen, o.id))
    buyer = holders[(day_index * 7 + 3) % len(holders)]
    try:
        with session.begin_nested():
            instant.instant_buy(session, org_ids={buyer}, now=now, data=InstantBuy(
                offer_id=offer.id, gpus=8, hours=24, start_at=start))
    except AppError:
        return
