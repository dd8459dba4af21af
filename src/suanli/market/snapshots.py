"""Building a clearing round's snapshot (``shared/spec/clearing.md``) from the database.

Deterministic: lists sorted by id, ids ``of-<offer>``, ``or-<order>``, ``v-<voucher>``.
Capacity already sold is subtracted: an offer becomes one snapshot offer per rectangle
of its free-capacity profile (``of-12.1``, ``of-12.2``, ...), which add up to what is
free in every slot. An offer's minimum lease becomes an accelerator alias
(``h20~min24``) that only orders at least that long accept, so clearing's rule 1
enforces it. Orders a buyer's cash could not cover at their limit price are left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from suanli.catalog import service as catalog
from suanli.catalog.models import Accelerator
from suanli.kit.money import format_cny
from suanli.kit.timeutil import to_shanghai
from suanli.ledger import service as ledger
from suanli.market import funds, repository, vouchers_port
from suanli.market.capacity import free_profile, layers, window_slots
from suanli.market.models import Offer, Order
from suanli.programs import credit
from suanli.providers import service as providers
from suanli.vouchers.models import Voucher


@dataclass
class Built:
    """The snapshot and what its ids stand for."""

    snapshot: dict[str, Any]
    offers: dict[str, Offer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    vouchers: dict[str, Voucher] = field(default_factory=dict)
    left_out: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[int, Order] = field(default_factory=dict)  # left-out orders by id


def alias(model: str, lease_slots: int) -> str:
    return model if lease_slots <= 1 else f"{model}~min{lease_slots}"


def _number(value: Decimal | int | None) -> int | float:
    if value is None:
        return 0
    return int(value) if value == int(value) else float(value)


def _accelerator(row: Accelerator, name: str) -> dict[str, Any]:
    return {"model": name, "memory_gb": _number(row.memory_gb),
            "bf16_tflops": _number(row.bf16_tflops_dense), "tdp_w": _number(row.tdp_w),
            "domestic": bool(row.domestic)}


def _offer_entries(built: Built, offer: Offer, profile: list[int], lease: int
                   ) -> list[dict[str, Any]]:
    dc = offer.cluster.data_centre
    rects = layers(profile)
    out = []
    for n, (start, end, gpus) in enumerate(rects, start=1):
        sid = f"of-{offer.id}" if len(rects) == 1 else f"of-{offer.id}.{n}"
        built.offers[sid] = offer
        out.append({"id": sid, "provider": offer.organisation.slug,
                    "hub": providers.location_key(dc), "operator": str(dc.operator_type),
                    "accelerator": alias(offer.accelerator_model, lease), "gpus": gpus,
                    "start_slot": start, "end_slot": end,
                    "ask_cny_per_gpu_hour": format_cny(offer.ask_fen),
                    "pue": float(dc.pue)})
    return out


@dataclass(frozen=True)
class Horizon:
    start: datetime
    slots: int
    slot_hours: int = 1


def _lease_slots(offer: Offer, slot_hours: int) -> int:
    return math.ceil(offer.min_lease_hours / slot_hours)


def _offers(session: Session, built: Built, h: Horizon, *, now: datetime, lock: bool
            ) -> list[dict[str, Any]]:
    offers = repository.live_offers(session, now=now, lock=lock)
    booked = repository.bookings(session, [o.id for o in offers], after=h.start)
    out = []
    for offer in offers:
        profile = free_profile(offer.gpus, (offer.start_at, offer.end_at),
                               booked.get(offer.id, []), h.start, h.slots, h.slot_hours)
        out += _offer_entries(built, offer, profile, _lease_slots(offer, h.slot_hours))
    return out


def _leave_out(built: Built, order: Order, reason: str) -> None:
    built.left_out.append({"order": order.id, "reason": reason})
    built.skipped[order.id] = order


def _order_entry(built: Built, order: Order, h: Horizon, aliases: set[tuple[str, int]],
                 voucher_sid: str | None) -> dict[str, Any]:
    duration = math.ceil(order.duration_hours / h.slot_hours)
    first, last = window_slots(order.earliest_start, order.latest_end, h.start, h.slots,
                               h.slot_hours)
    models = sorted({*order.accelerators,
                     *(alias(m, n) for m, n in aliases if m in order.accelerators
                       and n <= duration)})
    sid = f"or-{order.id}"
    built.orders[sid] = order
    return {"id": sid, "buyer": order.organisation.slug, "accelerators": models,
            "gpus": order.gpus, "duration_slots": duration, "earliest_start_slot": first,
            "latest_end_slot": last, "limit_cny_per_gpu_hour": format_cny(order.limit_fen),
            "voucher": voucher_sid, "origin": order.origin_city_id,
            "max_latency_ms": order.max_latency_ms}


def _fits_horizon(order: Order, h: Horizon) -> bool:
    first, last = window_slots(order.earliest_start, order.latest_end, h.start, h.slots,
                               h.slot_hours)
    return first + math.ceil(order.duration_hours / h.slot_hours) <= last


def _voucher_for(session: Session, built: Built, order: Order, now: datetime
                 ) -> tuple[bool, str | None]:
    """(usable, snapshot id) of the order's voucher; (True, None) without one."""
    if order.voucher_id is None:
        return True, None
    voucher = vouchers_port.find(session, order.voucher_id)
    problem = "no longer exists" if voucher is None else vouchers_port.unusable(voucher, now)
    if problem or voucher is None:
        _leave_out(built, order, f"voucher {order.voucher_id} {problem}")
        return False, None
    sid = f"v-{voucher.id}"
    built.vouchers[sid] = voucher
    return True, sid


