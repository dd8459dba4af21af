"""The rules of a match and its money, in exact Decimal arithmetic.

This module is the reference the solver's fast (vectorised) paths must agree with,
and what :mod:`suanli.market.clearing.check` recomputes a result from.

Rounding: ``cost`` is rounded half-even to the fen, ``subsidy = r * cost`` is
rounded half-even from the rounded cost, and ``buyer_pays = cost - subsidy``; so
``cost == subsidy + buyer_pays`` always holds for a contract. (With a whole number
of GPU-hours, the usual case, the cost is exact and the two readings agree.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from suanli.market.clearing.snapshot import Offer, Order, Snapshot

ONE = Decimal(1)
HUNDRED = Decimal(100)
PRECISION = 60  # digits: products of amounts and rates stay exact


def round_half_even(value: Decimal) -> int:
    """A Decimal rounded half-even to an integer (used on amounts in fen)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return int(value.quantize(ONE, rounding=ROUND_HALF_EVEN))


def yuan_to_fen(value: Decimal) -> int:
    """An amount of CNY rounded half-even to the fen."""
    return round_half_even(value * HUNDRED)


def fen_text(fen: int) -> str:
    """Fen as a CNY string with two places: 1250 -> "12.50", -5 -> "-0.05"."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def rate_text(rate: Decimal) -> str:
    """A rate as text with at least two places: 0.6 -> "0.60", 0.125 -> "0.125"."""
    if rate == rate.quantize(Decimal("0.01")):
        return str(rate.quantize(Decimal("0.01")))
    return format(rate.normalize(), "f")


def compatible(snap: Snapshot, order: Order, offer: Offer) -> bool:
    """Rules 1-3: accelerator, a window for the whole duration, and latency."""
    if offer.accelerator not in order.accelerators:
        return False
    if start_range(order, offer) is None:
        return False
    if order.max_latency_ms is None:
        return True
    latency = snap.latency(order.origin, offer.hub)
    return latency is not None and latency <= order.max_latency_ms


def start_range(order: Order, offer: Offer) -> tuple[int, int] | None:
    """The first and last start slot allowed by rule 2, None when there is none."""
    first = max(order.earliest_start_slot, offer.start_slot)
    last = min(order.latest_end_slot, offer.end_slot) - order.duration_slots
    return (first, last) if first <= last else None


def start_ok(order: Order, offer: Offer, start: int) -> bool:
    """Rule 2 for one start slot."""
    bounds = start_range(order, offer)
    return bounds is not None and bounds[0] <= start <= bounds[1]


def subsidy_rate(snap: Snapshot, order: Order, offer: Offer) -> Decimal:
    """Rule 4: the voucher's rate for this offer (0 without a voucher or provider)."""
    if order.voucher is None:
        return Decimal(0)
    voucher = snap.voucher_by_id[order.voucher]
    if voucher.providers is not None and offer.provider not in voucher.providers:
        return Decimal(0)
    rate = voucher.rate[offer.operator]
    if snap.accelerators[offer.accelerator].domestic:
        rate += voucher.domestic_bonus
    return min(voucher.max_rate, rate)


def within_limit(order: Order, offer: Offer, rate: Decimal) -> bool:
    """Rule 5: ``(1 - r) * ask <= limit``, exactly (both sides in fen)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return (ONE - rate) * offer.ask_fen <= order.limit_fen


@dataclass(frozen=True)
class Money:
    """The money of one match; amounts in fen, ``value`` and energy exact."""

    rate: Decimal
    gpu_hours: Decimal
    cost_fen: int
    subsidy_fen: int
    buyer_pays_fen: int
    energy_kwh: Decimal
    value_cny: Decimal


def match_money(snap: Snapshot, order: Order, offer: Offer) -> Money:
    """Money of matching ``order`` to ``offer`` (any start: money does not depend on it)."""
    rate = subsidy_rate(snap, order, offer)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        gpu_hours = order.gpus * order.duration_slots * snap.slot_hours
        cost = round_half_even(offer.ask_fen * gpu_hours)
        subsidy = round_half_even(rate * cost)
        tdp = snap.accelerators[offer.accelerator].tdp_w
        energy = gpu_hours * tdp / 1000 * offer.pue
        value = (gpu_hours * (order.limit_fen - (ONE - rate) * offer.ask_fen)
                 - snap.energy_price_fen * energy) / HUNDRED
    return Money(rate, gpu_hours, cost, subsidy, cost - subsidy, energy, value)


def gpu_hours_json(gpu_hours: Decimal) -> int | float:
    """GPU-hours for the result: an integer when whole, else a float."""
    if gpu_hours == gpu_hours.to_integral_value():
        return int(gpu_hours)
    return float(gpu_hours)


def energy_json(energy: Decimal) -> float:
    """Energy in kWh for the result, rounded half-even to 0.01 kWh."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return float(energy.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))
