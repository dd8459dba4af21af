"""Orders: validation, the preview a buyer sees before placing, placing and cancelling."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from suanli.audit import service as audit
from suanli.auth import repository as auth_repo
from suanli.auth.models import Organisation
from suanli.catalog import service as catalog
from suanli.kit.errors import Conflict, NotFound, ValidationFailed
from suanli.kit.money import parse_cny
from suanli.kit.timeutil import utcnow
from suanli.market import offers_service, repository, vouchers_port
from suanli.market.capacity import HOUR, next_whole_hour
from suanli.market.matching import Draft, Terms, Verdict, judge, why_not
from suanli.market.models import Order, OrderStatus
from suanli.market.schemas import OrderCreate, check_ident
from suanli.market.search import resolve_models
from suanli.programs import credit
from suanli.vouchers.models import Voucher

MAX_WINDOW = timedelta(days=366)


def snapshot(order: Order) -> dict[str, object]:
    return {"accelerators": list(order.accelerators), "gpus": order.gpus,
            "duration_hours": order.duration_hours,
            "earliest_start": order.earliest_start.isoformat(),
            "latest_end": order.latest_end.isoformat(), "limit_fen": order.limit_fen,
            "voucher_id": order.voucher_id, "origin_city": order.origin_city_id,
            "max_latency_ms": order.max_latency_ms, "status": str(order.status)}


def acting_buyer(session: Session, org_ids: Collection[int], slug: str | None) -> Organisation:
    """The startup the caller buys for: the one named, or their only one."""
    if slug is None:
        if len(org_ids) != 1:
            raise ValidationFailed("you buy for several startups: name one",
                                   field="organisation")
        org = session.get(Organisation, next(iter(org_ids)))
    else:
        org = auth_repo.org_by_slug(session, check_ident(slug, field="organisation"))
    if org is None or org.id not in org_ids:
        raise NotFound(f"you do not buy for {slug!r}", field="organisation")
    return org


@dataclass(frozen=True)
class Checked:
    """An order request that passed every rule, with what it resolved to."""

    org: Organisation
    models: list[str]
    limit_fen: int
    voucher: Voucher | None
    origin_city: str | None
    origin: datetime  # the first whole hour it could start
    hours_in_window: int
    voucher_by: str | None = None  # "buyer" (named) or "soonest" (expiring first)
    # The buyer's vouchers that could pay, expiring soonest first, with what each has left.
    voucher_options: tuple[tuple[Voucher, int], ...] = ()


def check(session: Session, data: OrderCreate, *, org_ids: Collection[int], now: datetime
          ) -> Checked:
    """Validate an order request; each broken rule names its field (4xx), nothing written."""
    org = acting_buyer(session, org_ids, data.organisation)
    models = resolve_models(session, accelerators=data.accelerators,
                            min_memory_gb=data.min_memory_gb, min_tflops=data.min_tflops)
    if data.latest_end <= data.earliest_start:
        raise ValidationFailed("must be after earliest_start", field="latest_end")
    if data.latest_end - data.earliest_start > MAX_WINDOW:
        raise ValidationFailed("a window may last at most 366 days", field="latest_end")
    origin = next_whole_hour(max(data.earliest_start, now))
    hours = math.floor((data.latest_end - origin) / HOUR)
    if hours < data.duration_hours:
        raise ValidationFailed(f"leaves {max(hours, 0)} whole hours from the earliest start, "
                               f"fewer than the {data.duration_hours} hours wanted",
                               field="latest_end")
    city = data.origin_city or (org.city if org.city and catalog.find_city(session, org.city)
                                else None)
    if data.origin_city and catalog.find_city(
            session, check_ident(data.origin_city, field="origin_city")) is None:
        raise ValidationFailed(f"no city {data.origin_city!r}", field="origin_city")
    if data.max_latency_ms is not None and city is None:
        raise ValidationFailed("a latency limit needs the city you run from",
                               field="origin_city")
    voucher, by, options = _voucher(session, data, org.id, now)
    return Checked(org, models, parse_cny(data.limit_cny_per_gpu_hour), voucher, city,
                   origin, hours, by, options)


def _voucher(session: Session, data: OrderCreate, org_id: int, now: datetime
             ) -> tuple[Voucher | None, str | None, tuple[tuple[Voucher, int], ...]]:
    """The voucher the order spends: the one named (checked against the program's contract
    terms), else with `voucher_choice: soonest` the buyer's that expires first."""
    options = tuple(vouchers_port.spend_order(session, org_id, hours=data.duration_hours,
                                              now=now))
    if data.voucher_id is not None:
        voucher = vouchers_port.held_voucher(session, data.voucher_id, org_ids={org_id},
                                             now=now)
        vouchers_port.check_contract(voucher, hours=data.duration_hours, now=now,
                                     hours_field="duration_hours")
        return voucher, "buyer", options
    if data.voucher_choice == "soonest" and options:
        return options[0][0], "soonest", options
    return None, None, options


