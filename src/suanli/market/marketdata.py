"""Market data: the daily price index per accelerator model and order-book depth.

The index is the volume-weighted (GPU-hours) unit price of the contracts matched each
day (Asia/Shanghai days), with the shadow price of capacity from the last round that
gave one. Depth compares, per model and day, the GPUs open orders want (an order that
accepts several models counts under each) with the GPUs live offers still have free.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy.orm import Session

from suanli.kit.timeutil import SHANGHAI, to_shanghai, utcnow
from suanli.market import offers_service, repository
from suanli.market.models import Order


@dataclass(frozen=True)
class IndexPoint:
    model: str
    day: date
    price_fen: int
    gpu_hours: int
    contracts: int


@dataclass(frozen=True)
class Index:
    points: list[IndexPoint]
    shadow: dict[str, str]
    shadow_round_id: int | None


def price_index(session: Session, *, days: int = 30, now: datetime | None = None) -> Index:
    """Per model and day, the GPU-hour-weighted price of the contracts matched that day."""
    now = now or utcnow()
    first = _day_start(to_shanghai(now).date() - timedelta(days=days - 1))
    sums: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for model, at, price, hours in repository.matched_since(session, first):
        cell = sums[(model, to_shanghai(at).date())]
        cell[0] += price * hours
        cell[1] += hours
        cell[2] += 1
    points = [IndexPoint(model, day, _weighted(total, hours), hours, count)
              for (model, day), (total, hours, count) in sorted(sums.items()) if hours]
    last = repository.last_completed_round(session)
    if last is None or not last.shadow_prices:
        return Index(points, {}, None)
    return Index(points, dict(last.shadow_prices), last.id)


def _weighted(total: int, hours: int) -> int:
    return int((Decimal(total) / hours).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class DepthRow:
    model: str
    day: date
    demand_gpus: int
    supply_gpus: int


def depth(session: Session, *, days: int = 7, now: datetime | None = None) -> list[DepthRow]:
    """For each of the next ``days`` days, wanted GPUs against free GPUs per model."""
    now = now or utcnow()
    today = to_shanghai(now).date()
    origin = _day_start(today)
    demand: dict[tuple[str, int], int] = defaultdict(int)
    supply: dict[tuple[str, int], int] = defaultdict(int)
    for order in repository.open_orders(session):
        for d in _days_overlapped(order, origin, days):
            for model in order.accelerators:
                demand[(model, d)] += order.gpus
    offers = repository.live_offers(session, now=now)
    free = offers_service.profiles(session, offers, offers_service.Grid(origin, days * 24))
    for offer in offers:
        profile = free[offer.id]
        for d in range(days):
            supply[(offer.accelerator_model, d)] += max(profile[d * 24:(d + 1) * 24])
    models = sorted({m for m, _ in demand} | {m for m, _ in supply})
    return [DepthRow(m, today + timedelta(days=d), demand[(m, d)], supply[(m, d)])
            for m in models for d in range(days)
            if demand.get((m, d)) or supply.get((m, d))]


def _days_overlapped(order: Order, origin: datetime, days: int) -> range:
    first = max(0, (order.earliest_start - origin) // timedelta(days=1))
    last = min(days, -(-(order.latest_end - origin) // timedelta(days=1)))
    return range(int(first), int(last))

