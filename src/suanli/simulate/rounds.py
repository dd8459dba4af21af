"""One weekly clearing round: the snapshot (per ``shared/spec/clearing.md``) and its call.

The round's horizon is the week, 168 hours in ``slot_hours`` slots. Every cluster
offers all its GPUs for the whole week. An order's hours are rounded up to whole slots
(a 6-hour job in 4-hour slots books 8 hours), the price of coarse slots, which keep a
500-startup market fast to clear.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from suanli.catalog.accelerators import get_accelerator
from suanli.catalog.network import latency_matrix, load_cities, load_hubs
from suanli.kit.money import format_cny
from suanli.programs.rates import format_rate
from suanli.programs.tiers import RateTerms
from suanli.simulate.scenario import Policy, Scenario
from suanli.simulate.world import Cluster, OrderSpec, World

# A Monday; week n of a simulation starts n weeks later (the date only labels rounds).
FIRST_MONDAY = datetime.fromisoformat("2026-01-05T00:00:00+08:00")


@dataclass
class Wallet:
    """A startup's voucher: what is left of it and when it lapses (after ``expires_week``)."""

    id: str
    holder: str
    issued_fen: int
    balance_fen: int
    issued_week: int
    expires_week: int
    terms: RateTerms | None = None  # the tier's rates; None: the policy's own
    # Co-funded: the voucher's split across the funders (basis points) and each one's part.
    split: tuple[int, ...] | None = None
    parts: list[int] = field(default_factory=list)
    spent_fen: int = 0


@dataclass(frozen=True)
class Placed:
    """An order in a round, with the voucher it is placed against (None: full price)."""

    spec: OrderSpec
    origin: str
    voucher: str | None
    tries: int


def latency_table() -> dict[str, dict[str, int]]:
    """Round-trip ms from every packaged city to every hub (the catalogue's estimate)."""
    return latency_matrix(load_cities(), load_hubs())


def accelerator_entry(model: str) -> dict[str, Any]:
    """The snapshot's description of one catalogue accelerator (figures as decimal strings)."""
    spec = get_accelerator(model)
    return {
        "model": model,
        "memory_gb": spec.memory_gb,
        "bf16_tflops": str(spec.bf16_tflops_dense),
        "tdp_w": spec.tdp_w,
        "domestic": spec.domestic,
    }


def order_window(spec: OrderSpec, slot_hours: int, slots: int) -> tuple[int, int, int]:
    """(duration_slots, earliest_start_slot, latest_end_slot) of an order within the week."""
    duration = max(1, math.ceil(spec.duration_hours / slot_hours))
    earliest = min(spec.offset_hours // slot_hours, slots - duration)
    latest = min(slots, max(math.ceil(spec.latest_end_hours / slot_hours), earliest + duration))
    return duration, earliest, latest


def offer_entry(cluster: Cluster, slots: int) -> dict[str, Any]:
    """The cluster's whole capacity for the whole week."""
    return {
        "id": f"of-{cluster.id}", "provider": cluster.provider, "hub": cluster.hub,
        "operator": cluster.operator, "accelerator": cluster.accelerator,
        "gpus": cluster.gpus, "start_slot": 0, "end_slot": slots,
        "ask_cny_per_gpu_hour": format_cny(cluster.ask_fen), "pue": cluster.pue,
    }


def voucher_entry(wallet: Wallet, policy: Policy) -> dict[str, Any]:
    """A wallet as a snapshot voucher with the rates of its tier (the policy's own when the
    wallet has none)."""
    if wallet.terms is None:
        return {
            "id": wallet.id, "holder": wallet.holder,
            "balance_cny": format_cny(wallet.balance_fen),
            "rate": {"state": str(policy.rates.state),
                     "commercial": str(policy.rates.commercial)},
            "domestic_bonus": str(policy.domestic_bonus), "max_rate": str(policy.max_rate),
            "providers": None,
        }
    t = wallet.terms
    return {
        "id": wallet.id, "holder": wallet.holder, "balance_cny": format_cny(wallet.balance_fen),
        "rate": {"state": format_rate(t.rate_state_bp),
                 "commercial": format_rate(t.rate_commercial_bp)},
        "domestic_bonus": format_rate(t.domestic_bonus_bp),
        "max_rate": format_rate(t.max_rate_bp), "providers": None,
    }


def order_entry(placed: Placed, slot_hours: int, slots: int) -> dict[str, Any]:
    """A placed order as a snapshot order."""
    spec = placed.spec
    duration, earliest, latest = order_window(spec, slot_hours, slots)
    return {
        "id": spec.id, "buyer": spec.startup, "accelerators": list(spec.accelerators),
        "gpus": spec.gpus, "duration_slots": duration, "earliest_start_slot": earliest,
        "latest_end_slot": latest, "limit_cny_per_gpu_hour": format_cny(spec.limit_fen),
        "voucher": placed.voucher, "origin": placed.origin,
        "max_latency_ms": spec.max_latency_ms,
    }


def build_snapshot(
    *,
    scenario: Scenario,
    world: World,
    policy: Policy,
    week: int,
    placed: Sequence[Placed],
    wallets: Mapping[str, Wallet],  # by holder
    latency: Mapping[str, Mapping[str, int]],
) -> dict[str, Any]:
    """The clearing snapshot of ``week``: all clusters, the placed orders, their vouchers."""
    slot_hours, slots = scenario.clearing.slot_hours, scenario.clearing.slots
    used = {p.voucher for p in placed if p.voucher is not None}
    by_id = {wallet.id: wallet for wallet in wallets.values()}
    models = sorted({c.accelerator for c in world.clusters}
                    | {m for p in placed for m in p.spec.accelerators})
    origins = sorted({p.origin for p in placed})
    return {
        "round_id": f"{scenario.name}-w{week + 1:02d}",
        "horizon_start": (FIRST_MONDAY + timedelta(weeks=week)).isoformat(),
        "slot_hours": slot_hours,
        "slots": slots,
        "energy_price_cny_per_kwh": format_cny(policy.energy_price_cny_per_kwh),
        "accelerators": [accelerator_entry(m) for m in models],
        "latency_ms": {o: dict(latency[o]) for o in origins},
        "offers": [offer_entry(c, slots) for c in world.clusters],
        "vouchers": [voucher_entry(by_id[v], policy) for v in sorted(used)],
        "orders": [order_entry(p, slot_hours, slots) for p in placed],
    }
