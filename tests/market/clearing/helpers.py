"""Small snapshots for the clearing tests."""

from __future__ import annotations

import copy
from typing import Any

SPEC_EXAMPLE: dict[str, Any] = {
    "round_id": "sh-2026-12-01T00",
    "horizon_start": "2026-12-01T00:00:00+08:00",
    "slot_hours": 1,
    "slots": 168,
    "energy_price_cny_per_kwh": "0.00",
    "accelerators": [
        {"model": "ascend-910b", "memory_gb": 64, "bf16_tflops": 320, "tdp_w": 400,
         "domestic": True},
    ],
    "latency_ms": {"shanghai": {"yrd-qingpu": 2, "gansu-qingyang": 31}},
    "offers": [
        {"id": "of-1", "provider": "qingyang-state-dc", "hub": "gansu-qingyang",
         "operator": "state", "accelerator": "ascend-910b", "gpus": 256,
         "start_slot": 0, "end_slot": 168, "ask_cny_per_gpu_hour": "9.80", "pue": 1.18},
    ],
    "vouchers": [
        {"id": "v-1", "holder": "acme-ai", "balance_cny": "1000000.00",
         "rate": {"state": "0.50", "commercial": "0.30"}, "domestic_bonus": "0.10",
         "max_rate": "0.60", "providers": None},
    ],
    "orders": [
        {"id": "or-1", "buyer": "acme-ai", "accelerators": ["ascend-910b", "h20"],
         "gpus": 64, "duration_slots": 72, "earliest_start_slot": 0, "latest_end_slot": 168,
         "limit_cny_per_gpu_hour": "6.00", "voucher": "v-1",
         "origin": "shanghai", "max_latency_ms": None},
    ],
}
# The spec's example names "h20" in the order without listing it; add it so it is valid.
SPEC_EXAMPLE["accelerators"].append(
    {"model": "h20", "memory_gb": 96, "bf16_tflops": 148, "tdp_w": 400, "domestic": False})


def example() -> dict[str, Any]:
    """A fresh, valid copy of the contract's example snapshot."""
    return copy.deepcopy(SPEC_EXAMPLE)


def order(ident: str, **fields: Any) -> dict[str, Any]:
    """An order of the example's buyer; ``fields`` override the defaults."""
    base = {"id": ident, "buyer": "acme-ai", "accelerators": ["ascend-910b"], "gpus": 8,
            "duration_slots": 2, "earliest_start_slot": 0, "latest_end_slot": 4,
            "limit_cny_per_gpu_hour": "10.00", "voucher": None, "origin": "shanghai",
            "max_latency_ms": None}
    base.update(fields)
    return base


def offer(ident: str, **fields: Any) -> dict[str, Any]:
    """A state offer of the example's accelerator; ``fields`` override the defaults."""
    base = {"id": ident, "provider": "p-1", "hub": "yrd-qingpu", "operator": "state",
            "accelerator": "ascend-910b", "gpus": 8, "start_slot": 0, "end_slot": 4,
            "ask_cny_per_gpu_hour": "5.00", "pue": 1.2}
    base.update(fields)
    return base


def market(orders: list[dict[str, Any]], offers: list[dict[str, Any]], *, slots: int = 4,
           vouchers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The example snapshot with these orders, offers and vouchers."""
    snap = example()
    snap.update(slots=slots, orders=orders, offers=offers,
                vouchers=vouchers if vouchers is not None else snap["vouchers"])
    return snap
