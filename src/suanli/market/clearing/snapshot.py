"""The snapshot of a clearing round as frozen, validated values.

Money is held as integer fen, rates and physical quantities as exact ``Decimal``
values, so that every rule of a match can be recomputed exactly. Build a
``Snapshot`` with :func:`suanli.market.clearing.validate.parse`, which refuses a
snapshot that breaks the field rules of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

OPERATORS = ("state", "commercial")


class SnapshotError(ValueError):
    """A snapshot that breaks the contract; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Accelerator:
    """One accelerator model; ``domestic`` models earn a voucher's domestic bonus."""

    model: str
    memory_gb: Decimal
    bf16_tflops: Decimal
    tdp_w: Decimal
    domestic: bool


@dataclass(frozen=True)
class Offer:
    """Capacity for sale: ``gpus`` GPUs in every slot of ``[start_slot, end_slot)``."""

    id: str
    provider: str
    hub: str
    operator: str
    accelerator: str
    gpus: int
    start_slot: int
    end_slot: int
    ask_fen: int
    pue: Decimal


@dataclass(frozen=True)
class Voucher:
    """A subsidy budget; ``providers`` None means it may be spent with any provider."""

    id: str
    holder: str
    balance_fen: int
    rate: Mapping[str, Decimal]
    domestic_bonus: Decimal
    max_rate: Decimal
    providers: frozenset[str] | None


@dataclass(frozen=True)
class Order:
    """A request for ``gpus`` GPUs during ``duration_slots`` consecutive slots."""

    id: str
    buyer: str
    accelerators: tuple[str, ...]
    gpus: int
    duration_slots: int
    earliest_start_slot: int
    latest_end_slot: int
    limit_fen: int
    voucher: str | None
    origin: str | None
    max_latency_ms: float | None


@dataclass(frozen=True)
class Snapshot:
    """A whole, valid snapshot. Lists keep their input order (it matters to the FCFS broker)."""

    round_id: str
    horizon_start: str
    slot_hours: Decimal
    slots: int
    energy_price_fen: int
    accelerators: Mapping[str, Accelerator]
    latency_ms: Mapping[str, Mapping[str, float]]
    offers: tuple[Offer, ...]
    vouchers: tuple[Voucher, ...]
    orders: tuple[Order, ...]
    voucher_by_id: Mapping[str, Voucher] = field(default_factory=dict)

    def latency(self, origin: str | None, hub: str) -> float | None:
        """Latency from an order's origin to a hub, None when there is no entry (unreachable)."""
        if origin is None:
            return None
        return self.latency_ms.get(origin, {}).get(hub)
