"""Hypothesis strategies: small random valid snapshots."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

MODELS = [
    {"model": "ascend-910b", "memory_gb": 64, "bf16_tflops": 320, "tdp_w": 400,
     "domestic": True},
    {"model": "h20", "memory_gb": 96, "bf16_tflops": 148, "tdp_w": 400, "domestic": False},
]
HUBS = ["east", "west"]
RATES = ["0.00", "0.10", "0.25", "0.30", "0.50", "0.55", "1.00"]


def money(low: int, high: int) -> st.SearchStrategy[str]:
    """A CNY string between ``low`` and ``high`` fen."""
    return st.integers(low, high).map(lambda fen: f"{fen // 100}.{fen % 100:02d}")


@st.composite
def offers(draw: st.DrawFn, slots: int, count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        start = draw(st.integers(0, slots - 1))
        out.append({
            "id": f"of-{i}", "provider": draw(st.sampled_from(["p-a", "p-b"])),
            "hub": draw(st.sampled_from(HUBS)),
            "operator": draw(st.sampled_from(["state", "commercial"])),
            "accelerator": draw(st.sampled_from([m["model"] for m in MODELS])),
            "gpus": draw(st.integers(1, 6)), "start_slot": start,
            "end_slot": draw(st.integers(start + 1, slots)),
            "ask_cny_per_gpu_hour": draw(money(1, 900)),
            "pue": draw(st.sampled_from([1, 1.1, 1.25])),
        })
    return out


@st.composite
def vouchers(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    return [{
        "id": f"v-{i}", "holder": f"b-{i}", "balance_cny": draw(money(0, 3000)),
        "rate": {"state": draw(st.sampled_from(RATES)),
                 "commercial": draw(st.sampled_from(RATES))},
        "domestic_bonus": draw(st.sampled_from(["0.00", "0.05", "0.10"])),
        "max_rate": draw(st.sampled_from(["0.50", "0.60", "1.00"])),
        "providers": draw(st.sampled_from([None, ["p-a"], []])),
    } for i in range(count)]


@st.composite
def orders(draw: st.DrawFn, slots: int, count: int, n_vouchers: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        duration = draw(st.integers(1, slots))
        earliest = draw(st.integers(0, slots - duration))
        buyer = draw(st.integers(0, max(n_vouchers, 1)))
        voucher = f"v-{buyer}" if buyer < n_vouchers and draw(st.booleans()) else None
        out.append({
            "id": f"or-{i}", "buyer": f"b-{buyer}",
            "accelerators": draw(st.sampled_from([["ascend-910b"], ["h20"],
                                                  ["h20", "ascend-910b"]])),
            "gpus": draw(st.integers(1, 5)), "duration_slots": duration,
            "earliest_start_slot": earliest,
            "latest_end_slot": draw(st.integers(earliest + duration, slots)),
            "limit_cny_per_gpu_hour": draw(money(1, 900)), "voucher": voucher,
            "origin": draw(st.sampled_from(["city", None])),
            "max_latency_ms": draw(st.sampled_from([None, 5, 30])),
        })
    return out


@st.composite
def snapshots(draw: st.DrawFn, max_orders: int = 6, max_offers: int = 3,
              max_slots: int = 6) -> dict[str, Any]:
    """A valid snapshot; a small one so that brute force can solve it too."""
    slots = draw(st.integers(1, max_slots))
    n_vouchers = draw(st.integers(0, 2))
    return {
        "round_id": "prop", "horizon_start": "2026-12-01T00:00:00+08:00",
        "slot_hours": draw(st.sampled_from([1, 2, 0.5])), "slots": slots,
        "energy_price_cny_per_kwh": draw(st.sampled_from(["0.00", "0.40", "3.00"])),
        "accelerators": MODELS, "latency_ms": {"city": {"east": 3, "west": 25}},
        "offers": draw(offers(slots, draw(st.integers(1, max_offers)))),
        "vouchers": draw(vouchers(n_vouchers)),
        "orders": draw(orders(slots, draw(st.integers(0, max_orders)), n_vouchers)),
    }