def _orders(session: Session, built: Built, h: Horizon, aliases: set[tuple[str, int]], *,
            now: datetime, lock: bool) -> list[dict[str, Any]]:
    cash: dict[str, int] = {}
    out = []
    for order in repository.open_orders(session, lock=lock):
        if not _fits_horizon(order, h):
            _leave_out(built, order, "its window lies outside this round's horizon")
            continue
        ok, voucher_sid = _voucher_for(session, built, order, now)
        if not ok:
            continue
        slug = order.organisation.slug
        line = credit.credit_account(session, order.organisation_id)
        if slug not in cash:  # a buyer with a credit line in force holds on it, not on cash
            cash[slug] = (funds.cash_balance(session, slug) if line is None
                          else ledger.balance(session, line)).available
        worst = order.limit_fen * order.gpus * order.duration_hours
        if worst > cash[slug]:
            payer = "cash" if line is None else "credit line"
            _leave_out(built, order, f"the buyer's {payer} ({format_cny(cash[slug])} CNY left) "
                                     f"does not cover {format_cny(worst)} CNY at the limit")
            continue
        cash[slug] -= worst
        out.append(_order_entry(built, order, h, aliases, voucher_sid))
    return out


def build(session: Session, *, round_id: str, horizon: Horizon, now: datetime,
          lock: bool = False) -> Built:
    """The snapshot of the market now; ``lock`` holds its offers and orders until commit."""
    built = Built(snapshot={})
    offers = _offers(session, built, horizon, now=now, lock=lock)
    aliases = {(o.accelerator_model, _lease_slots(o, horizon.slot_hours))
               for o in built.offers.values() if _lease_slots(o, horizon.slot_hours) > 1}
    orders = _orders(session, built, horizon, aliases, now=now, lock=lock)
    pairs = [(e["provider"], e["operator"]) for e in offers]
    vouchers = [vouchers_port.snapshot_terms(
        v, holder=_holder_slug(built, v), balance_fen=vouchers_port.available_fen(session, v),
        offers=pairs) for _, v in sorted(built.vouchers.items(), key=lambda kv: kv[1].id)]
    built.snapshot = {
        "round_id": round_id,
        "horizon_start": to_shanghai(horizon.start).isoformat(),
        "slot_hours": horizon.slot_hours, "slots": horizon.slots,
        "energy_price_cny_per_kwh": "0.00",
        "accelerators": _accelerators(session, offers, orders),
        "latency_ms": _latency(session, orders, offers),
        "offers": offers, "vouchers": vouchers, "orders": orders,
    }
    return built


def _holder_slug(built: Built, voucher: Voucher) -> str:
    for order in built.orders.values():
        if order.voucher_id == voucher.id:
            return order.organisation.slug
    raise AssertionError("a voucher enters the snapshot only through an order")


def _accelerators(session: Session, offers: Iterable[dict[str, Any]],
                  orders: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {e["accelerator"] for e in offers} | {m for o in orders for m in o["accelerators"]}
    out = []
    for name in sorted(names):
        row = catalog.find_accelerator(session, name.split("~", 1)[0])
        if row is not None:
            out.append(_accelerator(row, name))
    return out


def _latency(session: Session, orders: list[dict[str, Any]], offers: list[dict[str, Any]]
             ) -> dict[str, dict[str, int]]:
    origins = sorted({o["origin"] for o in orders if o["origin"]})
    if not origins:
        return {}
    places = sorted({e["hub"] for e in offers})
    table = catalog.latency_table(session)
    return {c: {p: table[c][p] for p in places if p in table.get(c, {})} for c in origins}