def place_order(session: Session, *, data: OrderCreate, org_ids: Collection[int],
                user_id: int | None, now: datetime | None = None) -> Order:
    """Place an order; it rests until a clearing round matches it or it is cancelled."""
    now = now or utcnow()
    ok = check(session, data, org_ids=org_ids, now=now)
    credit.check_standing(session, ok.org.id, now=now)  # no new orders while a bill is late
    order = Order(organisation_id=ok.org.id, placed_by_user_id=user_id,
                  accelerators=ok.models, min_memory_gb=data.min_memory_gb,
                  min_tflops=data.min_tflops, gpus=data.gpus,
                  duration_hours=data.duration_hours, earliest_start=data.earliest_start,
                  latest_end=data.latest_end, limit_fen=ok.limit_fen,
                  voucher_id=ok.voucher.id if ok.voucher else None,
                  origin_city_id=ok.origin_city, max_latency_ms=data.max_latency_ms,
                  status=OrderStatus.OPEN)
    repository.add(session, order)
    audit.record(session, action="order.place", object_type="order", object_id=order.id,
                 after=snapshot(order), organisation_id=order.organisation_id)
    return order


def get_order(session: Session, order_id: int, scope: Collection[int] | None) -> Order:
    order = repository.order(session, order_id)
    if order is None or (scope is not None and order.organisation_id not in scope):
        raise NotFound(f"no order {order_id}", field="order_id")
    return order


def cancel_order(session: Session, *, order_id: int, org_ids: Collection[int],
                 now: datetime | None = None) -> Order:
    """Cancel one of the caller's open orders (a matched one has a contract instead)."""
    order = repository.order(session, order_id, lock=True)
    if order is None or order.organisation_id not in org_ids:
        raise NotFound(f"no order {order_id}", field="order_id")
    if order.status != OrderStatus.OPEN:
        raise Conflict(f"the order is {order.status}; only open orders can be cancelled",
                       field="status")
    before = snapshot(order)
    order.status = OrderStatus.CANCELLED
    order.closed_at = now or utcnow()
    session.flush()
    audit.record(session, action="order.cancel", object_type="order", object_id=order.id,
                 before=before, after=snapshot(order), organisation_id=order.organisation_id)
    return order


@dataclass(frozen=True)
class PreviewResult:
    checked: Checked
    candidates: list[Verdict]
    reasons: list[tuple[str, int]]


def preview(session: Session, *, data: OrderCreate, org_ids: Collection[int],
            now: datetime | None = None) -> PreviewResult:
    """Which live offers could serve the order now, cheapest for the buyer first, and,
    when none can, the reasons with how many offers each rules out."""
    now = now or utcnow()
    ok = check(session, data, org_ids=org_ids, now=now)
    offers = repository.live_offers(session, now=now)
    grid = offers_service.Grid(ok.origin, ok.hours_in_window)
    wanted = [o for o in offers if o.accelerator_model in ok.models]
    free = offers_service.profiles(session, wanted, grid)
    facts = [offers_service.facts(o, free.get(o.id, [])) for o in offers]
    terms: Terms | None = None
    if ok.voucher is not None:
        terms = vouchers_port.terms(ok.voucher, [(f.provider, f.operator) for f in facts])
    draft = Draft(frozenset(ok.models), data.gpus, data.duration_hours, ok.hours_in_window,
                  ok.limit_fen, data.max_latency_ms, terms)
    latencies = catalog.latency_table(session).get(ok.origin_city or "", {})
    verdicts = [judge(draft, f, latencies.get(f.location)) for f in facts]
    good = sorted((v for v in verdicts if v.reason is None),
                  key=lambda v: (v.effective_fen, v.start or 0, v.offer.id))
    reasons = [] if good else [(str(r), n) for r, n in why_not(verdicts)]
    return PreviewResult(ok, good, reasons)



def expire_orders(session: Session, *, now: datetime) -> int:
    """Open orders that can no longer run whole inside their window expire; how many."""
    expired = 0
    for order in repository.open_orders(session, lock=True):
        start = next_whole_hour(max(order.earliest_start, now))
        if start + HOUR * order.duration_hours > order.latest_end:
            order.status, order.closed_at = OrderStatus.EXPIRED, now
            order.status_reason = "its window closed before it was matched"
            audit.record(session, action="order.expire", object_type="order",
                         object_id=order.id, after={"status": "expired"},
                         organisation_id=order.organisation_id)
            expired += 1
    session.flush()
    return expired
